"""The directory through the browser's pages and the JSON API, for each role that uses it; and query counts that
stay the same as the directory, the register and the invoices grow."""

import base64
import io
import re
from datetime import timedelta
from unittest import mock

from catalogue.models import Offer
from directory import services, views
from directory.levels import SkillLevel
from directory.models import Enquiry, EnquiryStatus, Outcome, Skill, Verification
from kernel.clock import uk_today
from kernel.extensions import db
from kernel.formatting import pounds
from organisations import services as organisations
from tests import factories
from tests.factories import api_token, field_error, sign_in
from tests.library.conftest import PDF
from tests.query_counts import queries_for, rows_shown
from tests.reports.conftest import deliver_pool


def _as(client, user) -> None:
    client.post("/sign-out")
    sign_in(client, user)


def _verify(directory, member, days=90):
    check = services.Check(True, True, True, "Articles read", uk_today() + timedelta(days=days))
    services.verify(directory.world.secretary, member, check)
    db.session.commit()


# Pages


def test_a_member_finds_verified_enterprises_and_sends_an_enquiry(client, directory):
    w = directory.world
    _verify(directory, directory.printer)
    sign_in(client, w.member_user)
    page = client.get("/directory/?q=letterheads").get_data(as_text=True)
    assert "Hilltown Print Collective" in page and "Recycled letterheads" in page
    assert "Verified social enterprise" in page and "Perth Furniture Reuse" not in page
    assert "Dundee Plastics Ltd" not in client.get("/directory/").get_data(as_text=True)
    assert "Perth Furniture Reuse" in client.get("/directory/?place=PH1").get_data(as_text=True)

    profile = client.get(f"/directory/members/{directory.printer.id}").get_data(as_text=True)
    assert "Risograph and screen printing" in profile and "£4.20 per ream" in profile
    empty = client.post(f"/directory/members/{directory.printer.id}/enquiries", data={"subject": "", "body": ""})
    assert empty.status_code == 422 and field_error(empty, "subject") == "Give a subject."
    sent = client.post(
        f"/directory/members/{directory.printer.id}/enquiries",
        data={"subject": "Letterheads", "body": "500 letterheads\nby Friday?"},
    )
    enquiry = db.session.scalars(db.select(Enquiry)).one()
    assert sent.status_code == 302 and sent.location.endswith(f"/directory/enquiries/{enquiry.id}")
    assert (enquiry.member_id, enquiry.sender_id, enquiry.body) == (
        directory.printer.id,
        w.member_user.id,
        "500 letterheads\nby Friday?",
    )
    shown = client.get(sent.location).get_data(as_text=True)
    assert "<p>500 letterheads</p><p>by Friday?</p>" in shown
    assert "Send the reply" not in shown  # the sender does not answer its own enquiry
    assert "Letterheads" in client.get("/directory/enquiries?box=sent").get_data(as_text=True)


def test_the_member_replies_and_the_sender_closes_it_as_won(client, directory):
    w = directory.world
    enquiry = services.send_enquiry(w.supplier_user, w.member, "Offcuts", "20 kg?")
    db.session.commit()
    _as(client, w.member_user)
    assert "Offcuts" in client.get("/directory/enquiries").get_data(as_text=True)
    assert client.post(f"/directory/enquiries/{enquiry.id}/reply", data={"reply": ""}).status_code == 422
    assert client.post(f"/directory/enquiries/{enquiry.id}/reply", data={"reply": "Yes, £40"}).status_code == 302
    _as(client, w.supplier_user)
    assert client.post(f"/directory/enquiries/{enquiry.id}/reply", data={"reply": "Me too"}).status_code == 403
    assert client.post(f"/directory/enquiries/{enquiry.id}/close", data={"outcome": "won"}).status_code == 302
    db.session.refresh(enquiry)
    assert (enquiry.status, enquiry.outcome, enquiry.reply) == (EnquiryStatus.CLOSED, Outcome.WON, "Yes, £40")
    page = client.get(f"/directory/enquiries/{enquiry.id}").get_data(as_text=True)
    assert "Won: it led to business" in page and "Close the enquiry" not in page


