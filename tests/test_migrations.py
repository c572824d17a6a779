"""The migrations build exactly the schema the models describe, on every backend."""

from datetime import date, timedelta
from decimal import Decimal

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from app.factory import create_app
from billing import services as billing
from billing.models import LineKind
from catalogue.models import Category, VatRate
from kernel.clock import utcnow
from kernel.extensions import db
from tests.billing.test_kept_figures import kept, summed_from_lines
from tests.conftest import BACKENDS, TEST_CONFIG, make_throwaway_database
from tests.factories import World

CATEGORY_SLUGS = {
    "marketing-pr",
    "stationery",
    "professional-fees",
    "utilities",
    "hr-services",
    "it-services",
    "accountancy",
}


@pytest.fixture(params=BACKENDS)
def empty_app(request, tmp_path_factory):
    """An app on a new, empty database (no create_all): only migrations build its schema."""
    url, drop = make_throwaway_database(request.param, tmp_path_factory)
    app = create_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    drop()


def schema_differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": False})
        return compare_metadata(context, db.metadata)


def test_upgrade_builds_the_models_schema_and_seeds_the_categories(empty_app):
    flask_migrate.upgrade()
    assert schema_differences() == []
    assert set(db.session.scalars(select(Category.slug))) == CATEGORY_SLUGS


def test_downgrade_to_base_and_upgrade_again(empty_app):
    flask_migrate.upgrade()
    flask_migrate.downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    flask_migrate.upgrade()
    assert schema_differences() == []
    assert db.session.scalar(select(db.func.count()).select_from(Category)) == len(CATEGORY_SLUGS)


def test_upgrade_holds_the_prices_of_pools_that_opened_before_it(empty_app):
    """Pools open when pools began to hold their prices take their offer's; a draft still follows its offer."""
    flask_migrate.upgrade(revision="3f8a2c6e9b14")
    world = World.build()
    db.session.commit()
    offer_id = old_offer(world, "ream", tiers=((10, "22.00"), (50, "20.00"), (200, "18.50")))
    for status, opened_at in (("open", utcnow()), ("draft", None)):
        db.session.execute(
            text(
                "INSERT INTO pool (offer_id, is_national, created_by_id, created_at, opened_at, status, deadline, "
                "minimum_quantity, delivery_charge_pence, solidarity_rate_percent, pledged_quantity, "
                "pledged_flexible, member_count) VALUES (:offer, false, :user, :now, :opened, :status, :deadline, "
                "1, 0, 0, 0, 0, 0)"
            ),
            {
                "offer": offer_id,
                "user": world.admin.id,
                "now": utcnow(),
                "opened": opened_at,
                "status": status,
                "deadline": utcnow() + timedelta(days=7),
            },
        )
    db.session.commit()

    flask_migrate.upgrade()
    held = db.session.execute(text("SELECT status, held_list_price FROM pool ORDER BY status")).all()
    assert [(status, price) for status, price in held] == [("draft", None), ("open", Decimal("25.0000"))]
    tiers = db.session.execute(
        text("SELECT min_quantity, unit_price FROM pool_tier JOIN pool ON pool.id = pool_tier.pool_id ORDER BY 1")
    ).all()
    assert [(q, Decimal(p)) for q, p in tiers] == [(10, Decimal(22)), (50, Decimal(20)), (200, Decimal("18.5"))]


def old_offer(world: World, unit: str, tiers=()) -> int:
    """An offer written as the schema before the unit's plural had it (the models now have more columns)."""
    offer_id = db.session.execute(
        text(
            "INSERT INTO offer (supplier_id, category_id, name, unit, pack_size, vat_rate, list_price, "
            "minimum_order_quantity, lead_time_days, active, created_at, updated_at) VALUES (:supplier, "
            "(SELECT id FROM category WHERE slug = 'stationery'), :name, :unit, 1, 'standard', 25, 1, 0, true, "
            ":now, :now) RETURNING id"
        ),
        {"supplier": world.supplier.id, "name": f"Offer in {unit}", "unit": unit, "now": utcnow()},
    ).scalar_one()
    for quantity, price in tiers:
        db.session.execute(
            text("INSERT INTO price_tier (offer_id, min_quantity, unit_price) VALUES (:offer, :quantity, :price)"),
            {"offer": offer_id, "quantity": quantity, "price": price},
        )
    db.session.commit()
    return offer_id


def test_upgrade_gives_offers_their_units_plural_and_packs_to_units_that_count_themselves(empty_app):
    flask_migrate.upgrade(revision="ebdf57113849")
    world = World.build()
    db.session.commit()
    for unit in ("ream", "kWh", "1,000 leaflets", "box"):
        old_offer(world, unit)

    flask_migrate.upgrade()
    units = db.session.execute(text("SELECT unit, unit_plural FROM offer ORDER BY id")).all()
    assert [tuple(row) for row in units] == [
        ("ream", "reams"),
        ("kWh", "kWh"),
        ("pack of 1,000 leaflets", "packs of 1,000 leaflets"),
        ("box", "boxes"),
    ]


def test_postgresql_refuses_to_update_or_delete_an_audit_entry(empty_app):
    """The trigger the migration makes: the log stays as written whatever client changes the database."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    flask_migrate.upgrade()
    with db.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO audit_entry (at, action, subject, origin) VALUES (now(), 'person_erased', 'User 1', 'x')")
        )
    for statement in ("UPDATE audit_entry SET subject = 'User 2'", "DELETE FROM audit_entry"):
        with pytest.raises(Exception, match="the audit log is kept as written"), db.engine.begin() as connection:
            connection.execute(text(statement))
    with db.engine.connect() as connection:
        assert connection.scalar(text("SELECT subject FROM audit_entry")) == "User 1"


def test_upgrade_gives_invoices_the_figures_their_lines_and_credit_notes_sum_to(empty_app):
    """What issuing keeps on an invoice for the reports, the migration that added it works out for invoices issued
    before: issued here, the figures dropped (downgrade) and added again (upgrade), they come back the same."""
    flask_migrate.upgrade()
    world = World.build()
    lines = [
        billing.LineIn(LineKind.GOODS, "Paper", 40, Decimal("3.8500"), VatRate.STANDARD, 15400),
        billing.LineIn(LineKind.DELIVERY, "Delivery", 1, Decimal("19.99"), VatRate.STANDARD, 1999),
        billing.LineIn(LineKind.HANDLING_FEE, "Handling", 1, Decimal("4.35"), VatRate.STANDARD, 435),
        billing.LineIn(LineKind.SERVICE, "HR line", 3, Decimal("25.0000"), VatRate.EXEMPT, 7500),
    ]
    invoices = [
        billing.issue_invoice(world.admin, world.consortium, member.id, lines, "Before", date(2026, 3, 1))
        for member in (world.member, world.other_member)
    ]
    paper, *_ = invoices[0].lines
    billing.issue_credit_note(world.admin, invoices[0], [billing.CreditItem(paper.id, 7)], "Seven damp")
    billing.issue_price_credit(world.admin, invoices[0], 250, VatRate.STANDARD, "Rebate", "Rebate")
    billing.issue_credit_note(world.admin, invoices[1], billing.full_credit(invoices[1]), "Cancelled")
    db.session.commit()
    expected = kept()
    assert expected == summed_from_lines() and all(any(figures) for figures in expected.values())
    db.session.remove()

    flask_migrate.downgrade(revision="5b7e2c9d4a16")  # the revision before invoices kept these figures
    flask_migrate.upgrade()
    assert kept() == expected
