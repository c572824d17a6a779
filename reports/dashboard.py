"""The dashboard's figures that span billing and pools: a member's saving this year, the admin's platform
totals and the consortia needing attention (see orders.dashboard for the sections' shape)."""

from collections import defaultdict

from flask import url_for
from sqlalchemy import func, select

from billing.models import Invoice, Payment
from billing.services import UNPAID_STATUSES
from kernel.clock import uk_today, utcnow
from kernel.extensions import db
from kernel.formatting import pounds
from kernel.navigation import Entry, Todo
from kernel.sql_figures import line_pence_sql
from orders.models import Pool, PoolStatus, pool_consortium
from orders.prices import with_standing
from organisations.models import Consortium, Member, User
from reports.facts import invoice_facts


def member_todos(user: User) -> list[Todo]:
    """What the user's members saved against list prices on this calendar year's invoices (credit notes net)."""
    todos = []
    year = uk_today().year
    facts = invoice_facts()
    for grant in user.grants:
        if grant.member is None:
            continue
        invoices, list_value, spend = db.session.execute(
            select(
                func.count(facts.c.invoice_id), func.sum(facts.c.list_value_pence), func.sum(facts.c.spend_pence)
            ).where(facts.c.member_id == grant.member_id, facts.c.year == year)
        ).one()
        saving = int(list_value or 0) - int(spend or 0)
        todos.append(
            Todo(
                "member.saving_this_year",
                "member",
                f"{grant.member.name}: saving in {year}",
                int(invoices or 0),
                url_for("reports.member", member_id=grant.member_id),
                "See the savings report",
                amount_pence=saving,
                text=f"{pounds(saving)} saved against list prices on {invoices or 0} invoice"
                f"{'' if invoices == 1 else 's'} this year, net of VAT and credit notes.",
                tone="success" if saving > 0 else "info",
                order=14,
            )
        )
    return todos


def pledged_value_pence() -> int:
    """Open pools' pledged units at the price each stands at, every pool priced and summed in one statement
    (`orders.prices.with_standing`, held to the Python pricing by tests/orders/test_demand.py)."""
    priced = with_standing(select(Pool.id).where(Pool.status == PoolStatus.OPEN)).subquery()
    value = func.sum(line_pence_sql(priced.c.standing_units, priced.c.unit_price))
    return int(db.session.scalar(select(func.coalesce(value, 0))) or 0)


def admin_todos(user: User) -> list[Todo]:
    if not user.is_admin:
        return []
    today = uk_today()
    start = today.replace(month=1, day=1)
    consortia = db.session.scalar(select(func.count()).select_from(Consortium).where(Consortium.active)) or 0
    members = db.session.scalar(select(func.count()).select_from(Member).where(Member.active)) or 0
    open_pools = db.session.scalar(select(func.count()).where(Pool.status == PoolStatus.OPEN)) or 0
    invoiced = db.session.scalar(select(func.sum(Invoice.total_pence)).where(Invoice.issue_date >= start)) or 0
    paid = db.session.scalar(select(func.sum(Payment.amount_pence)).where(Payment.received_on >= start)) or 0
    pledged = pledged_value_pence()
    figures = [
        Entry("Consortia", url_for("admin.list_records", section_name="consortia"), f"{consortia:,}"),
        Entry("Members", url_for("admin.list_records", section_name="members"), f"{members:,}"),
        Entry("Open pools", url_for("orders.list_pools"), f"{open_pools:,}"),
        Entry("Pledged in open pools", url_for("orders.list_pools"), pounds(pledged)),
        Entry(f"Invoiced in {today.year}", url_for("reports.platform"), pounds(invoiced)),
        Entry(f"Paid in {today.year}", url_for("reports.platform"), pounds(paid)),
    ]
    attention = _consortia_needing_attention(today)
    return [
        Todo(
            "admin.platform",
            "admin",
            "The platform",
            open_pools,
            url_for("reports.platform"),
            "See the platform report",
            figures,
            amount_pence=pledged,
            text="Consortia, members and open pools now; invoices and payments since 1 January.",
            order=40,
        ),
        Todo(
            "admin.consortia_needing_attention",
            "admin",
            "Consortia needing attention",
            len(attention),
            url_for("admin.list_records", section_name="consortia"),
            "See the consortia",
            attention[:5],
            text="Overdue invoices, or open pools whose deadline has passed.",
            tone="warning" if attention else "success",
            order=41,
        ),
    ]


def _consortia_needing_attention(today) -> list[Entry]:
    """Consortia with overdue invoices or open pools past their deadline: two grouped statements and their names."""
    overdue: dict[int, int] = defaultdict(int)
    for consortium_id, count in db.session.execute(
        select(Invoice.consortium_id, func.count())
        .where(Invoice.status.in_(UNPAID_STATUSES), Invoice.due_date < today)
        .group_by(Invoice.consortium_id)
    ):
        overdue[consortium_id] = count
    late: dict[int, int] = defaultdict(int)
    for consortium_id, count in db.session.execute(
        select(pool_consortium.c.consortium_id, func.count())
        .join(Pool, Pool.id == pool_consortium.c.pool_id)
        .where(Pool.status == PoolStatus.OPEN, Pool.deadline <= utcnow())
        .group_by(pool_consortium.c.consortium_id)
    ):
        late[consortium_id] = count
    ids = set(overdue) | set(late)
    if not ids:
        return []
    names = {
        row.id: row.name
        for row in db.session.execute(select(Consortium.id, Consortium.name).where(Consortium.id.in_(ids)))
    }
    entries = []
    for consortium_id in sorted(ids, key=lambda i: names[i]):
        said = []
        if overdue[consortium_id]:
            said.append(f"{overdue[consortium_id]} overdue invoice{'' if overdue[consortium_id] == 1 else 's'}")
        if late[consortium_id]:
            said.append(f"{late[consortium_id]} pool{'' if late[consortium_id] == 1 else 's'} past the deadline")
        entries.append(
            Entry(
                names[consortium_id],
                url_for("billing.billing_page", consortium_id=consortium_id, status="overdue"),
                ", ".join(said),
                "warning",
            )
        )
    return entries


def todos(user: User) -> list[Todo]:
    return member_todos(user) + admin_todos(user)
