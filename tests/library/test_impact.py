"""Impact pages: what the platform knows and what members recorded, the same figures on the page, PDF, CSV and API."""

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from kernel.clock import uk_today
from kernel.errors import Conflict, Forbidden, ValidationFailed
from kernel.extensions import db
from library import impact
from organisations.models import Member
from reports.savings import scope_for
from tests import factories
from tests.factories import api_token, sign_in
from tests.library.conftest import adopt_as_is, other_secretary, published, sibling


@pytest.fixture
def recorded(world, template):
    """Our member adopted the one published template; it recorded 4 jobs (verified) and 2 more (not yet)."""
    adopt_as_is(world, published(world.secretary, template))
    sibling(world)
    jobs = impact.add_measure(world.secretary, world.consortium, "Jobs created", "jobs", "Paid posts")
    today = uk_today()
    verified = impact.record(world.member_user, world.member, jobs.id, 4, today - timedelta(days=90), today, "Payroll")
    impact.verify(world.secretary, verified)
    impact.record(world.member_user, world.member, jobs.id, 2, today - timedelta(days=30), today, "Contracts")
    db.session.commit()
    return jobs


def test_the_consortium_report_puts_together_policies_and_recorded_measures(world, recorded):
    report = impact.impact_report(scope_for(world.secretary, "consortium", world.consortium.id))
    assert (report.policies_adopted, report.policies_adoptable, report.members) == (1, 2, 2)
    assert str(report.adoption_percent) == "50.0"
    shown = {line.figure: line.shown for line in impact.lines(report)}
    assert shown["Policies adopted (current versions)"] == "1 of 2 that could be"
    assert shown["Jobs created (verified)"] == "4 jobs"
    assert shown["Jobs created (awaiting verification)"] == "2 jobs"
    assert shown["Invoiced through the platform (net of VAT)"] == "£0.00"
    other = impact.impact_report(scope_for(world.admin, "consortium", world.other_consortium.id))
    assert (other.policies_adopted, other.measures) == (0, [])