def test_skills_are_recorded_by_the_member_and_the_secretary_sees_gaps_and_csv(client, directory):
    w = directory.world
    _as(client, w.member_user)
    form = {"person_name": "Isla Grant", "category_id": directory.bookkeeping.id, "level": "working"}
    bad = client.post(f"/directory/members/{w.member.id}/skills", data=form | {"spare_hours_per_month": "800"})
    assert bad.status_code == 422 and "744" in field_error(bad, "spare_hours_per_month")
    done = client.post(f"/directory/members/{w.member.id}/skills", data=form | {"spare_hours_per_month": "6"})
    assert done.status_code == 302
    skill = db.session.scalars(db.select(Skill)).one()
    assert (skill.person_name, skill.level, skill.spare_hours_per_month) == ("Isla Grant", SkillLevel.WORKING, 6)
    assert "6 hours a month" in client.get(f"/directory/members/{w.member.id}").get_data(as_text=True)

    _as(client, w.secretary)
    overview = client.get(f"/directory/consortia/{w.consortium.id}/skills").get_data(as_text=True)
    assert "Gap: below the wanted level" in overview and "Gap: nobody" in overview and "Isla Grant" in overview
    csv = client.get(f"/directory/consortia/{w.consortium.id}/skills.csv")
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[1] == "Tayside,Re-Tweed Dundee CIC,Dundee,Isla Grant,Bookkeeping,Working,6,"
    assert "Record the skill" not in client.get(f"/directory/members/{w.member.id}/skills").get_data(as_text=True)
    assert client.post(f"/directory/skills/{skill.id}/remove").status_code == 403

    _as(client, w.member_user)
    assert client.post(f"/directory/skills/{skill.id}/remove").status_code == 302
    assert db.session.scalars(db.select(Skill)).all() == []


def test_the_secretary_verifies_with_an_uploaded_document_checked_by_its_bytes(client, directory):
    w = directory.world
    _as(client, w.secretary)
    expiry = (uk_today() + timedelta(days=365)).isoformat()
    form = {
        "asset_lock": "y",
        "mission": "y",
        "reinvestment": "y",
        "evidence_note": "CIC articles",
        "expires_on": expiry,
    }
    url = f"/directory/members/{directory.printer.id}/verification"
    refused = client.post(url, data=form | {"document": (io.BytesIO(b"MZ not a pdf"), "articles.pdf")})
    assert refused.status_code == 422 and "not a PDF" in field_error(refused, "document")
    assert db.session.scalars(db.select(Verification)).all() == []
    done = client.post(url, data=form | {"document": (io.BytesIO(PDF), "articles.pdf")})
    assert done.status_code == 302
    verification = db.session.scalars(db.select(Verification)).one()
    assert verification.criteria_met and verification.document_name == "articles.pdf"
    document = client.get(f"/directory/verifications/{verification.id}/document")
    assert document.data == PDF and document.mimetype == "application/pdf"
    _as(client, w.member_user)
    page = client.get(f"/directory/members/{directory.printer.id}").get_data(as_text=True)
    assert "Verified social enterprise" in page and "Verification and its evidence" not in page


def test_spend_page_csv_and_chart_show_the_same_figures(client, directory):
    w = directory.world
    paper = factories.offer(w.supplier, name="Copier paper", actor=w.admin)
    [invoice] = deliver_pool(w.admin, paper, [w.consortium], [(w.member, 100)], uk_today())
    _as(client, w.secretary)
    page = client.get(f"/directory/spend/consortium/{w.consortium.id}").get_data(as_text=True)
    assert pounds(invoice.net_pence) in page and "100%" in page
    csv = client.get(f"/directory/spend/consortium/{w.consortium.id}.csv").get_data(as_text=True)
    amount = f"{invoice.net_pence / 100:.2f}"
    assert f"Member,Re-Tweed Dundee CIC,{amount},{amount},100" in csv
    chart = client.get(f"/directory/spend/consortium/{w.consortium.id}/chart.svg")
    assert chart.mimetype == "image/svg+xml" and b"Re-Tweed Dundee CIC" in chart.data and b"<script" not in chart.data
    _as(client, w.member_user)
    assert client.get(f"/directory/spend/member/{w.member.id}").status_code == 200
    assert client.get(f"/directory/spend/consortium/{w.consortium.id}").status_code == 404


def _three_members_and_two_suppliers(directory) -> None:
    w = directory.world
    paper = factories.offer(w.supplier, name="Copier paper", actor=w.admin)
    letterheads = db.session.scalars(db.select(Offer).where(Offer.name == "Recycled letterheads")).one()
    pledges = [(w.member, 100), (directory.far, 50), (directory.commercial, 10)]
    deliver_pool(w.admin, paper, [w.consortium], pledges, uk_today())
    deliver_pool(w.admin, letterheads, [w.consortium], [(w.member, 1)], uk_today())


def _fact(page: str, name: str) -> str:
    return re.search(rf"<dt>{name}</dt><dd>(.*?)</dd>", page).group(1)


