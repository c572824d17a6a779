"""Monthly clearing of 10,000 trade invoices among 1,000 members; 50 members asking for one slot at once.

    .venv/bin/python -m bench.trading [--members 1000] [--invoices 10000] [--repeat 5] [--requesters 50]

Seeds one consortium that clears monthly, with `members` members in bench.seeding's world (users
included), one listing each, and `invoices` delivered bookings invoiced last month between random
pairs of them (VAT and no VAT). Then times `trading.services.clear_month` and its commit, after one
warm-up run, putting the invoices back to issued between runs; the baseline is the cheapest honest
netting: two GROUP BY sums and one UPDATE of the invoices, in one transaction. Checks that the
stored nets sum to zero. Target (issue 18): under 2 s.

Then, on PostgreSQL (SQLite has one writer, so it queues rather than races), `requesters` members
each with their own API token post a booking of the same slot at the same moment, one thread and
one database connection each: exactly one gets 201, the rest 409, and once the seller accepts,
exactly one booking is confirmed. Reports each request's median and p95 time.
"""

import argparse
import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from threading import Barrier

from sqlalchemy import delete, func, select, text, update

from bench.common import Figure, add_backend_option, bench_app, chosen_backends, throwaway_database
from bench.seeding import add_consortia, add_members, add_users, bulk, next_id
from catalogue.models import VatRate
from kernel.clock import uk_today, utcnow
from kernel.extensions import db
from kernel.lifecycle import StatusChange
from orders.invoice_plan import LineKind
from organisations import services as people
from organisations.models import Role, User
from trading import services
from trading.models import (
    Booking,
    BookingStatus,
    ClearingPosition,
    ClearingRun,
    Listing,
    ListingKind,
    ListingStatus,
    TradeInvoice,
    TradeInvoiceLine,
    TradeInvoiceStatus,
    TradeInvoiceVat,
)

TARGET_SECONDS = 2.0


def seed(members: int, invoices: int) -> tuple[int, int, list[int]]:
    """(consortium id, secretary's user id, member ids) once last month's invoices are in place."""
    (consortium,), (network,) = add_consortia(("TRD",))
    secretary = people.save_user({"email": "secretary@bench.example", "name": "Bench Secretary", "password": "x" * 16})
    people.grant_role(secretary, Role.SECRETARY, consortium.id)
    member_ids = add_members([network.id], members)
    add_users(member_ids)
    services.save_terms(secretary, consortium.id, False, 90, None, True, None)
    now, today = utcnow(), uk_today()
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    first_listing = next_id(Listing)
    bulk(
        Listing,
        [
            {
                "id": first_listing + n,
                "member_id": member_id,
                "consortium_id": consortium.id,
                "kind": ListingKind.SERVICE,
                "title": f"Spare hours {n}",
                "description": "Bench listing",
                "member_price": Decimal("30.00"),
                "vat_rate": VatRate.STANDARD,
                "hours_available": 40,
                "hours_period": "week",
                "free_cancel_days": 2,
                "cancel_fee_percent": 0,
                "status": ListingStatus.LISTED,
                "lapses_on": today + timedelta(days=90),
                "created_by_id": secretary.id,
                "created_at": now,
            }
            for n, member_id in enumerate(member_ids)
        ],
    )
    chance = random.Random(18)
    first_booking, first_invoice = next_id(Booking), next_id(TradeInvoice)
    bookings, documents, lines, vats = [], [], [], []
    for n in range(invoices):
        seller_index, buyer_index = chance.sample(range(members), 2)
        hours = chance.randint(1, 12)
        net = hours * 3000
        vat = net // 5 if n % 3 else 0
        booking_id, invoice_id = first_booking + n, first_invoice + n
        issued = month + timedelta(days=n % 28)
        bookings.append(
            {
                "id": booking_id,
                "listing_id": first_listing + seller_index,
                "consortium_id": consortium.id,
                "buyer_id": member_ids[buyer_index],
                "seller_id": member_ids[seller_index],
                "status": BookingStatus.INVOICED,
                "starts_on": issued,
                "quantity": hours,
                "description": f"Spare hours {seller_index}: {hours} hours",
                "unit_price": Decimal("30.00"),
                "net_pence": net,
                "fee_pence": 0,
                "pay_directly": False,
                "requested_by_id": secretary.id,
                "created_at": now,
            }
        )
        documents.append(
            {
                "id": invoice_id,
                "number": f"TRD-B-{n:06d}",
                "consortium_id": consortium.id,
                "seller_id": member_ids[seller_index],
                "buyer_id": member_ids[buyer_index],
                "booking_id": booking_id,
                "status": TradeInvoiceStatus.ISSUED,
                "issue_date": issued,
                "supply_date": issued,
                "due_date": issued + timedelta(days=30),
                "reference": f"Booking {booking_id}",
                "net_pence": net,
                "vat_pence": vat,
                "total_pence": net + vat,
                "pay_directly": False,
                "seller_name": f"Member {seller_index}",
                "seller_address": "1 High Street, Dundee, DD1 1AA",
                "buyer_name": f"Member {buyer_index}",
                "buyer_address": "1 High Street, Dundee, DD1 1AA",
                "buyer_email": "bench@example.org",
                "created_at": now,
            }
        )
        rate = VatRate.STANDARD if vat else VatRate.ZERO
        lines.append(
            {
                "trade_invoice_id": invoice_id,
                "position": 1,
                "kind": LineKind.SERVICE,
                "description": "Spare hours",
                "quantity": hours,
                "unit_price": Decimal("30.00"),
                "vat_rate": rate,
                "net_pence": net,
            }
        )
        vats.append({"trade_invoice_id": invoice_id, "vat_rate": rate, "net_pence": net, "vat_pence": vat})
    bulk(Booking, bookings)
    bulk(TradeInvoice, documents)
    bulk(TradeInvoiceLine, lines)
    bulk(TradeInvoiceVat, vats)
    _reset_sequences()
    db.session.commit()
    _analyse()
    return consortium.id, secretary.id, member_ids


