"""The pages this layer's work touched, as every role that sees them, on a phone (390 px) and a desktop (1280 px).

Each page must pass the checks every journey runs (no server error, nothing the CSP refused, labelled
fields, one h1, a skip link) and must fit the screen: on a phone the page never scrolls sideways.
"""

import re

import pytest

WIDTHS = [390, 1280]
POOL, SERVICE_POOL, INVOICE = r"/pools/\d+", r"/shared-services/\d+", r"/invoices/\d+"
CLOSE_PREVIEW = r"/pools/\d+/close"
OWN_OFFERS, EDIT_OFFER = r"/catalogue/supplier/\d+/offers", r"/catalogue/offers/\d+/edit"
PROFILE, ADMIN_MEMBER = r"/members/\d+/profile", r"/admin/members/\d+"
BILLING, AGED_DEBT, PAYMENTS = r"/billing/\d+", r"/billing/\d+/aged-debt", r"/billing/\d+/payments"
OVERDUE_ON_BILLING = r"/billing/\d+\?status=overdue"
DEMAND, POOL_PRICES = r"/supplier/\d+/demand", r"/supplier/pools/\d+/prices"
PURCHASE_ORDER, CALENDAR = r"/purchase-orders/\d+", r"/consortia/\d+/shared-services/calendar"
TEMPLATE, VERSION, GRID = r"/library/templates/\d+", r"/library/versions/\d+", r"/library/consortia/\d+"
IMPACT, RECORDS = r"/impact/(member|consortium)/\d+", r"/impact/members/\d+/records"
MEASURES = r"/impact/consortia/\d+/measures"
IMPORT = r"/consortia/\d+/import"
REBATE, REBATE_CLAIM = r"/rebates/\d+", r"/rebates/\d+/claim"
TENDER_BID = r"/tenders/\d+/lots/\d+/bid"  # the demo's tender 1 is opened, tender 2 takes bids
LISTING, BOOKING = r"/trading/listings/\d+", r"/trading/bookings/\d+"
TRADE_INVOICE, CLEARING = r"/trading/invoices/\d+$", r"/trading/clearings/\d+"
TRADING = ["/trading/", ("/trading/", LISTING), "/trading/bookings", ("/trading/bookings", BOOKING)]
TRADING += [
    "/trading/invoices",
    ("/trading/invoices", TRADE_INVOICE),
    "/trading/clearings",
    ("/trading/clearings", CLEARING),
]
DIRECTORY_PROFILE = r"/directory/members/\d+"

# On a phone the page itself never scrolls sideways; a wide table scrolls inside its own box (.table-scroll).
PAGE_WIDTH = "() => document.documentElement.scrollWidth"

# A path, or (a page, patterns...): from that page, the first link matching each pattern in turn.
PAGES: dict[str, list] = {
    "member@example.org": [
        "/",
        "/pools/",
        "/shared-services/",
        "/invoices/",
        "/statement",
        ("/pools/", POOL),
        ("/", PROFILE),
        "/invitations",
        "/invoices/?status=overdue",
        ("/invoices/", INVOICE),
        "/statement?from_date=2026-01-01&to_date=2026-03-31",
        "/library/",
        "/library/tasks",
        ("/library/", TEMPLATE),
        ("/library/tasks", VERSION),
        "/tenders/",
        "/tenders/1/comparison",
        ("/", IMPACT),
        ("/", RECORDS),
        "/account/password",
        "/account/sessions",
        "/account/two-factor",
        "/rebates/shares",
        *TRADING,
        "/directory/",
        ("/directory/", DIRECTORY_PROFILE),
        ("/", r"/directory/members/\d+/skills"),
    ],
    "secretary@example.org": [
        "/",
        "/pools/",
        "/pools/new",
        "/shared-services/",
        "/shared-services/new",
        "/invoices/",
        "/invoices/?status=unpaid",
        ("/pools/", POOL),
        ("/pools/", POOL, CLOSE_PREVIEW),
        ("/shared-services/", SERVICE_POOL),
        ("/invoices/", INVOICE),
        ("/", BILLING),
        ("/", OVERDUE_ON_BILLING),
        ("/", AGED_DEBT),
        ("/", PAYMENTS),
        ("/purchase-orders/", PURCHASE_ORDER),
        ("/", CALENDAR),
        "/library/",
        "/library/new",
        ("/library/", TEMPLATE),
        ("/", GRID),
        ("/", IMPACT),
        ("/", IMPACT, r"/impact/network/\d+"),
        ("/", MEASURES),
        ("/", MEASURES, r"/impact/measures/\d+/edit"),
        *TRADING,
        ("/", r"/trading/terms/\d+"),
        ("/", r"/trading/clearings/run/\d+"),
        "/invitations",
        "/applications",
        "/join",
        ("/", IMPORT),
        "/rebates/",
        "/rebates/new",
        ("/rebates/", REBATE),
        ("/rebates/", REBATE, REBATE_CLAIM),
        "/tenders/",
        "/tenders/new",
        "/tenders/1",
        "/tenders/1/comparison",
        "/tenders/1/trail",
        ("/", r"/directory/consortia/\d+/skills"),
        ("/", r"/directory/spend/consortium/\d+"),
        ("/directory/", DIRECTORY_PROFILE, r"/directory/members/\d+/verification"),
    ],
    "supplier@example.org": [
        "/",
        "/catalogue/",
        ("/", OWN_OFFERS),
        ("/", OWN_OFFERS, EDIT_OFFER),
        ("/", DEMAND, POOL_PRICES),
        ("/purchase-orders/", PURCHASE_ORDER),
        ("/rebates/", REBATE),
        "/tenders/",
        "/tenders/1",
        ("/tenders/2", TENDER_BID),
    ],
    "admin@example.org": [
        "/",
        "/admin/consortia/new",
        ("/admin/members", ADMIN_MEMBER),
        "/pools/new",
        "/shared-services/new",
        "/account/tokens",
        "/account/sessions",
        "/account/two-factor",
        "/admin/audit",
        "/invoices/?status=overdue",
        ("/invoices/?status=overdue", INVOICE),
        ("/invoices/", INVOICE, BILLING, AGED_DEBT),
        ("/invoices/", INVOICE, BILLING, PAYMENTS),
        "/library/",
        "/impact/platform",
        "/rebates/",
        "/directory/skill-categories",
        "/directory/enquiries",
    ],
}


def _follow_first(person, start: str, *patterns: str) -> None:
    person.goto(start)
    for pattern in patterns:
        hrefs = person.page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
        found = next((h for h in hrefs if re.fullmatch(pattern, h)), None)
        assert found, f"no link like {pattern} on {person.page.url}"
        person.goto(found)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("email", list(PAGES))
def test_changed_pages_work_for_every_role_on_a_phone_and_a_desktop(visit, email, width):
    person = visit(email.split("@")[0], width=width)
    person.sign_in(email)
    for path in PAGES[email]:
        with person.at(str(path)):
            if isinstance(path, tuple):
                _follow_first(person, *path)
            else:
                person.goto(path)
            wide = person.page.evaluate(PAGE_WIDTH)
            assert wide <= width, f"{person.page.url} at {width} px is {wide} px wide: it scrolls sideways"
