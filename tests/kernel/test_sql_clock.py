"""`kernel.sql_figures.whole_ms_sql` reads a stored instant as the same whole number of milliseconds as
`kernel.clock.whole_ms`, on both databases: rules judged in SQL and in Python (a pool's pace) use one clock."""

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from kernel.clock import whole_ms
from kernel.extensions import UTCDateTime, db
from kernel.sql_figures import whole_ms_sql

_moments = Table("moments", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime))

instants = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)
) | st.sampled_from(
    [
        datetime(2026, 6, 30, 12, 0, tzinfo=UTC),
        datetime(2026, 6, 30, 12, 0, 0, 999, tzinfo=UTC),
        datetime(2026, 6, 30, 12, 0, 0, 999_999, tzinfo=UTC),
        datetime(2026, 6, 30, 12, 0, 0, 1_000, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999_500, tzinfo=UTC),
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moments=st.lists(instants, min_size=1, max_size=8))
def test_the_database_reads_an_instant_as_the_same_whole_milliseconds(app, moments):
    connection = db.session.connection()
    _moments.create(connection, checkfirst=True)
    try:
        connection.execute(insert(_moments), [{"id": i, "at": at} for i, at in enumerate(moments)])
        read = connection.execute(select(_moments.c.id, whole_ms_sql(_moments.c.at)).order_by(_moments.c.id)).all()
        assert [int(ms) for _, ms in read] == [whole_ms(at) for at in moments]
    finally:
        _moments.drop(connection)
        db.session.rollback()


def test_whole_ms_rounds_down_within_the_millisecond():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert whole_ms(start + timedelta(microseconds=999)) == whole_ms(start)
    assert whole_ms(start + timedelta(microseconds=1_000)) == whole_ms(start) + 1
