"""Savings reports for a member, a network, a consortium or the platform, and volume reports for a supplier.

Every figure is summed from one GROUP BY over `facts.invoice_facts()`, so a report costs the same
handful of queries however many invoices it covers, and the figures add up to the invoices.
"""

from dataclasses import dataclass, field
from typing import Any

from flask import abort
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    SQLColumnExpression,
    Subquery,
    case,
    func,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from catalogue.models import Category, Offer
from kernel.extensions import db
from orders.models import Pledge, Pool, PoolStatus
from organisations.models import Consortium, Member, Network, Organisation, Supplier, User
from rebates.models import RebateAgreement, RebateShare, RebateStatus, ShareRoute
from reports.facts import invoice_facts
from reports.figures import Figures, month_key, monthly, rollup, total
from shared_services.models import Participation, ServicePool, ServicePoolStatus

KINDS = ("member", "network", "consortium", "platform")
CHILD_OF = {"platform": "consortium", "consortium": "network", "network": "member"}


@dataclass(frozen=True)
class Scope:
    """Whose figures: `kind` is one of KINDS; the platform has no id."""

    kind: str
    id: int | None
    name: str
    consortium_id: int | None = None
    network_id: int | None = None

    @property
    def child_kind(self) -> str | None:
        return CHILD_OF.get(self.kind)

    @property
    def title(self) -> str:
        return "The whole platform" if self.kind == "platform" else f"{self.name} ({self.kind})"


# Who sees what: a member's users their member; a secretary their consortium, its networks and members;
# an admin everything. Another organisation's report is answered 404, as elsewhere.


def can_see_platform(user: User) -> bool:
    return user.is_admin


def scope_for(user: User, kind: str, scope_id: int | None = None) -> Scope:
    """The scope, if `user` may see it: 403 for the platform to non-admins, 404 for what is not theirs."""
    if kind == "platform":
        if not can_see_platform(user):
            abort(403)
        return Scope("platform", None, "All consortia")
    secretary_of = user.secretary_consortium_ids
    if kind == "consortium":
        consortium = db.session.get(Consortium, scope_id)
        if consortium is None or not (user.is_admin or consortium.id in secretary_of):
            abort(404)
        return Scope("consortium", consortium.id, consortium.name, consortium_id=consortium.id)
    if kind == "network":
        network = db.session.get(Network, scope_id)
        if network is None or not (user.is_admin or network.consortium_id in secretary_of):
            abort(404)
        return Scope("network", network.id, network.name, consortium_id=network.consortium_id, network_id=network.id)
    if kind == "member":
        member = db.session.get(Member, scope_id)
        if member is None or not (
            user.is_admin or member.id in user.member_ids or member.consortium_id in secretary_of
        ):
            abort(404)
        return Scope("member", member.id, member.name, consortium_id=member.consortium_id, network_id=member.network_id)
    abort(404)


def parent_scopes(user: User, scope: Scope) -> list[Scope]:
    """The levels above `scope` that the user may also open, from the top: a way back up from a member's report."""
    parents = []
    if scope.kind == "consortium" and can_see_platform(user):
        parents.append(scope_for(user, "platform"))
    if scope.kind in ("network", "member") and (user.is_admin or scope.consortium_id in user.secretary_consortium_ids):
        if user.is_admin:
            parents.append(scope_for(user, "platform"))
        parents.append(scope_for(user, "consortium", scope.consortium_id))
        if scope.kind == "member":
            parents.append(scope_for(user, "network", scope.network_id))
    return parents


def visible_scopes(user: User) -> list[Scope]:
    """The reports the user's roles open directly (a secretary reaches networks and members from the consortium's)."""
    scopes = [Scope("platform", None, "All consortia")] if user.is_admin else []
    consortium_ids = None if user.is_admin else user.secretary_consortium_ids
    if consortium_ids is None or consortium_ids:
        query = select(Consortium).order_by(Consortium.name)
        if consortium_ids is not None:
            query = query.where(Consortium.id.in_(consortium_ids))
        scopes += [Scope("consortium", c.id, c.name, consortium_id=c.id) for c in db.session.scalars(query)]
    for member in sorted((g.member for g in user.grants if g.member is not None), key=lambda m: m.name):
        scopes.append(
            Scope(
                "member",
                member.id,
                member.name,
                consortium_id=member.consortium_id,
                network_id=member.network_id,
            )
        )
    return scopes


