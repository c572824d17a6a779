"""The database base, its column types and the Flask extensions, created unbound and bound by create_app."""

import enum
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import DateTime, Enum, MetaData, Table, TypeDecorator, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, mapped_column

from kernel import words
from kernel.clock import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # SQLAlchemy types a mapped class's __table__ as any FromClause (a class may be mapped to a join or
        # a select); every model here is declared on its own Table, so checkers see that Table.
        __table__: ClassVar[Table]


class UTCDateTime(TypeDecorator):
    """Stores UTC and always hands back aware datetimes, so SQLite and PostgreSQL agree."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


db = SQLAlchemy(model_class=Base)

# The models' base class. At run time it is db.Model, which Flask-SQLAlchemy builds from Base's own body
# (the same registry and metadata) plus its table naming (a model's snake_case class name) and bind mixins.
# Type checkers cannot take a base class from an instance's attribute (python/mypy#8603), so they check the
# models as what they are to SQLAlchemy: subclasses of the typed declarative Base.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite enforces foreign keys and lets readers run beside the writer only when asked."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


@event.listens_for(Engine, "connect")
def _postgresql_without_jit(dbapi_connection, connection_record):
    """PostgreSQL compiles a statement it costs above jit_above_cost to machine code first: 15 to 20 ms that a
    dashboard's 30 ms statement over thousands of pools never wins back (bench/demand.py). The app runs many
    short statements and no long analytic ones, so it asks for none."""
    if type(dbapi_connection).__module__.startswith("psycopg"):
        dbapi_connection.execute("SET jit = off")
        dbapi_connection.commit()


def upsert(model):
    """INSERT ... ON CONFLICT for the session's database (PostgreSQL or SQLite)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise RuntimeError(f"No upsert for {dialect}")


def enum_column(enum_cls: type[enum.Enum]) -> Enum:
    """Enums stored as their values in a VARCHAR, portable across SQLite and PostgreSQL."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


intpk = Annotated[int, mapped_column(primary_key=True)]


def plural_of_unit(context: Any) -> str:
    """Column default of a `unit_plural` written without one: the usual plural of the row's `unit`."""
    return words.plural(context.get_current_parameters()["unit"])


created_at = Annotated[datetime, mapped_column(UTCDateTime, default=utcnow, nullable=False)]
