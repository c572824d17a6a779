"""The aged-debt report sums and pages its debtors in SQL: its pages laid end to end, and its CSV, are what
the Python report always made (`billing.standing.aged_debt` over every unpaid invoice, debtors sorted by
casefolded name then id), and each page costs the same queries however many debtors there are."""

import csv
import io
import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from math import ceil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, text, update

from billing import services
from billing import views as billing_views
from billing.models import Invoice, InvoiceStatus
from billing.standing import BAND_KEYS, BAND_STARTS, BANDS, UNPAID, aged_debt, band
from kernel.csv_export import BOM
from kernel.extensions import db
from kernel.formatting import pounds
from organisations.models import Member, Organisation
from tests import factories
from tests.factories import api_token, sign_in
from tests.query_counts import queries_for, rows_shown

TODAY = date(2026, 6, 30)
_numbers = itertools.count(1)
ISSUED, PART_PAID, PAID, CREDITED = (s.value for s in InvoiceStatus)


def _invoice(
    member: Member, days_past_due: int, total: int, paid: int = 0, credited: int = 0, status=ISSUED, today=TODAY
) -> tuple:
    """An invoice row written straight to the table (issued documents refuse ORM edits), and the facts the
    oracle reads: (consortium, member, due date, owed, status)."""
    consortium_id = member.consortium_id
    due = today - timedelta(days=days_past_due)
    db.session.execute(
        insert(Invoice).values(
            number=f"AGED-{next(_numbers):06d}",
            consortium_id=consortium_id,
            member_id=member.id,
            status=InvoiceStatus(status),
            issue_date=due - timedelta(days=30),
            supply_date=due - timedelta(days=30),
            due_date=due,
            reference="Aged debt",
            net_pence=total,
            vat_pence=0,
            total_pence=total,
            paid_pence=paid,
            credited_pence=credited,
            seller_name="Consortium",
            seller_address="1 High Street",
            buyer_name=member.name,
            buyer_address="1 High Street",
            buyer_email="member@example.org",
        )
    )
    return consortium_id, member.id, due, total - credited - paid, status


def _oracle(consortium_id: int, invoices: list[tuple], names: dict[int, str], today: date):
    """The report as it always was: aged_debt over the consortium's unpaid invoices, debtors by casefolded name
    then id, as (member id, name, bands), with the totals' bands."""
    debt = aged_debt(
        (
            (member_id, due, owed)
            for c, member_id, due, owed, status in invoices
            if c == consortium_id and status in UNPAID
        ),
        today,
    )
    rows = sorted(((row.key, names[row.key], row.bands) for row in debt.rows), key=lambda r: (r[1].casefold(), r[0]))
    return rows, debt.totals.bands


def _shown(debtors) -> list[tuple]:
    return [(m.member_id, m.name, m.row.bands) for m in debtors]


def _pages_end_to_end(consortium, per_page: int, today: date) -> tuple[list[tuple], set, set]:
    """Every page of the report (and the one past the end) laid end to end; the totals and counts each said."""
    first = services.aged_debt_report(consortium, today, page=1, per_page=per_page)
    rows, totals, counts = [], set(), set()
    for number in range(1, ceil(first.page.total / per_page) + 2):
        report = services.aged_debt_report(consortium, today, page=number, per_page=per_page)
        assert len(report.members) <= per_page
        rows += _shown(report.members)
        totals.add(report.totals.bands)
        counts.add(report.page.total)
    return rows, totals, counts


def _in_full(consortium, today: date):
    report = services.aged_debt_in_full(consortium, today)
    return _shown(report.members), report.totals.bands


def _pounds(pence: int) -> str:
    return str(Decimal(pence).scaleb(-2))