def test_the_spend_page_pages_members_and_suppliers_apart_and_the_csv_and_chart_have_them_all(
    client, directory, monkeypatch
):
    w = directory.world
    _three_members_and_two_suppliers(directory)
    monkeypatch.setattr(views, "ROWS_PER_PAGE", 1)
    _as(client, w.secretary)
    url = f"/directory/spend/consortium/{w.consortium.id}"
    first = client.get(url).get_data(as_text=True)
    page = client.get(url, query_string={"rows_page": 2, "suppliers_page": 2}).get_data(as_text=True)
    assert "3 members with spend" in page and "Page 2 of 3" in page and "Page 2 of 2" in page
    assert "Perth Furniture Reuse" in page and "Dundee Plastics Ltd" not in page and "Re-Tweed Dundee CIC" not in page
    assert "Hilltown Print Collective" in page and "Caledonian Office Supplies Ltd" not in page
    assert "Dundee Plastics Ltd" in first and "Caledonian Office Supplies Ltd" in first
    assert re.search(r'href="[^"]*\?(?=[^"]*rows_page=1)(?=[^"]*suppliers_page=2)[^"]*">Previous', page)
    for fact in ("Spend", "With social enterprises"):  # the whole consortium's, whatever the page
        assert _fact(page, fact) == _fact(first, fact)
    assert 'height="202"' in page  # the chart's three bars
    for nonsense in ("two", "-3", "0"):  # the first page
        assert "Page 1 of 3" in client.get(url, query_string={"rows_page": nonsense}).get_data(as_text=True)
    assert client.get(url, query_string={"suppliers_page": 10**18}).status_code == 404
    chart = client.get(f"{url}/chart.svg").data
    assert all(name in chart for name in (b"Dundee Plastics Ltd", b"Perth Furniture Reuse", b"Re-Tweed Dundee CIC"))
    csv = client.get(f"{url}.csv").get_data(as_text=True)
    assert [line.split(",")[:2] for line in csv.splitlines() if line.startswith(("Member", "Social"))] == [
        ["Member", "Dundee Plastics Ltd"],
        ["Member", "Perth Furniture Reuse"],
        ["Member", "Re-Tweed Dundee CIC"],
        ["Social-enterprise supplier", "Caledonian Office Supplies Ltd"],
        ["Social-enterprise supplier", "Hilltown Print Collective"],
    ]


# API


def test_the_api_searches_and_shows_profiles(client, directory):
    w = directory.world
    _verify(directory, directory.printer)
    headers = api_token(w.member_user)
    found = client.get("/api/v1/directory/members?q=letterheads&verified=true", headers=headers).json
    assert found["total"] == 1 and found["items"][0]["name"] == "Hilltown Print Collective"
    assert found["items"][0]["verified"] and found["items"][0]["offers"][0]["list_price"] == "4.2000"
    assert client.get("/api/v1/directory/members?within=elsewhere", headers=headers).status_code == 422
    profile = client.get(f"/api/v1/directory/members/{directory.printer.id}", headers=headers).json
    assert profile["description"] == "Risograph and screen printing on recycled stock."
    assert client.get(f"/api/v1/directory/members/{directory.commercial.id}", headers=headers).status_code == 404


def test_the_api_runs_an_enquiry_to_its_outcome(client, directory):
    w = directory.world
    asker, answerer = api_token(w.supplier_user), api_token(w.member_user)
    url = f"/api/v1/directory/members/{w.member.id}/enquiries"
    bad = client.post(url, json={"subject": "", "body": "x" * 4001}, headers=asker)
    assert bad.status_code == 422 and set(bad.json["error"]["fields"]) == {"subject", "body"}
    broken = client.post(url, json={"subject": "two\nlines", "body": "Paragraphs\nmay break"}, headers=asker)
    assert broken.status_code == 422 and set(broken.json["error"]["fields"]) == {"subject"}
    assert client.post(url, json={"subject": "Hi", "body": "Us?"}, headers=answerer).status_code == 409
    made = client.post(url, json={"subject": "Offcuts", "body": "20 kg?\nCollected."}, headers=asker)
    assert made.status_code == 201 and made.json["status"] == "open"
    enquiry_id = made.json["id"]
    assert (
        client.post(
            f"/api/v1/directory/enquiries/{enquiry_id}/close", json={"outcome": "won"}, headers=asker
        ).status_code
        == 422
    )
    replied = client.post(f"/api/v1/directory/enquiries/{enquiry_id}/reply", json={"reply": "Yes"}, headers=answerer)
    assert replied.json["status"] == "replied"
    closed = client.post(f"/api/v1/directory/enquiries/{enquiry_id}/close", json={"outcome": "lost"}, headers=answerer)
    assert (closed.json["status"], closed.json["outcome"]) == ("closed", "lost")
    again = client.post(f"/api/v1/directory/enquiries/{enquiry_id}/reply", json={"reply": "More"}, headers=answerer)
    assert again.status_code == 409
    received = client.get("/api/v1/directory/enquiries", headers=answerer).json
    assert [e["id"] for e in received["items"]] == [enquiry_id] and received["total"] == 1
    assert client.get("/api/v1/directory/enquiries?box=sent", headers=answerer).json["total"] == 0


