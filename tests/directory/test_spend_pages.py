"""The spend with social enterprises read a page at a time: for every scope, its pages laid end to end are the
whole report (what the CSV streams), and the totals, channels, counts and chart are every invoice's figures added
up as the report always added them; worked out here in Python, from each invoice of every channel."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from billing import services as billing
from directory import services
from directory.services import CHANNELS, Part, Scope, SpendRow
from frameworks import services as frameworks
from kernel.clock import uk_today
from kernel.extensions import db
from organisations.models import Consortium, Member, Organisation
from tests import factories
from tests.frameworks.conftest import call_off, make_framework
from tests.reports.conftest import deliver_pool, goods_line
from tests.trading.conftest import slot_times
from trading import services as trading
from trading.models import ListingKind


@dataclass
class Expected:
    totals: SpendRow
    channels: list[SpendRow]
    rows: list[SpendRow]
    suppliers: list[SpendRow]
    chart: list[SpendRow]


def expected(scope: Scope) -> Expected:
    """The report from the scope's invoices one by one: each consortium's (platform) or member's spend and social
    spend, by name in the database's order of names then id; each social enterprise's, most first then by name
    and id as Python sorts them; the chart's rows most social spend first, then by name."""
    facts = services._spend_facts()  # one row per invoice of any channel: the report's input, not its sums
    within = {"member": facts.c.member_id, "network": facts.c.network_id, "consortium": facts.c.consortium_id}
    query = select(facts) if scope.kind == "platform" else select(facts).where(within[scope.kind] == scope.id)
    by_row: dict[int, tuple[int, int]] = {}
    by_channel = {key: (0, 0) for key in CHANNELS}
    by_supplier: dict[int, int] = {}
    for fact in db.session.execute(query):
        social = fact.spend_pence if fact.buy_social else 0
        row_id = fact.consortium_id if scope.kind == "platform" else fact.member_id
        spent, with_social = by_row.get(row_id, (0, 0))
        by_row[row_id] = (spent + fact.spend_pence, with_social + social)
        spent, with_social = by_channel[fact.channel]
        by_channel[fact.channel] = (spent + fact.spend_pence, with_social + social)
        if fact.buy_social:
            by_supplier[fact.seller_organisation_id] = (
                by_supplier.get(fact.seller_organisation_id, 0) + fact.spend_pence
            )
    if scope.kind == "platform":
        named = select(Consortium.id, Consortium.name).order_by(Consortium.name, Consortium.id)
    else:
        named = (
            select(Member.id, Organisation.legal_name).join(Organisation).order_by(Organisation.legal_name, Member.id)
        )
    rows = [SpendRow(str(key), name, *by_row[key]) for key, name in db.session.execute(named) if key in by_row]
    sellers = select(Organisation.id, Organisation.legal_name).where(Organisation.id.in_(by_supplier))
    suppliers = sorted(
        (SpendRow(str(key), name, by_supplier[key], by_supplier[key]) for key, name in db.session.execute(sellers)),
        key=lambda row: (-row.spend_pence, row.label, int(row.key)),
    )
    return Expected(
        SpendRow("total", "Total", sum(r.spend_pence for r in rows), sum(r.social_pence for r in rows)),
        [SpendRow(key, name, *by_channel[key]) for key, name in CHANNELS.items()],
        rows,
        suppliers,
        sorted(rows, key=lambda row: (-row.social_pence, row.label)),  # stable: ties keep the rows' order
    )


@dataclass
class SpendWorld:
    world: factories.World
    scopes: list[Scope]
    buyers: list[Member]  # of our consortium, names repeated and differing only by case or accent
    offers: list  # a social enterprise's or a commercial supplier's, of one price


def _deliver(world, offer, pledges: dict[int, int], buyers: list[Member], national: bool = False) -> list:
    consortia = [world.consortium, world.other_consortium] if national else [world.consortium]
    chosen = [(buyers[n], quantity) for n, quantity in sorted(pledges.items())]
    if national:
        chosen.append((world.other_member, 7))
    return deliver_pool(world.admin, offer, consortia, chosen, uk_today())


