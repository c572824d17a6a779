"""A forgotten password, through the pages on a phone: ask for a link, open it from the email the outbox holds,
choose a new password (a weak one refused next to its field), sign in with it; a browser signed in before is out."""

from sqlalchemy import create_engine, text

from tests.e2e.conftest import LIVE_DATABASES, PAGE_WIDTH, emailed_link

NEW_PASSWORD = "heather-lantern-ferry-41"


def _reset_account(database_url: str) -> str:
    """A demo member's manager that no other journey signs in as (the demo member's own account stays as it is)."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        email = connection.execute(
            text("SELECT email FROM \"user\" WHERE email LIKE 'manager@%' ORDER BY email DESC LIMIT 1")
        ).scalar_one()
    engine.dispose()
    return email


def _fits(person, width: int) -> None:
    wide = person.page.evaluate(PAGE_WIDTH)
    assert wide <= width, f"{person.page.url} at {width} px is {wide} px wide"


def test_a_forgotten_password_is_reset_through_the_emailed_link(visit, live_server):
    database_url = LIVE_DATABASES[live_server]
    email = _reset_account(database_url)
    elsewhere = visit("laptop")
    elsewhere.sign_in(email)

    person = visit("phone", width=390)
    person.goto("/sign-in")
    person.click_link("Forgotten your password?")
    _fits(person, 390)
    person.page.get_by_label("Email").fill(email)
    person.press("Email me a link")
    assert "we have emailed it a link" in person.page.get_by_role("status").inner_text()

    person.goto(emailed_link(live_server, email, "password_reset"))
    _fits(person, 390)
    person.page.get_by_label("New password", exact=True).fill("password1234")
    person.page.get_by_label("New password again").fill("password1234")
    with person.page.expect_navigation() as refused:
        person.page.get_by_role("button", name="Save new password").click()
    assert refused.value.status == 422
    person.check()
    assert "data breaches" in person.page.locator("#new_password-error").inner_text()

    person.page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    person.page.get_by_label("New password again").fill(NEW_PASSWORD)
    person.press("Save new password")
    assert "Your password is changed" in person.flash()
    person.sign_in(email, NEW_PASSWORD)

    elsewhere.goto("/sign-in")
    assert elsewhere.page.get_by_role("button", name="Sign in").is_visible(), "the laptop's session ended"
