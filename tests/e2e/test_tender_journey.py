"""A tender from forecast to award, through the pages: the Tayside secretary puts the draft pull-up banner pool's
demand out to tender, supplier@ bids (sealed: the secretary sees no price), the deadlines pass and the scheduled
job closes the tender, the secretary opens the bids, two members' people score them, and the award opens the
pool at the winning tiers."""

from datetime import datetime, timedelta

from sqlalchemy import create_engine, text

from app.factory import create_app
from kernel.clock import UK
from kernel.extensions import db
from tests.conftest import TEST_CONFIG
from tests.e2e.conftest import LIVE_DATABASES, Visit

TITLE = "Pull-up banners for Tayside events"
EVALUATOR = "manager@eat-well-dundee.example.org"


def _local(minutes: int) -> str:
    return (datetime.now(UK) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M")


def _deadlines_pass(base_url: str) -> str:
    """Moves the tender's deadlines into the past, then runs the scheduled job as cron would; its output."""
    url = LIVE_DATABASES[base_url]
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE tender SET clarification_deadline = :clarifications, submission_deadline = :submissions "
                "WHERE title = :title"
            ),
            {
                "clarifications": datetime.now(UK) - timedelta(hours=2),
                "submissions": datetime.now(UK) - timedelta(hours=1),
                "title": TITLE,
            },
        )
    engine.dispose()
    app = create_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        output = app.test_cli_runner().invoke(args=["advance-tenders"]).output
        db.session.remove()
        db.engine.dispose()
    return output


def _score(person: Visit, quality: str) -> None:
    person.goto("/tenders/")
    person.click_link(TITLE)
    person.click_link("Compare and score the bids")
    person.page.get_by_label("Quality score for Caledonian Office Supplies Ltd", exact=True).fill(quality)
    person.press("Score")
    assert "Your score is saved" in person.flash()


def test_a_tender_from_forecast_to_award_opens_the_pool_at_the_winning_tiers(visit, live_server):
    secretary, supplier = visit("secretary"), visit("supplier")
    secretary.sign_in("secretary@example.org")
    supplier.sign_in("supplier@example.org")

    with secretary.at("starts a tender from the draft pool's forecast"):
        secretary.goto("/tenders/")
        secretary.click_link("Start a tender")
        page = secretary.page
        page.get_by_label("Title", exact=True).fill(TITLE)
        page.get_by_label("Category", exact=True).select_option(label="Marketing & PR")
        page.get_by_label("Specification", exact=True).fill("850 x 2000 mm roller banners with carry cases.")
        page.get_by_label("Forecast from a pool", exact=True).select_option(
            label="Pull-up banner, printed (draft, 0 pledged)"
        )
        page.get_by_label("Quality questions", exact=True).fill("Where are the banners printed?")
        page.get_by_label("Questions close (UK time)", exact=True).fill(_local(60))
        page.get_by_label("Bids close (UK time)", exact=True).fill(_local(120))
        page.get_by_label("Minimum valid bids per lot", exact=True).fill("1")
        page.get_by_label("Standstill (days)", exact=True).fill("0")
        page.get_by_label("Caledonian Office Supplies Ltd", exact=True).check()
        secretary.press("Save the draft tender")
        assert "saved as a draft" in secretary.flash()
        page.get_by_label("Morag Member", exact=True).check()
        page.get_by_label("Eat Well Dundee manager", exact=True).check()
        secretary.press("Name the evaluators")
        secretary.press("Publish")
        assert "published" in secretary.flash()

    with supplier.at("bids, sealed"):
        supplier.goto("/tenders/")
        supplier.click_link(TITLE)
        supplier.click_link("Bid")
        page = supplier.page
        page.get_by_label("From quantity, tier 1", exact=True).fill("1")
        page.get_by_label("Unit price (£), tier 1", exact=True).fill("75.00")
        page.get_by_label("From quantity, tier 2", exact=True).fill("20")
        page.get_by_label("Unit price (£), tier 2", exact=True).fill("68.00")
        page.get_by_label("Delivery charge (£)", exact=True).fill("12.00")
        page.get_by_label("Answer", exact=True).fill("In Dundee, on recycled PET.")
        supplier.press("Submit the sealed bid")
        assert "stays sealed" in supplier.flash()
        assert "£68.00" in supplier.page.content()

    with secretary.at("sees the bid counted, not priced"):
        secretary.page.reload()
        secretary.check()
        assert "£68" not in secretary.page.content() and "68.00" not in secretary.page.content()
        assert "The bids are sealed" in secretary.page.content()

    with secretary.at("opens the bids once the scheduled job has closed the tender"):
        assert "1 tenders moved" in _deadlines_pass(live_server)
        secretary.page.reload()
        secretary.press("Open the bids")
        secretary.click_link("Compare the bids")
        assert secretary.row("Caledonian Office Supplies Ltd", "£68.00")

    member, evaluator = visit("member"), visit("evaluator")
    member.sign_in("member@example.org")
    evaluator.sign_in(EVALUATOR)
    _score(member, "70")
    _score(evaluator, "60")

    with secretary.at("awards"):
        secretary.click_link("Back to the tender")
        secretary.press("Close scoring")
        secretary.press("Propose the award")
        secretary.press("Start the standstill")
        secretary.press("Award")
        assert "awarded" in secretary.flash()
        secretary.click_link("pool")
        content = secretary.page.content()
        assert "Caledonian Office Supplies Ltd" in content
        assert "£68.00" in content and "£75.00" in content
