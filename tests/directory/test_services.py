"""The directory's services against the database: skills and gaps, verification and its lapse, search, enquiries,
reminders and the spend with social enterprises."""

from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.exceptions import NotFound

from directory import services
from directory.levels import SkillLevel
from directory.models import EnquiryStatus, Outcome
from frameworks import services as frameworks
from kernel.clock import uk_today
from kernel.errors import Conflict, Forbidden, ValidationFailed
from kernel.extensions import db
from organisations.models import Role
from tests import factories
from tests.frameworks.conftest import call_off, make_framework
from tests.library.conftest import PDF
from tests.reports.conftest import deliver_pool


def _verify(directory, member, days: int = 90, **criteria):
    check = services.Check(
        criteria.get("asset_lock", True),
        criteria.get("mission", True),
        criteria.get("reinvestment", True),
        "Articles: asset lock in clause 4",
        uk_today() + timedelta(days=days),
    )
    made = services.verify(directory.world.secretary, member, check)
    db.session.commit()
    return made


def _found(user, **search) -> list[str]:
    return [m.name for m in db.session.scalars(services.directory_query(user, services.Search(**search)))]


# Skills


def test_a_members_people_record_skills_and_the_secretary_sees_the_gaps(directory):
    w = directory.world
    services.add_skill(w.member_user, w.member, "Isla Grant", directory.bookkeeping.id, SkillLevel.WORKING, 8, None)
    services.add_skill(w.admin, directory.far, "Ross Kerr", directory.design.id, SkillLevel.EXPERT, 4, "Print")
    their = factories.member(w.other_network, "Leith Designers")
    services.add_skill(w.admin, their, "Ali Khan", directory.bookkeeping.id, SkillLevel.EXPERT, 20, None)
    db.session.commit()

    ours = {c.name: c for c in services.skills_coverage(w.consortium.id)}
    assert (ours["Bookkeeping"].people, ours["Bookkeeping"].best_level, ours["Bookkeeping"].gap) == (
        1,
        SkillLevel.WORKING,
        "below the wanted level",
    )
    assert (ours["Graphic design"].spare_hours, ours["Graphic design"].gap) == (4, None)
    platform = {c.name: c for c in services.skills_coverage(None)}
    assert (platform["Bookkeeping"].people, platform["Bookkeeping"].gap) == (2, None)
    rows = db.session.scalars(services.skills_rows_query(w.consortium.id)).all()
    assert [(s.member.name, s.person_name) for s in rows] == [
        ("Re-Tweed Dundee CIC", "Isla Grant"),
        (directory.far.name, "Ross Kerr"),
    ]


def test_a_skill_is_refused_from_others_and_with_bad_fields(directory):
    w = directory.world
    with pytest.raises(Forbidden):
        services.add_skill(w.secretary, w.member, "Isla", directory.bookkeeping.id, SkillLevel.BASIC, 1, None)
    with pytest.raises(ValidationFailed) as refused:
        services.add_skill(w.member_user, w.member, " ", None, SkillLevel.BASIC, 745, "x" * 301)
    assert set(refused.value.fields) == {"person_name", "category_id", "spare_hours_per_month", "note"}
    services.add_skill(w.member_user, w.member, "Isla", directory.bookkeeping.id, SkillLevel.BASIC, 1, None)
    with pytest.raises(ValidationFailed, match="Some fields") as twice:
        services.add_skill(w.member_user, w.member, "Isla", directory.bookkeeping.id, SkillLevel.EXPERT, 1, None)
    assert "already has a skill" in twice.value.fields["category_id"][0]


def test_only_admins_keep_the_categories_and_names_are_unique(directory):
    with pytest.raises(Forbidden):
        services.add_category(directory.world.secretary, "Cooking", SkillLevel.BASIC)
    with pytest.raises(ValidationFailed, match="already"):
        services.add_category(directory.world.admin, "bookkeeping", SkillLevel.BASIC)