def _csv_of(rows, totals) -> bytes:
    """The CSV the report has always written, byte for byte."""
    header = ["Member", *(f"{b.capitalize()} (GBP)" for b in BANDS), "Total (GBP)"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for _, name, bands in rows:
        writer.writerow([name, *map(_pounds, bands), _pounds(sum(bands))])
    writer.writerow(["Total", *map(_pounds, totals), _pounds(sum(totals))])
    return (BOM + buffer.getvalue()).encode("utf-8")


def test_the_bands_boundaries_are_stated_once():
    assert len(BAND_STARTS) == len(BANDS) - 1
    assert [band(start - 1) for start in BAND_STARTS] == list(range(len(BAND_STARTS)))
    assert [band(start) for start in BAND_STARTS] == list(range(1, len(BANDS)))


def _ledger(world) -> tuple[list[tuple], dict[int, str]]:
    """Debtors whose names tie when casefolded, or are the same, or sort differently by case; invoices on every
    band's boundary days, part paid, credited, paid, owing nothing or less than nothing; another consortium's."""
    network = world.network
    named = {
        "abbey": factories.member(network, "Abbey Bikes CIC"),
        "ABBEY": factories.member(network, "ABBEY BIKES CIC"),
        "same": factories.member(network, "Same Name Ltd"),
        "same again": factories.member(network, "Same Name Ltd"),
        "zeta": factories.member(network, "Zeta Print"),
        "alpha": factories.member(network, "alpha print"),
        "under": factories.member(network, "_Underline Trust"),
        "paid up": factories.member(network, "Paid Up CIC"),
    }
    db.session.commit()
    inv = []
    for days in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 400):
        inv.append(_invoice(named["abbey"], days, 1_000 + days))
    inv += [
        _invoice(named["ABBEY"], 31, 5_000, paid=1_234, status=PART_PAID),
        _invoice(named["ABBEY"], 61, 7_000, credited=2_000),
        _invoice(named["ABBEY"], 1, 3_000, paid=1_000, credited=500, status=PART_PAID),
        _invoice(named["same"], 30, 2_500),
        _invoice(named["same again"], 90, 2_600),
        _invoice(named["same again"], 91, 2_700, paid=2_700, status=PAID),
        _invoice(named["zeta"], 0, 999),
        _invoice(named["zeta"], 60, 4_000, paid=4_100, status=PART_PAID),  # owes less than nothing
        _invoice(named["alpha"], 120, 12_345),
        _invoice(named["alpha"], 45, 6_000, credited=6_000, status=CREDITED),
        _invoice(named["under"], 15, 101),
        _invoice(named["under"], 15, 500, paid=500),  # issued, owing nothing
        _invoice(named["paid up"], 100, 8_000, paid=8_000, status=PAID),
        _invoice(named["paid up"], 10, 8_000, paid=3_000, credited=5_000, status=PART_PAID),
        _invoice(named["paid up"], 40, 8_000, paid=7_000, status=PAID),  # the stored status decides, as ever
        _invoice(world.member, 200, 9_000),
        _invoice(world.other_member, 50, 77_777),
        _invoice(world.other_member, 0, 11_111),
    ]
    db.session.commit()
    members = [*named.values(), world.member, world.other_member]
    return inv, {m.id: m.name for m in members}


def test_the_pages_laid_end_to_end_are_the_python_report(world):
    invoices, names = _ledger(world)
    expected, totals = _oracle(world.consortium.id, invoices, names, TODAY)
    assert [name for _, name, _ in expected] == [
        "_Underline Trust",
        "Abbey Bikes CIC",
        "ABBEY BIKES CIC",
        "alpha print",
        "Re-Tweed Dundee CIC",
        "Same Name Ltd",
        "Same Name Ltd",
        "Zeta Print",
    ]
    assert all(any(bands) for _, _, bands in expected) and all(totals)
    # 1,000 pence plus the days past due, on each band's first and last days: each band holds its own two.
    assert expected[1][2] == (995 + 1_000, 1_001 + 1_030, 1_031 + 1_060, 1_061 + 1_090, 1_091 + 1_400)
    for per_page in (1, 2, 3, 4, 50):
        rows, said_totals, counts = _pages_end_to_end(world.consortium, per_page, TODAY)
        assert rows == expected, per_page
        assert said_totals == {totals} and counts == {len(expected)}
    assert _in_full(world.consortium, TODAY) == (expected, totals)
    theirs, their_totals = _oracle(world.other_consortium.id, invoices, names, TODAY)
    assert _in_full(world.other_consortium, TODAY) == (theirs, their_totals)


