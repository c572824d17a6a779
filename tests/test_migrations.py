"""The migrations build exactly the schema the models describe, on every backend."""

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from app.factory import create_app
from catalogue.models import Category
from kernel.extensions import db
from tests.conftest import BACKENDS, TEST_CONFIG, make_throwaway_database

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