# Verification


def test_the_mark_shows_until_expiry_and_lapses_by_itself(directory, frozen_clock):
    w = directory.world
    frozen_clock.set(datetime(2026, 12, 3, 12, tzinfo=UTC))
    verification = _verify(directory, directory.printer, days=30)
    assert _found(w.member_user, verified_only=True) == ["Hilltown Print Collective"]
    assert verification.verified_on(uk_today())

    frozen_clock.set(datetime(2027, 1, 2, 12, tzinfo=UTC))  # the expiry day itself still counts
    assert _found(w.member_user, verified_only=True) == ["Hilltown Print Collective"]
    frozen_clock.set(datetime(2027, 1, 3, 12, tzinfo=UTC))
    assert _found(w.member_user, verified_only=True) == []
    assert not verification.verified_on(uk_today())


def test_a_later_check_that_fails_a_criterion_takes_the_mark_away(directory):
    _verify(directory, directory.printer)
    _verify(directory, directory.printer, reinvestment=False)
    assert _found(directory.world.member_user, verified_only=True) == []
    latest = services.latest_verifications([directory.printer.id])[directory.printer.id]
    assert not latest.criteria_met


def test_verification_is_the_consortiums_secretarys_with_checked_evidence(directory, app):
    w = directory.world
    future = uk_today() + timedelta(days=30)
    with pytest.raises(Forbidden):
        services.verify(w.member_user, directory.printer, services.Check(True, True, True, "x", future))
    with pytest.raises(ValidationFailed) as refused:
        services.verify(
            w.secretary,
            directory.printer,
            services.Check(True, True, True, " ", uk_today(), b"GIF89a not a document", "evidence.pdf"),
        )
    assert set(refused.value.fields) == {"evidence_note", "expires_on", "document"}
    assert "not a PDF" in refused.value.fields["document"][0]
    with pytest.raises(ValidationFailed) as too_late:
        services.verify(
            w.secretary, directory.printer, services.Check(True, True, True, "x", future.replace(year=future.year + 4))
        )
    assert "within 3 years" in too_late.value.fields["expires_on"][0]
    made = services.verify(
        w.secretary,
        directory.printer,
        services.Check(True, True, True, "Articles", future, PDF, "../../CIC articles.exe"),
    )
    assert (made.document_name, made.document_type, made.document_size) == (
        "CIC articles.pdf",
        "application/pdf",
        len(PDF),
    )
    with pytest.raises(NotFound):
        services.member_to_verify(w.secretary, w.other_member.id)


def test_secretaries_are_reminded_once_before_expiry(directory, frozen_clock):
    w = directory.world
    frozen_clock.set(datetime(2026, 12, 3, 12, tzinfo=UTC))
    _verify(directory, directory.printer, days=20)
    _verify(directory, directory.far, days=200)
    _verify(directory, w.member, days=10, mission=False)  # not verified: nothing to remind of
    assert services.remind_expiring() == 1
    assert services.remind_expiring() == 0
    db.session.commit()
    messages = factories.outbox_messages("verification_expiring")
    assert [(m.to_email, m.subject) for m in messages] == [
        ("secretary@example.org", "Hilltown Print Collective: social-enterprise verification expires 23 Dec 2026")
    ]
    assert "/directory/members/" in messages[0].body_text


def test_the_reminder_command_queues_and_says_so(directory, runner, frozen_clock):
    frozen_clock.set(datetime(2026, 12, 3, 12, tzinfo=UTC))
    _verify(directory, directory.printer, days=20)
    assert "1 verification reminder queued." in runner.invoke(args=["remind-verification-expiry"]).output
    assert "0 verification reminders queued." in runner.invoke(args=["remind-verification-expiry"]).output


# The directory