@pytest.fixture
def names_collated_for_english(backend):
    """Member names that PostgreSQL orders by an English collation, as on a database created in en_GB.UTF-8 (the
    test databases are created in C.UTF-8, which orders by code point already), for the length of the test."""
    if backend != "postgresql":
        pytest.skip("SQLite orders text by its bytes whatever the database")
    length = Organisation.__table__.c.legal_name.type.length
    alter = f"ALTER TABLE organisation ALTER COLUMN legal_name TYPE varchar({length}) COLLATE {{}}"
    db.session.execute(text(alter.format('"en-GB-x-icu"')))
    db.session.commit()
    yield
    db.session.rollback()
    db.session.execute(text(alter.format('"default"')))
    db.session.commit()


def test_names_that_collate_by_language_are_still_in_pythons_order(world, names_collated_for_english):
    """English puts École beside Ecology; Python and the report (lower() compared as "C") put it after Z."""
    members = [factories.member(world.network, name) for name in ("École Verte CIC", "Ecology Hub", "Zeta Print")]
    db.session.commit()
    made = [_invoice(member, 10, 1_000 * n) for n, member in enumerate(members, 1)]
    db.session.commit()
    expected, totals = _oracle(world.consortium.id, made, {m.id: m.name for m in members}, TODAY)
    assert [name for _, name, _ in expected] == ["Ecology Hub", "Zeta Print", "École Verte CIC"]
    for per_page in (1, 2, 50):
        rows, said_totals, _ = _pages_end_to_end(world.consortium, per_page, TODAY)
        assert rows == expected and said_totals == {totals}
    assert _in_full(world.consortium, TODAY) == (expected, totals)


def test_a_consortium_owed_nothing_has_no_rows_and_zero_totals(world):
    report = services.aged_debt_report(world.consortium, TODAY)
    assert (report.members, report.page.total, report.totals.bands) == ([], 0, (0,) * len(BANDS))
    assert _in_full(world.consortium, TODAY) == ([], (0,) * len(BANDS))


def test_the_page_the_api_and_the_csv_show_the_python_report(client, world, frozen_clock, monkeypatch):
    frozen_clock.set(datetime(2026, 6, 30, 12, 0, tzinfo=UTC))
    invoices, names = _ledger(world)
    expected, totals = _oracle(world.consortium.id, invoices, names, TODAY)
    headers = api_token(world.secretary)
    url = f"/api/v1/consortia/{world.consortium.id}/aged-debt"
    items = []
    for page in (1, 2, 3, 4):
        body = client.get(url, query_string={"page": page, "per_page": 3}, headers=headers).json
        assert {k: body[k] for k in ("page", "per_page", "total", "consortium_id", "as_of")} == {
            "page": page,
            "per_page": 3,
            "total": len(expected),
            "consortium_id": world.consortium.id,
            "as_of": "2026-06-30",
        }
        assert [body["totals"][key] for key in BAND_KEYS] == list(totals)
        assert body["totals"]["total_pence"] == sum(totals)
        items += [(i["member_id"], i["member_name"], tuple(i[key] for key in BAND_KEYS)) for i in body["items"]]
    assert items == expected

    sign_in(client, world.secretary)
    monkeypatch.setattr(billing_views, "AGED_DEBT_PER_PAGE", 4)
    second = client.get(f"/billing/{world.consortium.id}/aged-debt?page=2").get_data(as_text=True)
    assert [name for _, name, _ in expected[4:]] == [
        "Re-Tweed Dundee CIC",
        "Same Name Ltd",
        "Same Name Ltd",
        "Zeta Print",
    ]
    assert all(f'<th scope="row">{name}</th>' in second for _, name, _ in expected[4:])
    assert "alpha print" not in second and second.count("<tr>") == 4 + 2  # the head, four debtors, the totals
    assert f"{len(expected)} members owing {pounds(sum(totals))}" in second
    assert "Page 2 of 2" in second

    response = client.get(f"/billing/{world.consortium.id}/aged-debt.csv")
    assert response.data == _csv_of(expected, totals)