def _reset_sequences() -> None:
    """Bulk inserts name their ids; PostgreSQL's sequences must move past them before the app inserts."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("organisation", "member", "user", "listing", "booking", "trade_invoice"):
        db.session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))")
        )


def _analyse(vacuum: bool = False) -> None:
    """Statistics as autovacuum would have them by the month's end, so PostgreSQL plans for the real row counts."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE" if vacuum else "ANALYZE"))


def unclear() -> None:
    """Puts the month back as it was before clearing, with Core statements (the ORM refuses to edit invoices).

    Each round rewrites every invoice and booking twice; a real month's clearing runs once on tables autovacuum
    has kept, so the dead rows the rewinding leaves are vacuumed before the next round rather than timed in it.
    """
    db.session.execute(delete(StatusChange).where(StatusChange.subject_kind == "booking"))
    db.session.execute(
        update(TradeInvoice).values(status=TradeInvoiceStatus.ISSUED, clearing_run_id=None, settled_on=None)
    )
    db.session.execute(update(Booking).values(status=BookingStatus.INVOICED))
    db.session.execute(delete(ClearingPosition))
    db.session.execute(delete(ClearingRun))
    db.session.commit()
    _analyse(vacuum=True)


def clear(consortium_id: int, secretary_id: int) -> int:
    month = (uk_today().replace(day=1) - timedelta(days=1)).replace(day=1)
    run = services.clear_month(db.session.get_one(User, secretary_id), consortium_id, month)
    db.session.commit()
    return run.id


def baseline(consortium_id: int) -> None:
    """Two GROUP BY sums (owed, owes) and one UPDATE marking the month's invoices settled; then rolled back."""
    issued = (TradeInvoice.consortium_id == consortium_id, TradeInvoice.status == TradeInvoiceStatus.ISSUED)
    dict(
        db.session.execute(
            select(TradeInvoice.seller_id, func.sum(TradeInvoice.total_pence))
            .where(*issued)
            .group_by(TradeInvoice.seller_id)
        ).all()
    )
    dict(
        db.session.execute(
            select(TradeInvoice.buyer_id, func.sum(TradeInvoice.total_pence))
            .where(*issued)
            .group_by(TradeInvoice.buyer_id)
        ).all()
    )
    db.session.execute(update(TradeInvoice).where(*issued).values(status=TradeInvoiceStatus.SETTLED))
    db.session.rollback()


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[-1] if len(times) > 1 else times[0]


def timed(work, repeat: int, reset=None) -> list[float]:
    times = []
    for n in range(repeat + 1):
        db.session.remove()
        started = time.perf_counter()
        work()
        if n:
            times.append(time.perf_counter() - started)
        if reset is not None:
            reset()
    return times