def test_search_by_text_category_place_and_reach(directory):
    w = directory.world
    member = w.member_user
    social = ["Hilltown Print Collective", "Perth Furniture Reuse", "Re-Tweed Dundee CIC"]
    assert _found(member) == social  # the commercial member is not listed; nor is the other consortium's
    assert _found(member, within="network") == ["Hilltown Print Collective", "Re-Tweed Dundee CIC"]
    assert _found(member, q="letterhead") == ["Hilltown Print Collective"]  # an offer's name
    assert _found(member, q="screen print") == ["Hilltown Print Collective"]  # the supplier's description
    assert _found(member, q="100%_") == []  # wildcards are literal
    stationery = factories.category("stationery")
    assert _found(member, category_id=stationery.id) == ["Hilltown Print Collective"]
    assert _found(member, place="perth") == ["Perth Furniture Reuse"]
    assert _found(member, place="dd3") == ["Hilltown Print Collective"]
    assert _found(member, place="DD 3 7") == ["Hilltown Print Collective"]
    assert _found(w.secretary) == social
    everyone = _found(w.admin)
    assert "Leith Community Crops" in everyone and "Dundee Plastics Ltd" not in everyone
    assert _found(w.supplier_user) == everyone  # acting in no consortium, a supplier searches them all
    assert _found(member, within="all") == social  # a member cannot widen it


def test_a_profile_is_for_listed_social_enterprises_only(directory):
    assert services.listed_member(directory.printer.id) == directory.printer
    with pytest.raises(NotFound):
        services.listed_member(directory.commercial.id)


# Enquiries


def test_an_enquiry_goes_open_replied_closed_and_both_sides_hear(directory):
    w = directory.world
    enquiry = services.send_enquiry(w.supplier_user, w.member, "Tweed offcuts", "Could we buy 20 kg of offcuts?")
    db.session.commit()
    received = factories.outbox_messages("enquiry_received")
    assert [(m.to_email, m.subject) for m in received] == [
        ("member@example.org", "Enquiry from Sunil Supplier: Tweed offcuts")
    ]
    assert "20 kg of offcuts" in received[0].body_text

    with pytest.raises(Forbidden):
        services.reply(w.supplier_user, enquiry, "I answer myself")
    services.reply(w.member_user, enquiry, "Yes, £40 collected.")
    db.session.commit()
    with pytest.raises(Conflict):
        services.reply(w.member_user, enquiry, "Again")
    replied = factories.outbox_messages("enquiry_replied")
    assert [(m.to_email, m.subject) for m in replied] == [
        ("supplier@example.org", "Re-Tweed Dundee CIC replied: Tweed offcuts")
    ]
    services.close(w.supplier_user, enquiry, Outcome.WON)
    db.session.commit()
    assert (enquiry.status, enquiry.outcome) == (EnquiryStatus.CLOSED, Outcome.WON)
    with pytest.raises(Conflict):
        services.close(w.member_user, enquiry, Outcome.LOST)
    moves = [(c.from_state, c.to_state, c.reason) for c in services.ENQUIRY_LIFECYCLE.history(enquiry.id)]
    assert moves == [("open", "replied", None), ("replied", "closed", "won")]


def test_an_unanswered_enquiry_closes_only_as_no_reply_and_nobody_enquires_of_themselves(directory):
    w = directory.world
    with pytest.raises(Conflict, match="your own organisation"):
        services.send_enquiry(w.member_user, w.member, "Hello", "Us?")
    enquiry = services.send_enquiry(w.member_user, directory.printer, "Posters", "A0 posters?")
    with pytest.raises(ValidationFailed, match="no reply"):
        services.close(w.member_user, enquiry, Outcome.WON)
    services.close(w.member_user, enquiry, Outcome.NO_REPLY)
    assert enquiry.outcome is Outcome.NO_REPLY
    with pytest.raises(NotFound):
        services.enquiry_for(w.secretary, enquiry.id)  # not a party
    assert services.enquiry_for(factories.user("x@example.org", (Role.MEMBER, directory.printer.id)), enquiry.id)