def test_the_api_keeps_skills_and_verifies(client, directory):
    w = directory.world
    member, secretary = api_token(w.member_user), api_token(w.secretary)
    url = f"/api/v1/directory/members/{w.member.id}/skills"
    body = {"person_name": "Isla", "category_id": directory.design.id, "level": "expert", "spare_hours_per_month": 3}
    assert client.post(url, json=body | {"level": "guru"}, headers=member).status_code == 422
    made = client.post(url, json=body, headers=member)
    assert made.status_code == 201 and made.json["category"] == "Graphic design"
    assert client.get(url, headers=secretary).json["total"] == 1
    gaps = client.get(f"/api/v1/directory/consortia/{w.consortium.id}/skills", headers=secretary).json
    assert {c["name"]: c["gap"] for c in gaps["categories"]} == {"Bookkeeping": "nobody", "Graphic design": None}
    assert client.delete(f"/api/v1/directory/skills/{made.json['id']}", headers=member).status_code == 200
    assert client.get(url, headers=secretary).json["total"] == 0

    check = {
        "asset_lock": True,
        "mission": True,
        "reinvestment": True,
        "evidence_note": "Articles",
        "expires_on": (uk_today() + timedelta(days=100)).isoformat(),
    }
    verifications = f"/api/v1/directory/members/{directory.printer.id}/verifications"
    not_base64 = client.post(verifications, json=check | {"document_base64": "%%%"}, headers=secretary)
    assert not_base64.status_code == 422 and "document_base64" in not_base64.json["error"]["fields"]
    done = client.post(
        verifications, json=check | {"document_base64": base64.b64encode(PDF).decode()}, headers=secretary
    )
    assert done.status_code == 201 and done.json["criteria_met"] and done.json["document_type"] == "application/pdf"
    assert client.get(verifications, headers=secretary).json["total"] == 1


def test_the_api_spend_report(client, directory):
    w = directory.world
    paper = factories.offer(w.supplier, name="Copier paper", actor=w.admin)
    [invoice] = deliver_pool(w.admin, paper, [w.consortium], [(w.member, 100)], uk_today())
    report = client.get(f"/api/v1/directory/spend/member/{w.member.id}", headers=api_token(w.member_user)).json
    assert report["totals"]["social_pence"] == report["totals"]["spend_pence"] == invoice.net_pence
    assert report["totals"]["share_percent"] == 100
    assert report["channels"][0]["key"] == "pools"
    assert report["rows"] | {"items": None} == {"items": None, "page": 1, "per_page": 50, "total": 1}
    assert [(r["label"], r["spend_pence"]) for r in report["rows"]["items"]] == [(w.member.name, invoice.net_pence)]
    assert [s["label"] for s in report["suppliers"]["items"]] == ["Caledonian Office Supplies Ltd"]


def test_the_api_spend_report_pages_its_rows_and_suppliers_apart(client, directory):
    w = directory.world
    _three_members_and_two_suppliers(directory)
    url = f"/api/v1/directory/spend/consortium/{w.consortium.id}"
    headers = api_token(w.secretary)
    whole = client.get(url, headers=headers).json
    by_name = ["Dundee Plastics Ltd", "Perth Furniture Reuse", "Re-Tweed Dundee CIC"]
    assert [r["label"] for r in whole["rows"]["items"]] == by_name
    assert [s["label"] for s in whole["suppliers"]["items"]] == [
        "Caledonian Office Supplies Ltd",
        "Hilltown Print Collective",
    ]
    paged = client.get(url, query_string={"per_page": 1, "rows_page": 2, "suppliers_page": 2}, headers=headers).json
    assert (paged["totals"], paged["channels"]) == (whole["totals"], whole["channels"])
    assert paged["rows"] == {"items": [whole["rows"]["items"][1]], "page": 2, "per_page": 1, "total": 3}
    assert paged["suppliers"] == {"items": [whole["suppliers"]["items"][1]], "page": 2, "per_page": 1, "total": 2}
    past = client.get(url, query_string={"rows_page": 9}, headers=headers).json
    assert past["rows"]["items"] == [] and past["rows"]["total"] == 3 and past["suppliers"] == whole["suppliers"]
    for bad in ({"rows_page": 0}, {"suppliers_page": "two"}, {"per_page": 201}, {"rows_page": 2**40}, {"page": 2}):
        refused = client.get(url, query_string=bad, headers=headers)
        assert refused.status_code == 422 and list(refused.json["error"]["fields"]) == list(bad), bad


