"""A new member's whole journey, in the browser: it applies, the secretary approves, the emailed invitation
link sets a password, and the new member's user pledges into an open pool."""

from tests.e2e.conftest import emailed_link

NAME = "Broughty Ferry Repair Cafe CIC"
PERSON_EMAIL = "ailsa@repaircafe.example.org"


def test_from_application_to_first_pledge(visit, live_server):
    applicant, secretary = visit("applicant"), visit("secretary")

    with applicant.at("applies to join"):
        applicant.goto("/join")
        page = applicant.page
        page.get_by_label("Network to join").select_option(label="Dundee Social Enterprise Network (Tayside)")
        page.get_by_label("Organisation's legal name").fill(NAME)
        page.get_by_label("Address line 1").fill("12 Gray Street")
        page.get_by_label("Town or city").fill("Dundee")
        page.get_by_label("Postcode").fill("DD5 2BJ")
        page.get_by_label("Organisation's email").fill("hello@repaircafe.example.org")
        page.get_by_label("Company or charity number").fill("SC654321")
        page.get_by_label("Yearly turnover").select_option(label="Under £100k")
        page.get_by_label("People working there").fill("3")
        page.get_by_label("Your name").fill("Ailsa Fixer")
        page.get_by_label("Your email").fill(PERSON_EMAIL)
        applicant.press("Send application")
        assert applicant.page.get_by_role("heading", level=1).inner_text() == "Thank you: your application is sent"

    with secretary.at("sees the application to decide"):
        secretary.sign_in("secretary@example.org")
        assert "application" in secretary.page.locator("main").inner_text()
        secretary.click_link("Applications to join (1 waiting)")
        secretary.click_link(NAME)
        assert "ailsa@repaircafe.example.org" in secretary.page.locator("main").inner_text()

    with secretary.at("approves it"):
        secretary.press("Approve application")
        assert f"{NAME} is a member now; {PERSON_EMAIL} is invited to sign in." in secretary.flash()

    with applicant.at("follows the emailed invitation"):
        applicant.goto(emailed_link(live_server, PERSON_EMAIL, "invitation"))
        assert NAME in applicant.page.locator("main").inner_text()
        applicant.page.get_by_label("Choose a password").fill("repair-not-replace")
        applicant.page.get_by_label("Type the password again").fill("repair-not-replace")
        applicant.press("Set password and sign in")
        assert f"You now act for {NAME}." in applicant.flash()
        assert applicant.signed_in()

    with applicant.at("finds an open pool"):
        applicant.click_link("Pools")
        applicant.follow(applicant.page.locator("main table tbody tr a[href^='/pools/']").first)
        assert applicant.page.get_by_label("Quantity").is_visible()

    with applicant.at("makes its first pledge"):
        applicant.page.get_by_label("Quantity").fill("2")
        applicant.press("See estimated cost")
        applicant.press("Confirm pledge")
        assert "Your pledge of 2 " in applicant.flash() and NAME in applicant.flash()