# Spend with social enterprises


def test_spend_with_social_enterprises_adds_up_to_the_invoices(directory):
    w = directory.world
    commercial = factories.supplier("Forth Laptops plc", is_social_enterprise=False)
    it = factories.category("it-services", "IT services", position=5)
    paper = factories.offer(w.supplier, name="Copier paper", actor=w.admin)
    laptops = factories.offer(commercial, it, name="Laptops", list_price="500.0000", tiers=(), actor=w.admin)
    today = uk_today()
    social = deliver_pool(w.admin, paper, [w.consortium], [(w.member, 100), (directory.far, 50)], today)
    other = deliver_pool(w.admin, laptops, [w.consortium], [(w.member, 2)], today)
    theirs = deliver_pool(w.admin, paper, [w.other_consortium], [(w.other_member, 10)], today)

    report = services.spend_report(services.Scope("consortium", w.consortium.id, w.consortium.name))
    rows = {r.label: r for r in report.rows.items}
    ours = {i.member_id: i.net_pence for i in social}
    assert rows["Re-Tweed Dundee CIC"].social_pence == ours[w.member.id]
    assert rows["Re-Tweed Dundee CIC"].spend_pence == ours[w.member.id] + other[0].net_pence
    assert (
        rows["Perth Furniture Reuse"].spend_pence
        == rows["Perth Furniture Reuse"].social_pence
        == ours[directory.far.id]
    )
    assert report.totals.social_pence == sum(ours.values())
    assert report.totals.spend_pence == sum(ours.values()) + other[0].net_pence
    assert [(s.label, s.spend_pence) for s in report.suppliers.items] == [
        ("Caledonian Office Supplies Ltd", sum(ours.values()))
    ]
    platform = services.spend_report(services.Scope("platform", None, "All consortia"))
    assert {r.label: r.social_pence for r in platform.rows.items} == {
        "Lothians": theirs[0].net_pence,
        "Tayside": sum(ours.values()),
    }


def test_a_social_enterprise_bought_from_through_two_channels_is_one_supplier_with_both(directory):
    w = directory.world
    paper = factories.offer(w.supplier, name="Copier paper", actor=w.admin)
    pooled = deliver_pool(w.admin, paper, [w.consortium], [(w.member, 100)], uk_today())[0]
    made = call_off(w, make_framework(w), 10)
    frameworks.confirm(w.admin, made.id)
    frameworks.deliver(w.admin, made.id)
    called_off = frameworks.invoice(w.admin, made.id)
    db.session.commit()
    report = services.spend_report(services.Scope("member", w.member.id, w.member.name))
    both = pooled.net_pence + called_off.net_pence
    assert [(s.label, s.spend_pence, s.social_pence) for s in report.suppliers.items] == [
        ("Caledonian Office Supplies Ltd", both, both)
    ]
    channels = {c.key: c.spend_pence for c in report.channels}
    assert channels == {"pools": pooled.net_pence, "frameworks": called_off.net_pence, "trading": 0}
    assert (report.totals.spend_pence, report.totals.social_pence) == (both, both)


def test_framework_call_offs_count_as_their_own_channel(directory):
    w = directory.world
    made = call_off(w, make_framework(w), 10)
    frameworks.confirm(w.admin, made.id)
    frameworks.deliver(w.admin, made.id)
    invoice = frameworks.invoice(w.admin, made.id)
    db.session.commit()
    report = services.spend_report(services.Scope("member", w.member.id, w.member.name))
    channels = {c.key: (c.spend_pence, c.social_pence) for c in report.channels}
    assert channels == {"pools": (0, 0), "frameworks": (invoice.net_pence, invoice.net_pence), "trading": (0, 0)}
    assert report.totals.social_pence == invoice.net_pence
    assert [s.label for s in report.suppliers.items] == ["Caledonian Office Supplies Ltd"]