def test_page_pdf_csv_and_api_show_the_same_figures(client, world, recorded):
    sign_in(client, world.secretary)
    base = f"/impact/consortium/{world.consortium.id}"
    page = client.get(base).get_data(as_text=True)
    assert "1 of 2 that could be" in page and "4 jobs" in page and "issues 17 and 18" in page
    assert f'href="/impact/network/{world.network.id}"' in page
    csv = client.get(base + ".csv").get_data(as_text=True)
    assert "What members recorded,Jobs created (verified),4,jobs,4 jobs" in csv
    assert "What the platform knows,Policy adoption rate,50.0,%,50.0%" in csv
    pdf = client.get(base + ".pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert pdf.mimetype == "application/pdf" and "1 of 2 that could be" in text and "4 jobs" in text
    assert client.get(base + "/measures.svg").mimetype == "image/svg+xml"
    body = client.get(
        "/api/v1/impact",
        query_string={"scope": "consortium", "id": world.consortium.id},
        headers=api_token(world.secretary),
    ).json
    assert {
        "section": "What members recorded",
        "figure": "Jobs created (verified)",
        "value": 4,
        "unit": "jobs",
        "shown": "4 jobs",
    } in body["lines"]
    assert {"figure": "Policy adoption rate", "value": "50.0"}.items() <= next(
        line for line in body["lines"] if line["figure"] == "Policy adoption rate"
    ).items()


def test_a_member_records_a_figure_and_the_secretary_verifies_it_on_the_pages(client, world, recorded):
    sign_in(client, world.member_user)
    today = uk_today()
    refused = client.post(
        f"/impact/members/{world.member.id}/records",
        data={
            "measure_id": recorded.id,
            "value": 5,
            "period_start": today.isoformat(),
            "period_end": (today + timedelta(days=5)).isoformat(),
            "evidence": "Rota",
        },
    )
    assert refused.status_code == 422 and "Record a period that has ended." in refused.get_data(as_text=True)
    made = client.post(
        f"/impact/members/{world.member.id}/records",
        data={
            "measure_id": recorded.id,
            "value": 5,
            "period_start": today.isoformat(),
            "period_end": today.isoformat(),
            "evidence": "Rota",
        },
        follow_redirects=True,
    )
    assert "5 jobs" in made.get_data(as_text=True)
    client.post("/sign-out")
    sign_in(client, world.secretary)
    awaiting = client.get(f"/impact/consortia/{world.consortium.id}/measures").get_data(as_text=True)
    assert "Rota" in awaiting and "Contracts" in awaiting and "Payroll" not in awaiting
    record = impact.records_query(world.member)
    newest = db.session.scalars(record).first()
    done = client.post(f"/impact/records/{newest.id}/verify", follow_redirects=True).get_data(as_text=True)
    assert f"{world.member.name}: 5 jobs verified." in done
    report = impact.impact_report(scope_for(world.secretary, "member", world.member.id))
    assert [(m.verified, m.unverified) for m in report.measures] == [(9, 2)]


def test_measures_and_verification_belong_to_the_consortium(world, recorded):
    with pytest.raises(Forbidden):
        impact.add_measure(other_secretary(world), world.consortium, "Volunteers", "volunteers", None)
    with pytest.raises(ValidationFailed, match="already counts"):
        impact.add_measure(world.secretary, world.consortium, "Jobs created", "jobs", None)
    figure = db.session.scalars(impact.unverified_query(world.consortium)).one()
    with pytest.raises(Forbidden):
        impact.verify(other_secretary(world), figure)
    impact.verify(world.secretary, figure)
    with pytest.raises(Conflict, match="already verified"):
        impact.verify(world.secretary, figure)
    impact.set_active(world.secretary, recorded, False)
    today = uk_today()
    with pytest.raises(ValidationFailed) as refused:
        impact.record(world.member_user, world.member, recorded.id, 1, today, today, "x")
    assert "measure_id" in refused.value.fields


def test_the_secretary_renames_a_measure_and_its_figures_stay_with_it(client, world, recorded):
    sign_in(client, world.secretary)
    page = client.get(f"/impact/measures/{recorded.id}/edit").get_data(as_text=True)
    assert 'value="Jobs created"' in page
    saved = client.post(
        f"/impact/measures/{recorded.id}/edit", data={"name": "Paid jobs", "unit": "jobs"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "“Paid jobs” is saved" in saved
    report = impact.impact_report(scope_for(world.secretary, "member", world.member.id))
    assert [(m.measure, m.verified) for m in report.measures] == [("Paid jobs", 4)]
    stopped = client.put(
        f"/api/v1/impact/measures/{recorded.id}",
        headers=api_token(world.secretary),
        json={"name": "Paid jobs", "unit": "jobs", "active": False},
    )
    assert stopped.status_code == 200 and stopped.json["active"] is False
    taken = client.put(
        f"/api/v1/impact/measures/{recorded.id}",
        headers=api_token(other_secretary(world)),
        json={"name": "Mine now", "unit": "jobs"},
    )
    assert taken.status_code == 404


def test_a_consortium_counts_at_most_twenty_measures_and_the_page_says_why(client, world, recorded):
    for n in range(impact.MAX_MEASURES - 1):
        impact.add_measure(world.secretary, world.consortium, f"Measure {n}", "things", None)
    db.session.commit()
    with pytest.raises(Conflict, match="at most 20 measures"):
        impact.add_measure(world.secretary, world.consortium, "One too many", "things", None)
    sign_in(client, world.secretary)
    response = client.post(
        f"/impact/consortia/{world.consortium.id}/measures", data={"name": "One too many", "unit": "things"}
    )
    assert response.status_code == 409
    assert "at most 20 measures" in response.get_data(as_text=True)
    assert len(impact.measures(world.consortium.id)) == impact.MAX_MEASURES


def test_a_networks_members_are_listed_a_page_at_a_time(client, world, monkeypatch):
    """A network has thousands of members: its impact page links a page of them, by name, and pages on."""
    monkeypatch.setattr(impact, "CHILDREN_PER_PAGE", 2)
    for name in ("Aberdeen Arts CIC", "Brechin Bikes", "Zetland Print"):
        factories.member(world.network, name)
    db.session.commit()
    names = sorted(m.name for m in db.session.scalars(select(Member).where(Member.network_id == world.network.id)))
    sign_in(client, world.secretary)
    base = f"/impact/network/{world.network.id}"
    first, second = (client.get(base, query_string={"children_page": n}).get_data(as_text=True) for n in (1, 2))
    assert names[0] in first and names[1] in first and names[2] not in first
    assert names[2] in second and names[0] not in second
    assert "children_page=2" in first and f"Page 1 of {(len(names) + 1) // 2}" in first