def visible_suppliers(user: User) -> list[Supplier]:
    query = select(Supplier).join(Organisation, Supplier.organisation_id == Organisation.id)
    if not user.is_admin:
        query = query.where(Supplier.id.in_(user.supplier_ids or {-1}))
    return list(db.session.scalars(query.order_by(Organisation.legal_name)))


# Savings


@dataclass(frozen=True)
class Row:
    """One line of a breakdown: `key` identifies it (an id or a month), `label` is what people read."""

    key: str
    label: str
    figures: Figures
    buy_social: bool | None = None


@dataclass
class SavingsReport:
    scope: Scope
    totals: Figures
    by_category: list[Row]
    by_month: list[Row]
    by_supplier: list[Row]
    by_child: list[Row]
    pools_joined: int
    rebates: "RebateFigures" = field(default_factory=lambda: RebateFigures())


@dataclass(frozen=True)
class RebateFigures:
    """Rebates shared to the scope's members. A share credited on an invoice already lowers the spend above
    (a credit note); a share paid to the member does not, so it adds to the saving."""

    credited_pence: int = 0
    paid_pence: int = 0

    @property
    def realised_pence(self) -> int:
        return self.credited_pence + self.paid_pence


def realised_rebates(scope: Scope) -> RebateFigures:
    """What shared rebates gave the scope's members, by how it reached them."""

    def by(route: ShareRoute) -> ColumnElement:
        return func.coalesce(func.sum(case((RebateShare.route == route, RebateShare.share_pence), else_=0)), 0)

    query = (
        select(by(ShareRoute.CREDIT_NOTE), by(ShareRoute.PAYMENT))
        .select_from(RebateShare)
        .join(RebateAgreement, RebateAgreement.id == RebateShare.rebate_agreement_id)
        .where(RebateAgreement.status == RebateStatus.SHARED)
    )
    credited, paid = db.session.execute(members_of(query, RebateShare.member_id, scope)).one()
    return RebateFigures(int(credited), int(paid))


FIGURE_COLUMNS = ("invoices", "units", "list_value_pence", "spend_pence", "buy_social_pence")


def _sums(facts: Subquery) -> list[ColumnElement]:
    """What a group of facts adds up to, labelled with FIGURE_COLUMNS."""
    buy_social = func.sum(case((facts.c.buy_social.is_(True), facts.c.spend_pence), else_=0))
    sums = [
        func.count(facts.c.invoice_id),
        func.sum(facts.c.units),
        func.sum(facts.c.list_value_pence),
        func.sum(facts.c.spend_pence),
        buy_social,
    ]
    return [value.label(name) for value, name in zip(sums, FIGURE_COLUMNS, strict=True)]


def _figures(values) -> Figures:
    invoices, units, list_value, spend, buy_social = values
    return Figures(int(invoices or 0), int(units or 0), int(list_value or 0), int(spend or 0), int(buy_social or 0))


def _within(facts: Subquery, scope: Scope) -> list[ColumnElement]:
    column = {"member": facts.c.member_id, "network": facts.c.network_id, "consortium": facts.c.consortium_id}
    return [] if scope.kind == "platform" else [column[scope.kind] == scope.id]


CHILD_ID = {"consortium": "consortium_id", "network": "network_id", "member": "member_id"}


def _child_names(child_id: SQLColumnExpression[Any], scope: Scope) -> tuple[list[Any], list[tuple[Any, Any]]]:
    """The id and name of the scope's child (consortium, network or member) that `child_id` names, and their joins."""
    if scope.child_kind == "consortium":
        return [Consortium.id, Consortium.name], [(Consortium, Consortium.id == child_id)]
    if scope.child_kind == "network":
        return [Network.id, Network.name], [(Network, Network.id == child_id)]
    member_organisation = aliased(Organisation)
    return [Member.id, member_organisation.legal_name], [
        (Member, Member.id == child_id),
        (member_organisation, member_organisation.id == Member.organisation_id),
    ]


@dataclass(frozen=True)
class _Cell:
    """The scope's invoices of one category, month and supplier, summed: what those breakdowns add up."""

    category: tuple[int, str, int]
    month: str
    supplier: tuple[int, str, bool]
    figures: Figures