def race(app, member_ids: list[int], requesters: int) -> dict:
    """`requesters` members post a booking of one slot at the same moment; one thread and connection each."""
    seller_id, buyers = member_ids[0], member_ids[1 : requesters + 1]
    users = {
        m: db.session.scalar(select(User).where(User.email == f"manager.{m}@members.bench.example"))
        for m in [seller_id, *buyers]
    }
    listing = db.session.scalars(select(Listing).where(Listing.member_id == seller_id)).one()
    listing.kind = ListingKind.ROOM
    start = datetime.combine(uk_today() + timedelta(days=7), datetime.min.time(), tzinfo=UTC)
    slot = services.add_slots(users[seller_id], listing, [(start, start + timedelta(hours=2))])[0]
    tokens = {m: people.create_api_token(users[m], "bench")[1] for m in [seller_id, *buyers]}
    listing_id, slot_id = listing.id, slot.id
    db.session.commit()
    barrier = Barrier(len(buyers))

    def book(member_id: int) -> tuple[int, float]:
        client = app.test_client()
        body = {"listing_id": listing_id, "buyer_id": member_id, "slot_ids": [slot_id]}
        headers = {"Authorization": f"Bearer {tokens[member_id]}"}
        barrier.wait(timeout=60)
        started = time.perf_counter()
        status = client.post("/api/v1/trading/bookings", headers=headers, json=body).status_code
        return status, time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=len(buyers)) as executor:
        answers = list(executor.map(book, buyers))
    statuses = sorted(status for status, _ in answers)
    db.session.expire_all()
    booked = db.session.scalars(select(Booking).where(Booking.listing_id == listing_id)).all()
    client = app.test_client()
    for booking in booked:
        client.post(
            f"/api/v1/trading/bookings/{booking.id}/accept", headers={"Authorization": f"Bearer {tokens[seller_id]}"}
        )
    db.session.expire_all()
    confirmed = db.session.scalar(
        select(func.count())
        .select_from(Booking)
        .where(Booking.listing_id == listing_id, Booking.status == BookingStatus.CONFIRMED)
    )
    seconds = [s for _, s in answers]
    return {
        "created": statuses.count(201),
        "refused": statuses.count(409),
        "other": len(statuses) - statuses.count(201) - statuses.count(409),
        "confirmed": confirmed,
        "median": statistics.median(seconds),
        "p95": p95(seconds),
    }


def run(backend: str, members: int, invoices: int, repeat: int, requesters: int) -> dict:
    with throwaway_database(backend) as url:
        app = bench_app(url)
        with app.app_context():
            consortium_id, secretary_id, member_ids = seed(members, invoices)
            base_times = timed(lambda: baseline(consortium_id), repeat)
            clear_times = timed(lambda: clear(consortium_id, secretary_id), repeat, reset=unclear)
            clear(consortium_id, secretary_id)
            net_sum = db.session.scalar(select(func.sum(ClearingPosition.net_pence)))
            positions = db.session.scalar(select(func.count()).select_from(ClearingPosition))
            raced = race(app, member_ids, requesters) if backend == "postgresql" else None
            db.session.remove()
            db.engine.dispose()
    median, high, base_median = statistics.median(clear_times), p95(clear_times), statistics.median(base_times)
    met = median < TARGET_SECONDS and net_sum == 0
    print(f"\n{backend}: clearing {invoices:,} trade invoices among {members:,} members ({positions:,} statements)")
    print(f"  baseline (2 GROUP BYs, 1 UPDATE)  median {base_median * 1000:8.1f} ms")
    print(
        f"  clear_month and commit            median {median * 1000:8.1f} ms, p95 {high * 1000:.1f} ms "
        f"(target under {TARGET_SECONDS:.0f} s: {'met' if met else 'NOT met'}); nets sum to {net_sum}"
    )
    figures = [
        Figure(
            "trading",
            f"clearing {invoices:,} invoices, {members:,} members ({backend})",
            f"< {TARGET_SECONDS:.0f} s, nets sum to 0",
            f"{median:.3f} s median, p95 {high:.3f} s, nets sum {net_sum}; baseline {base_median:.3f} s",
            met,
        )
    ]
    if raced is not None:
        one = raced["created"] == 1 and raced["confirmed"] == 1 and raced["other"] == 0
        print(
            f"  {requesters} requests for one slot: {raced['created']} created, {raced['refused']} refused (409), "
            f"{raced['other']} other; {raced['confirmed']} confirmed; per request median "
            f"{raced['median'] * 1000:.1f} ms, p95 {raced['p95'] * 1000:.1f} ms"
        )
        figures.append(
            Figure(
                "trading",
                f"{requesters} concurrent requests for one slot ({backend})",
                "exactly one confirmed",
                f"{raced['confirmed']} confirmed, {raced['refused']} refused; "
                f"median {raced['median'] * 1000:.0f} ms, p95 {raced['p95'] * 1000:.0f} ms",
                one,
            )
        )
    return {"backend": backend, "seconds": median, "met": met, "figures": figures}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1_000)
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--requesters", type=int, default=50)
    add_backend_option(parser)
    args = parser.parse_args(argv)
    return [
        run(backend, args.members, args.invoices, args.repeat, args.requesters) for backend in chosen_backends(args)
    ]


if __name__ == "__main__":
    main()