# Query counts


def _grow(directory, n: int, start: int) -> None:
    w = directory.world
    stationery = factories.category("stationery")
    paper = factories.offer(w.supplier, stationery, name=f"Paper {start}", actor=w.admin)
    members, goods = [], []
    for i in range(start, start + n):
        member = factories.member(w.network, f"Grown Enterprise {i}")
        seller = organisations.register_member_as_supplier(member)
        goods.append(factories.offer(seller, stationery, name=f"Goods {i}", actor=w.admin))
        services.verify(w.secretary, member, services.Check(True, True, True, "Read", uk_today() + timedelta(days=9)))
        services.add_skill(w.admin, member, f"Person {i}", directory.design.id, SkillLevel.BASIC, 1, None)
        members.append(member)
    db.session.commit()
    deliver_pool(w.admin, paper, [w.consortium], [(m, 10) for m in members], uk_today())
    for offer in (goods[0], goods[-1]):  # two more social enterprises bought from
        deliver_pool(w.admin, offer, [w.consortium], [(w.member, 1)], uk_today())


def test_listing_pages_cost_the_same_queries_and_show_the_same_rows_a_page_as_they_grow(client, directory):
    w = directory.world
    _as(client, w.secretary)
    spend = f"/directory/spend/consortium/{w.consortium.id}"
    urls = [
        "/directory/",
        "/directory/enquiries",
        f"/directory/consortia/{w.consortium.id}/skills",
        spend,
        f"{spend}?rows_page=2&suppliers_page=2",
        f"{spend}.csv",
        f"{spend}/chart.svg",
    ]
    api, headers = f"/api/v1{spend}", api_token(w.secretary)

    def measured() -> dict:
        """Queries with pages of their usual size (every member on one page), rows with pages of one: the spend
        report cuts its pages in its own statement, out of `pages_of_one`'s reach, so its page is one row too."""
        one = client.get(api, query_string={"per_page": 1}, headers=headers).json  # the token's use noted first
        counts = {url: len(queries_for(client, url)) for url in urls}
        counts[api] = len(queries_for(client, api, headers=headers))
        with mock.patch.object(views, "ROWS_PER_PAGE", 1):
            shown = {url: rows_shown(client, url) for url in urls}
        shown[api] = (len(one["rows"]["items"]), len(one["suppliers"]["items"]))
        return {url: (counts[url], shown[url]) for url in counts}

    _grow(directory, 2, 0)
    small = measured()
    _grow(directory, 12, 100)
    large = measured()
    assert large == small
    grown = client.get(api, headers=headers).json
    assert (grown["rows"]["total"], grown["suppliers"]["total"]) == (1 + 2 + 12, 1 + 2 + 2)
    assert len(grown["rows"]["items"]) == 15  # counted above with every member on the page


def test_the_secretary_narrows_skills_and_gaps_to_one_network(client, directory):
    w = directory.world
    services.add_skill(w.admin, w.member, "Isla Grant", directory.design.id, SkillLevel.SKILLED, 5, None)
    services.add_skill(w.admin, directory.far, "Ross Kerr", directory.bookkeeping.id, SkillLevel.EXPERT, 7, None)
    db.session.commit()
    perth = directory.far.network_id
    _as(client, w.secretary)
    page = client.get(f"/directory/consortia/{w.consortium.id}/skills?network_id={perth}").get_data(as_text=True)
    assert "Skills and gaps: Perth Network" in page and "Ross Kerr" in page and "Isla Grant" not in page
    csv = client.get(f"/directory/consortia/{w.consortium.id}/skills.csv?network_id={perth}").get_data(as_text=True)
    assert "Ross Kerr" in csv and "Isla Grant" not in csv
    url = f"/api/v1/directory/consortia/{w.consortium.id}/skills"
    headers = api_token(w.secretary)
    narrowed = client.get(url, query_string={"network_id": perth}, headers=headers).json
    assert narrowed["network_id"] == perth
    assert {c["name"]: c["gap"] for c in narrowed["categories"]} == {"Bookkeeping": None, "Graphic design": "nobody"}
    # another consortium's network is no narrowing: the whole consortium
    whole = client.get(url, query_string={"network_id": w.other_network.id}, headers=headers).json
    assert whole["network_id"] is None and {c["gap"] for c in whole["categories"]} == {None}