def _breakdowns(facts: Subquery, scope: Scope) -> tuple[list[_Cell], list[Row]]:
    """The scope's facts in one statement: grouped once (a CTE) by category, month, supplier and child, the finest
    grain the report shows, so the database works the facts out once; from that, the cells by category, month and
    supplier, that the report's breakdowns add up, and the figures of each child (consortium, network or member),
    summed apart so that a network's thousands of members are not crossed with its categories and months."""
    ids = [facts.c.category_id, facts.c.year, facts.c.month, facts.c.supplier_id]
    child_id = facts.c[CHILD_ID[scope.child_kind]].label("child_id") if scope.child_kind else None
    grouped = [*ids, child_id] if child_id is not None else ids
    cells = select(*grouped, *_sums(facts)).where(*_within(facts, scope)).group_by(*grouped).cte("cells")
    summed = [func.sum(cells.c[column]) for column in FIGURE_COLUMNS]
    supplier_organisation = aliased(Organisation)
    names = [
        Category.id,
        Category.name,
        Category.position,
        cells.c.year,
        cells.c.month,
        Supplier.id,
        supplier_organisation.legal_name,
        supplier_organisation.is_social_enterprise,
    ]
    query: Select | CompoundSelect = (
        select(*names, null(), null(), *summed)
        .select_from(cells)
        .join(Category, Category.id == cells.c.category_id)
        .join(Supplier, Supplier.id == cells.c.supplier_id)
        .join(supplier_organisation, supplier_organisation.id == Supplier.organisation_id)
        .group_by(*names)
    )
    if child_id is not None:
        child, joins = _child_names(cells.c.child_id, scope)
        by_child = select(*(null() for _ in names), *child, *summed).select_from(cells)
        for target, on in joins:
            by_child = by_child.join(target, on)
        query = union_all(query, by_child.group_by(*child))
    grain, children = [], []
    for row in db.session.execute(query).all():
        figures = _figures(row[-len(summed) :])
        if row[8] is None:  # no child: a cell
            grain.append(
                _Cell((row[0], row[1], row[2]), month_key(row[3], row[4]), (row[5], row[6], bool(row[7])), figures)
            )
        else:
            children.append(Row(str(row[8]), row[9], figures))
    return grain, children


@dataclass(frozen=True)
class Joined:
    """What the scope's members joined: pools that went ahead or are open in which one holds a pledge (not
    withdrawn), and shared-service pools (open, active or ended) in which one takes part in some period."""

    pools: int
    shared_services: int

    @property
    def total(self) -> int:
        return self.pools + self.shared_services


def joined(scope: Scope) -> Joined:
    """Both counts in one statement, each pool asked whether one of the scope's members is in it: a network's
    members hold tens of thousands of pledges and participations between them, and only a few pools."""
    pledged = select(Pledge.id).where(Pledge.pool_id == Pool.id, Pledge.quantity > 0)
    pools = (
        select(func.count())
        .select_from(Pool)
        .where(
            Pool.status.not_in([PoolStatus.DRAFT, PoolStatus.CANCELLED]),
            members_of(pledged, Pledge.member_id, scope).exists(),
        )
    )
    taking_part = select(Participation.id).where(
        Participation.service_pool_id == ServicePool.id,
        or_(Participation.left_after.is_(None), Participation.left_after >= Participation.joined_from),
    )
    shared = (
        select(func.count())
        .select_from(ServicePool)
        .where(
            ServicePool.status.not_in([ServicePoolStatus.DRAFT, ServicePoolStatus.CANCELLED]),
            members_of(taking_part, Participation.member_id, scope).exists(),
        )
    )
    pools_count, shared_count = db.session.execute(select(pools.scalar_subquery(), shared.scalar_subquery())).one()
    return Joined(pools_count or 0, shared_count or 0)


def members_of(query: Select, member_id: SQLColumnExpression[Any], scope: Scope) -> Select:
    """`query` kept to the scope's members, `member_id` being the column that names the member."""
    if scope.kind == "member":
        return query.where(member_id == scope.id)
    if scope.kind == "platform":
        return query
    query = query.join(Member, Member.id == member_id)
    if scope.kind == "network":
        return query.where(Member.network_id == scope.id)
    return query.join(Network, Network.id == Member.network_id).where(Network.consortium_id == scope.id)