names = st.one_of(st.sampled_from(["Same", "same", "SAME"]), st.text(alphabet="aAbBzZ _-1", min_size=1, max_size=3))
days_past_due = st.one_of(st.sampled_from([-1, 0, 1, 30, 31, 60, 61, 90, 91]), st.integers(-60, 400))
invoices = st.lists(
    st.tuples(
        st.integers(0, 10),  # whose: ten of ours, then theirs
        days_past_due,
        st.integers(0, 20_000),  # total
        st.integers(0, 20_000),  # paid
        st.integers(0, 5_000),  # credited
        st.sampled_from([ISSUED, PART_PAID, PAID, CREDITED]),
    ),
    max_size=30,
)


def test_any_invoices_paged_any_way_are_the_python_report(world):
    ours = [world.member, *(factories.member(world.network) for _ in range(9))]
    members = [*ours, world.other_member]
    db.session.commit()

    @given(
        st.lists(names, min_size=len(members), max_size=len(members)),
        invoices,
        st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
        st.integers(1, 5),
    )
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    def check(named, drawn, today, per_page):
        db.session.execute(delete(Invoice))
        for member, name in zip(members, named, strict=True):
            db.session.execute(
                update(Organisation).where(Organisation.id == member.organisation_id).values(legal_name=name)
            )
        made = [
            _invoice(members[m], days, total, paid, credited, status, today)
            for m, days, total, paid, credited, status in drawn
        ]
        names_by_id = {member.id: name for member, name in zip(members, named, strict=True)}
        expected, totals = _oracle(world.consortium.id, made, names_by_id, today)
        rows, said_totals, counts = _pages_end_to_end(world.consortium, per_page, today)
        assert rows == expected
        assert said_totals == {totals} and counts == {len(expected)}
        assert _in_full(world.consortium, today) == (expected, totals)

    check()


def _debtors(world, count: int) -> None:
    """`count` more members owing in three bands, one of them part paid, and one paid up."""
    for _ in range(count):
        member = factories.member(world.network)
        db.session.commit()
        _invoice(member, -3, 1_000)
        _invoice(member, 45, 2_000, paid=500, status=PART_PAID)
        _invoice(member, 120, 3_000)
        _invoice(member, 10, 4_000, paid=4_000, status=PAID)
    db.session.commit()


def test_every_page_the_api_and_the_csv_cost_the_same_queries_however_many_debtors(client, world, monkeypatch):
    """Page 1 and page 2 of the page and of the API, two debtors a page, and the CSV: the same statements with 4
    debtors as with 16; each page shows the same rows, the CSV every debtor."""
    monkeypatch.setattr(billing_views, "AGED_DEBT_PER_PAGE", 2)
    headers = api_token(world.secretary)
    sign_in(client, world.secretary)
    pages = [f"/billing/{world.consortium.id}/aged-debt", f"/billing/{world.consortium.id}/aged-debt?page=2"]
    api = [f"/api/v1/consortia/{world.consortium.id}/aged-debt?per_page=2&page={n}" for n in (1, 2)]
    download = f"/billing/{world.consortium.id}/aged-debt.csv"

    def measured() -> tuple[dict, dict, int]:
        counts = {url: len(queries_for(client, url)) for url in [*pages, download]}
        counts |= {url: len(queries_for(client, url, headers=headers)) for url in api}
        shown = {url: rows_shown(client, url) for url in pages}
        shown |= {url: len(client.get(url, headers=headers).json["items"]) for url in api}
        return counts, shown, len(client.get(download).get_data(as_text=True).splitlines())

    client.get(api[0], headers=headers)  # the token's first use is noted once
    _debtors(world, 4)
    small_counts, small_shown, small_lines = measured()
    _debtors(world, 12)
    large_counts, large_shown, large_lines = measured()
    assert large_counts == small_counts
    assert large_shown == small_shown == {pages[0]: 3, pages[1]: 3} | {url: 2 for url in api}
    assert (small_lines, large_lines) == (1 + 4 + 1, 1 + 16 + 1)