@pytest.fixture
def spend_world(directory) -> SpendWorld:
    """Every channel (pools, a framework call-off, a trade between members), a credit note, a commercial supplier,
    another consortium; members and social enterprises whose names repeat or differ only by case, with equal
    spend, so every order is decided by its last key."""
    w = directory.world
    admin = w.admin
    names = ["Same Name CIC", "Same Name CIC", "arbroath Crafts", "Arbroath Crafts", "Ébène Studio", "zeta Works"]
    buyers = [w.member, directory.far, directory.commercial, *(factories.member(w.network, n) for n in names)]
    social = [w.supplier, *(factories.supplier(n) for n in ("Twin Supplies", "Twin Supplies", "bright Print"))]
    social.append(factories.supplier("Bright Print"))
    commercial = factories.supplier("Forth Laptops plc", is_social_enterprise=False)
    offers = [factories.offer(s, name=f"Paper {n}", actor=admin) for n, s in enumerate([*social, commercial])]
    db.session.commit()
    first = _deliver(w, offers[0], {0: 100, 1: 50, 2: 40, 3: 20, 4: 20, 5: 30, 6: 30, 7: 10, 8: 5}, buyers)
    for offer in offers[1:5]:  # four social enterprises with equal spend
        _deliver(w, offer, {8: 10}, buyers)
    _deliver(w, offers[5], {0: 2, 8: 1}, buyers, national=True)
    credited = next(i for i in first if i.member_id == w.member.id)
    billing.issue_credit_note(admin, credited, [billing.CreditItem(goods_line(credited).id, 5)], "Five were damp.")
    made = call_off(w, make_framework(w), 10)
    frameworks.confirm(admin, made.id)
    frameworks.deliver(admin, made.id)
    frameworks.invoice(admin, made.id)
    room = trading.Offer(ListingKind.ROOM, "Riso room", "A room with a risograph.", Decimal("40"))
    listing = trading.create_listing(admin, directory.printer.id, room)
    trading.add_slots(admin, listing, slot_times(5, 1))
    db.session.commit()
    booking = trading.request_booking(w.member_user, trading.Request(listing.id, w.member.id, (listing.slots[0].id,)))
    trading.accept(admin, booking)
    trading.confirm_delivery(admin, booking)
    trading.issue_invoice(admin, booking)
    db.session.commit()
    scopes = [
        Scope("platform", None, "All consortia"),
        Scope("consortium", w.consortium.id, w.consortium.name),
        Scope("consortium", w.other_consortium.id, w.other_consortium.name),
        Scope("network", w.network.id, w.network.name),
        Scope("member", w.member.id, w.member.name),
    ]
    return SpendWorld(w, scopes, buyers, offers)


def pages_end_to_end(scope: Scope, per_page: int) -> tuple[list[SpendRow], list[SpendRow]]:
    """Every page of rows and of suppliers in turn, to one past the last; each with the whole scope's figures."""
    first = services.spend_report(scope, per_page=per_page)
    rows: list[SpendRow] = []
    suppliers: list[SpendRow] = []
    for n in range(1, max(first.rows.pages, first.suppliers.pages) + 2):
        page = services.spend_report(scope, n, n, per_page)
        assert (page.totals, page.channels) == (first.totals, first.channels)
        assert (page.rows.total, page.suppliers.total) == (first.rows.total, first.suppliers.total)
        assert len(page.rows.items) <= per_page and len(page.suppliers.items) <= per_page
        rows += page.rows.items
        suppliers += page.suppliers.items
    return rows, suppliers


def check_scope(scope: Scope, per_page: int, chart_rows: int) -> None:
    want = expected(scope)
    report = services.spend_report(scope, per_page=per_page)
    assert report.totals == want.totals
    assert report.channels == want.channels
    assert (report.rows.total, report.suppliers.total) == (len(want.rows), len(want.suppliers))
    assert pages_end_to_end(scope, per_page) == (want.rows, want.suppliers)
    whole = list(services.spend_in_full(scope))  # the CSV's: every row, in the order it writes them
    assert [figure.part for figure in whole] == sorted(figure.part for figure in whole)
    assert [f.row for f in whole if f.part is not Part.SUPPLIERS] == [
        want.totals,
        *want.channels,
        *want.rows,
        *want.suppliers,
    ]
    assert services.most_social_spend(scope, chart_rows) == want.chart[:chart_rows]


def test_the_pages_of_every_scope_are_the_whole_report(spend_world):
    for scope in spend_world.scopes:
        check_scope(scope, 2, 30)
    ours = spend_world.scopes[1]
    suppliers = [row.label for row in services.spend_report(ours).suppliers.items]
    assert suppliers[1:5] == ["Bright Print", "Twin Supplies", "Twin Supplies", "bright Print"]  # equal spend
    chart = [(row.label, row.key) for row in services.most_social_spend(ours, 30)]
    arbroath, same = [w.id for w in spend_world.buyers[5:7]], [w.id for w in spend_world.buyers[3:5]]
    assert chart[4:8] == [  # equal social spend: by name as Python sorts it, then by id
        ("Arbroath Crafts", str(arbroath[1])),
        ("arbroath Crafts", str(arbroath[0])),
        ("Same Name CIC", str(same[0])),
        ("Same Name CIC", str(same[1])),
    ]


deliveries = st.lists(
    st.tuples(
        st.integers(0, 5),  # which offer: one of five social enterprises' or the commercial supplier's
        st.dictionaries(st.integers(0, 8), st.integers(1, 600), min_size=1, max_size=5),  # buyer -> quantity
        st.booleans(),  # national, with another consortium's member
    ),
    min_size=1,
    max_size=2,
)


# The world is built once for the test and grows with each example's deliveries: so much the better, each example
# checks its scope's pages over more invoices.
@given(more=deliveries, scope=st.integers(0, 4), per_page=st.integers(1, 6), chart_rows=st.integers(1, 12))
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_pages_of_any_size_are_the_whole_report_however_the_invoices_fall(
    spend_world, more, scope, per_page, chart_rows
):
    for offer, pledges, national in more:
        _deliver(spend_world.world, spend_world.offers[offer], pledges, spend_world.buyers, national)
    check_scope(spend_world.scopes[scope], per_page, chart_rows)
