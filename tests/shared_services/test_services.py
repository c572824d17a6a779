"""Opening, joining, leaving with notice, starting (or cancelling below the minimum) and their history."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kernel.extensions import db
from shared_services import periods, services
from shared_services.models import AllocationKey, Participation, ServicePoolStatus
from tests import factories
from tests.shared_services.conftest import make_pool, next_month, terms


def test_terms_are_checked_field_by_field(world, offer):
    with pytest.raises(ValidationFailed) as error:
        services.create_pool(
            world.secretary,
            offer,
            [world.consortium],
            terms(
                cost_per_period_pence=0,
                term_periods=0,
                start_date=next_month() + timedelta(days=3),
                notice_periods=-1,
                minimum_participants=0,
            ),
        )
    assert set(error.value.fields) == {
        "cost_per_period_pence",
        "term_periods",
        "start_date",
        "notice_periods",
        "minimum_participants",
    }
    with pytest.raises(ValidationFailed) as error:
        services.create_pool(
            world.secretary, offer, [world.consortium], terms(start_date=periods.add_months(next_month(), -1))
        )
    assert "future" in error.value.fields["start_date"][0]


def test_only_admins_open_national_pools_and_secretaries_their_own(world, offer):
    with pytest.raises(Forbidden):
        services.create_pool(world.secretary, offer, [world.consortium, world.other_consortium], terms())
    with pytest.raises(Forbidden):
        services.create_pool(world.secretary, offer, [world.other_consortium], terms())
    national = services.create_pool(world.admin, offer, [world.consortium, world.other_consortium], terms())
    assert national.is_national and not services.can_manage(world.secretary, national)


def test_members_join_until_the_start_and_a_second_join_changes_their_units(world, offer, members):
    pool = make_pool(world.secretary, offer, [world.consortium], allocation_key=AllocationKey.UNITS)
    (_member, user), *_ = members
    with pytest.raises(ValidationFailed) as error:
        services.join(user, pool.id, None)
    assert "units" in error.value.fields
    first = services.join(user, pool.id, 8).participation
    again = services.join(user, pool.id, 12).participation
    db.session.commit()
    assert first.id == again.id and again.units == 12 and again.joined_from == 1
    assert [(c.action, c.old_units, c.new_units) for c in again.changes] == [("join", None, 8), ("change", 8, 12)]
    assert again.changes[0].changed_by.id == user.id


def test_leaving_before_the_start_withdraws_and_joining_again_rejoins(world, pool, members):
    (_member, user), *_ = members
    services.join(user, pool.id)
    withdrawn = services.leave(user, pool.id)
    assert withdrawn.withdrawn and not withdrawn.covers(1)
    with pytest.raises(NotFound):
        services.leave(user, pool.id)
    rejoined = services.join(user, pool.id).participation
    assert rejoined.covers(1) and [c.action for c in rejoined.changes] == ["join", "leave", "join"]


def test_a_draft_takes_no_members_and_other_consortia_do_not_see_the_pool(world, offer, members):
    draft = make_pool(world.secretary, offer, [world.consortium], open_=False)
    with pytest.raises(NotFound):  # a draft is its secretaries' until it opens: its own members do not see it either
        services.join(members[0][1], draft.id)
    from organisations.models import Role
    from tests import factories

    theirs = factories.user(None, (Role.MEMBER, world.other_member.id))
    with pytest.raises(NotFound):
        services.join(theirs, draft.id)


def test_below_the_minimum_at_the_start_the_pool_is_cancelled_and_each_member_told(world, offer, members):
    pool = make_pool(world.secretary, offer, [world.consortium], minimum_participants=3)
    services.join(members[0][1], pool.id)
    services.join(members[1][1], pool.id)
    db.session.commit()
    assert services.start_pool(pool.id, pool.start_date - timedelta(days=1)) is None
    started = services.start_pool(pool.id, pool.start_date)
    db.session.commit()
    assert started.status is ServicePoolStatus.CANCELLED
    assert "Only 2 members joined" in started.cancel_reason
    messages = factories.outbox_messages()
    assert [m.kind for m in messages] == ["shared_service_cancelled"] * 2
    assert {m.to_email for m in messages} == {members[0][1].email, members[1][1].email}
    assert all("Tayside" in m.body_text and started.cancel_reason in m.body_text for m in messages)
    assert services.start_pool(pool.id, pool.start_date) is None


def test_a_secretary_cancels_an_open_pool_with_a_reason_and_members_are_told(world, pool, members):
    services.join(members[0][1], pool.id)
    with pytest.raises(ValidationFailed):
        services.cancel_pool(world.secretary, pool, " ")
    services.cancel_pool(world.secretary, pool, "The agency could not take us on.")
    db.session.commit()
    [message] = factories.outbox_messages()
    assert message.to_email == members[0][1].email
    assert message.dedupe_key == f"shared_service_cancelled:{pool.id}:{members[0][0].id}:u{members[0][1].id}"
    assert "The agency could not take us on." in message.body_html
    with pytest.raises(Conflict):
        services.cancel_pool(world.secretary, pool, "Again")


def test_after_the_start_members_join_from_the_next_period_and_leave_with_notice(world, pool, members):
    (first, first_user), (second, second_user), (third, third_user) = members
    services.join(first_user, pool.id)
    services.join(second_user, pool.id)
    services.start_pool(pool.id, pool.start_date)
    assert pool.status is ServicePoolStatus.ACTIVE
    in_period_2 = periods.period_start(pool.start_date, 1, 2) + timedelta(days=9)

    late = services.join(third_user, pool.id, today=in_period_2).participation
    assert late.joined_from == 3
    with pytest.raises(Conflict):
        services.join(first_user, pool.id, today=in_period_2)

    with pytest.raises(ValidationFailed) as error:
        services.leave(first_user, pool.id, after_period=2, today=in_period_2)
    assert "after_period" in error.value.fields
    leaving = services.leave(first_user, pool.id, today=in_period_2)
    assert leaving.left_after == 3  # the current period 2 plus one period of notice
    assert [s.member_id for s in services.period_shares(pool, 4)] == [second.id, third.id]
    assert [s.member_id for s in services.period_shares(pool, 3)] == [first.id, second.id, third.id]
    with pytest.raises(Conflict):
        services.leave(first_user, pool.id, after_period=4, today=in_period_2)


def test_shares_this_period_and_next_follow_the_key(world, pool, members):
    (first, user), (second, second_user), _ = members
    services.join(user, pool.id)
    services.join(second_user, pool.id)
    shares = services.member_shares(pool, [first, second], today=pool.start_date - timedelta(days=1))
    # headcounts 10 and 3 share £1,000.00: 769.23 and 230.77
    assert [(s.this_period, s.this_pence, s.next_pence) for s in shares] == [(1, 76_923, 76_923), (1, 23_077, 23_077)]


# Who takes part: each with a headcount (0 too), units, ours or the other consortium's, from and until a period.
participants = st.lists(
    st.tuples(
        st.integers(0, 3), st.integers(1, 4), st.booleans(), st.integers(1, 4), st.one_of(st.none(), st.integers(0, 4))
    ),
    min_size=1,
    max_size=9,
)


@given(key=st.sampled_from(AllocationKey), cost=st.integers(1, 5_000), people=participants)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_projected_shares_and_the_calendar_are_the_billing_split_to_the_penny(world, offer, key, cost, people):
    """Members of two consortia joining and leaving at any periods, weighed by any key: the shares the pool page
    shows, a member's own and each consortium's part on its calendar are, period by period, what billing's split
    of that period's participants (`period_shares`, one share each) gives, to the penny."""
    pool = make_pool(
        world.admin,
        offer,
        [world.consortium, world.other_consortium],
        allocation_key=key,
        cost_per_period_pence=cost,
        term_periods=5,
    )
    members = []
    for headcount, units, ours, joined_from, left_after in people:
        member = factories.member(world.network if ours else world.other_network, headcount=headcount)
        left = None if left_after is None else max(left_after, joined_from - 1)
        db.session.add(
            Participation(
                service_pool_id=pool.id, member_id=member.id, units=units, joined_from=joined_from, left_after=left
            )
        )
        members.append(member)
    db.session.commit()
    everyone = services.participations(pool)
    projected = services.projection(pool)
    calendars = {
        consortium.id: next(e for e in services.calendar(consortium).items if e.pool.id == pool.id)
        for consortium in (world.consortium, world.other_consortium)
    }
    for period in range(1, pool.term_periods + 1):
        billing = {s.member_id: s.pence for s in services.period_shares(pool, period, everyone)}
        assert {p.member_id: projected.share(period, p) for p in everyone} == {
            p.member_id: billing.get(p.member_id) for p in everyone
        }
        assert (projected.count(period), projected.total(period)) == (len(billing), sum(billing.values()))
        for consortium_id, entry in calendars.items():
            ours = {m.id: pence for m in members if m.consortium_id == consortium_id and (pence := billing.get(m.id))}
            shown = entry.periods[period - 1]
            assert (shown.period, shown.cost_pence, shown.consortium_pence, shown.invoice_count) == (
                period,
                cost if billing else 0,
                sum(ours.values()),
                len(ours),
            )
    before_start = pool.start_date - timedelta(days=1)
    first, second = ({s.member_id: s.pence for s in services.period_shares(pool, n, everyone)} for n in (1, 2))
    assert [(s.this_pence, s.next_pence) for s in services.member_shares(pool, members, before_start)] == [
        (first.get(m.id), second.get(m.id)) for m in members
    ]
    services.cancel_pool(world.admin, pool, "Examined.")  # off the calendars, which list 20 pools a page
    db.session.commit()
