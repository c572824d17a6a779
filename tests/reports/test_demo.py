"""The demo has a year of invoiced trading, so every report shows twelve months."""

from sqlalchemy import func, select

from billing import demo as billing_demo
from billing.models import CreditNote, Invoice
from catalogue import demo as catalogue_demo
from kernel.extensions import db
from orders import demo as orders_demo
from organisations import demo as people_demo
from organisations.models import Consortium, User
from reports import demo, savings


def _seed_all() -> None:
    people_demo.seed()
    catalogue_demo.seed()
    orders_demo.seed()
    demo.seed()
    billing_demo.seed()
    db.session.commit()


def _counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Invoice)),
        db.session.scalar(select(func.count()).select_from(CreditNote)),
    )


def test_the_demo_has_a_year_of_invoices_numbered_in_date_order_and_seeding_twice_changes_nothing(app):
    _seed_all()
    months = {d.strftime("%Y-%m") for d in db.session.scalars(select(Invoice.issue_date))}
    assert len(months) >= 12
    admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
    platform = savings.savings_report(savings.scope_for(admin, "platform"))
    assert sum(1 for row in platform.by_month if row.figures.invoices) >= 12
    assert len(platform.by_category) >= 6 and platform.totals.saving_pence > 0
    assert 0 < platform.totals.buy_social_pence < platform.totals.spend_pence
    for consortium in db.session.scalars(select(Consortium)):
        report = savings.savings_report(savings.scope_for(admin, "consortium", consortium.id))
        assert sum(1 for row in report.by_month if row.figures.invoices) >= 6, consortium.name
        numbered = db.session.execute(
            select(Invoice.number, Invoice.issue_date).where(Invoice.consortium_id == consortium.id)
        ).all()
        by_number = sorted(numbered, key=lambda row: row.number[-6:])
        assert [row.issue_date for row in by_number] == sorted(row.issue_date for row in numbered)
    counts = _counts()
    assert counts[1] >= 3
    _seed_all()
    assert _counts() == counts