def savings_report(scope: Scope) -> SavingsReport:
    """Spend, list value and saving by category, month, supplier and the scope's networks, members or consortia."""
    cells, by_child = _breakdowns(invoice_facts(), scope)
    categories = {c.category[0]: c.category for c in cells}
    by_category = [
        Row(str(key), categories[key][1], figures)
        for key, figures in sorted(
            rollup(cells, lambda c: c.category[0], lambda c: c.figures).items(),
            key=lambda item: (categories[item[0]][2], categories[item[0]][1]),
        )
    ]
    months = rollup(cells, lambda c: c.month, lambda c: c.figures)
    suppliers = {c.supplier[0]: c.supplier for c in cells}
    by_supplier = [
        Row(str(key), suppliers[key][1], figures, buy_social=suppliers[key][2])
        for key, figures in rollup(cells, lambda c: c.supplier[0], lambda c: c.figures).items()
    ]
    return SavingsReport(
        scope,
        total(r.figures for r in by_category),
        by_category,
        [Row(m, month_label(m), f) for m, f in monthly(months, Figures())],
        sorted(by_supplier, key=lambda r: (r.label, int(r.key))),
        sorted(by_child, key=lambda r: (r.label, int(r.key))),
        joined(scope).total,
        realised_rebates(scope),
    )


def savings_totals(scope: Scope) -> Figures:
    """The scope's figures summed up, as its savings report's totals (the same facts, sums and scope) with none
    of its breakdowns: what the impact report shows."""
    facts = invoice_facts()
    return _figures(db.session.execute(select(*_sums(facts)).where(*_within(facts, scope))).one())


MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def month_label(key: str) -> str:
    return f"{MONTH_NAMES[int(key[5:]) - 1]} {key[:4]}"


# A supplier's volume and value


@dataclass(frozen=True)
class SupplierCell:
    """Units and value of one offer sold in one consortium in one month."""

    consortium_id: int
    consortium: str
    offer_id: int
    offer: str
    unit: str
    month: str
    invoices: int
    units: int
    value_pence: int

    @property
    def figures(self) -> Figures:
        return Figures(self.invoices, self.units, 0, self.value_pence)


@dataclass
class SupplierReport:
    supplier: Supplier
    cells: list[SupplierCell]

    @property
    def totals(self) -> Figures:
        return total(c.figures for c in self.cells)

    @property
    def by_consortium(self) -> list[Row]:
        names = {c.consortium_id: c.consortium for c in self.cells}
        sums = rollup(self.cells, lambda c: c.consortium_id, lambda c: c.figures)
        return sorted((Row(str(k), names[k], f) for k, f in sums.items()), key=lambda r: r.label)

    @property
    def by_month(self) -> list[Row]:
        sums = rollup(self.cells, lambda c: c.month, lambda c: c.figures)
        return [Row(m, month_label(m), f) for m, f in monthly(sums, Figures())]

    @property
    def by_offer(self) -> list[Row]:
        names = {c.offer_id: f"{c.offer} (per {c.unit})" for c in self.cells}
        sums = rollup(self.cells, lambda c: c.offer_id, lambda c: c.figures)
        return sorted((Row(str(k), names[k], f) for k, f in sums.items()), key=lambda r: r.label)


def supplier_report(supplier: Supplier) -> SupplierReport:
    """What members were invoiced for the supplier's goods and delivery (not the consortia's fees), net of VAT."""
    facts = invoice_facts()
    rows = db.session.execute(
        select(
            Consortium.id,
            Consortium.name,
            Offer.id,
            Offer.name,
            Offer.unit,
            facts.c.year,
            facts.c.month,
            func.count(facts.c.invoice_id),
            func.sum(facts.c.units),
            func.sum(facts.c.supplier_pence),
        )
        .select_from(facts)
        .join(Consortium, Consortium.id == facts.c.consortium_id)
        .join(Offer, Offer.id == facts.c.offer_id)
        .where(facts.c.supplier_id == supplier.id)
        .group_by(Consortium.id, Consortium.name, Offer.id, Offer.name, Offer.unit, facts.c.year, facts.c.month)
        .order_by(facts.c.year, facts.c.month, Consortium.name, Offer.name)
    )
    cells = [
        SupplierCell(r[0], r[1], r[2], r[3], r[4], month_key(r[5], r[6]), int(r[7]), int(r[8] or 0), int(r[9] or 0))
        for r in rows
    ]
    return SupplierReport(supplier, cells)
