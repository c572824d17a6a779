"""Demo organisations and accounts: two regional consortia of Scottish networks.

`run_in_date_order` interleaves the packages' histories (a year of past pools, invoices, shared
services), so each consortium's invoices and credit notes are numbered in the order of their dates.
"""

import time
from typing import TypedDict

from sqlalchemy import select

from kernel.clock import utcnow
from kernel.extensions import db
from organisations import services, totp
from organisations.models import Consortium, Member, Role, RoleGrant, Supplier, TurnoverBand, TwoFactor, User
from organisations.peppol import GLN, gs1_check_digit

DEMO_PASSWORD = "demo-password"
# The demo's admins and secretaries have two-factor sign-in set up with this published key (README, "Signing in to
# the demo"), so anyone trying the demo can make their codes; a real account's key is made when its owner sets it up.
DEMO_TOTP_SECRET = "DEMOCODESDEMOCODESDEMOCODESDEMOC"
_USED_STEPS: dict[tuple[str, str], int] = {}


def demo_authenticator_code(server: str, email: str) -> str:
    """The code the demo's authenticator app (README, "Signing in to the demo") shows, for a step not yet
    used on `server`: each code signs in once, so the browser tests and benchmarks that sign in again wait."""
    now = totp.step_at(utcnow())
    # This step's code or the next one's: the server, reading its clock a moment later, still accepts either.
    step = max(now, _USED_STEPS.get((server, email), now - 1) + 1)
    if step > now + 1:
        time.sleep(totp.STEP_SECONDS - time.time() % totp.STEP_SECONDS + 0.2)
        return demo_authenticator_code(server, email)
    _USED_STEPS[server, email] = step
    return totp.code_at(DEMO_TOTP_SECRET, step)


MemberSpec = tuple[str, int, str, str | None]
"""A member: its legal name, headcount, turnover band (a TurnoverBand value) and VAT number.

A member without a VAT number has a Global Location Number from GS1 UK as its Peppol ID (see
`peppol_id`), so every invoice it is sent can be addressed on the Peppol network.
"""


class ConsortiumSpec(TypedDict):
    """A consortium's fields for services.save_consortium, and its networks' members by network name."""

    name: str
    code: str
    legal_name: str
    address_line1: str
    address_line2: str
    city: str
    postcode: str
    contact_email: str
    vat_number: str
    company_number: str
    bank_account_name: str
    bank_sort_code: str
    bank_account_number: str
    networks: dict[str, list[MemberSpec]]


CONSORTIA: list[ConsortiumSpec] = [
    {
        "name": "Tayside",
        "code": "TAY",
        "legal_name": "Tayside Social Enterprise Consortium CIC",
        "address_line1": "Unit 4, Dundee Business Centre",
        "address_line2": "Nethergate",
        "city": "Dundee",
        "postcode": "DD1 4HN",
        "contact_email": "hello@tayside-consortium.example.org",
        "vat_number": "GB284719365",
        "company_number": "SC612345",
        "bank_account_name": "Tayside Social Enterprise Consortium CIC",
        "bank_sort_code": "83-44-91",
        "bank_account_number": "10234567",
        "networks": {
            "Dundee Social Enterprise Network": [
                ("Re-Tweed Dundee CIC", 8, "100k_500k", "GB301234567"),
                ("Taybank Community Cafe", 14, "100k_500k", None),
                ("Dundee Bike Works", 6, "under_100k", None),
                ("Hilltown Print Collective", 11, "500k_2m", "GB302345678"),
                ("Eat Well Dundee", 22, "500k_2m", "GB303456789"),
                ("Law Hill Youth Trust", 5, "under_100k", None),
            ],
            "Perth & Kinross Social Enterprise Network": [
                ("Perth Furniture Reuse", 18, "100k_500k", None),
                ("Kinross Community Transport", 25, "over_2m", "GB304567890"),
                ("Tay Valley Gardens", 4, "under_100k", None),
                ("Crieff Heritage Skills", 9, "100k_500k", None),
                ("Fair City Laundry", 30, "500k_2m", "GB305678901"),
            ],
            "Angus Social Enterprise Network": [
                ("Arbroath Harbour Crafts", 3, "under_100k", None),
                ("Forfar Community Energy", 7, "500k_2m", "GB306789012"),
                ("Montrose Basin Tours", 5, "100k_500k", None),
                ("Brechin Digital Inclusion", 12, "100k_500k", None),
                ("Kirriemuir Care Cooperative", 60, "over_2m", "GB307890123"),
            ],
            "North Fife Social Enterprise Network": [
                ("Tayport Men's Shed", 2, "under_100k", None),
                ("Newburgh Orchard Group", 6, "under_100k", None),
                ("Cupar Wood Recycling", 15, "100k_500k", "GB308901234"),
            ],
        },
    },
    {
        "name": "Lothians",
        "code": "LOT",
        "legal_name": "Lothians Social Enterprise Consortium Ltd",
        "address_line1": "Norton Park",
        "address_line2": "57 Albion Road",
        "city": "Edinburgh",
        "postcode": "EH7 5QY",
        "contact_email": "office@lothians-consortium.example.org",
        "vat_number": "GB395172846",
        "company_number": "SC623456",
        "bank_account_name": "Lothians Social Enterprise Consortium Ltd",
        "bank_sort_code": "80-22-60",
        "bank_account_number": "20481357",
        "networks": {
            "Edinburgh Social Enterprise": [
                ("Leith Community Crops", 9, "100k_500k", None),
                ("Grassmarket Enterprises", 40, "over_2m", "GB311234567"),
                ("Edinburgh Remakery", 16, "500k_2m", "GB312345678"),
                ("Craigmillar Books for Babies", 3, "under_100k", None),
                ("Canongate Youth Cafe", 12, "100k_500k", None),
                ("Gorgie City Farm Trading", 20, "500k_2m", "GB313456789"),
            ],
            "West Lothian Social Enterprise Network": [
                ("Livingston Cycle Hub", 7, "100k_500k", None),
                ("Bathgate Community Pantry", 5, "under_100k", None),
                ("Linlithgow Heritage Trust Trading", 11, "100k_500k", "GB314567890"),
                ("Broxburn Tool Library", 2, "under_100k", None),
            ],
            "Midlothian Social Enterprise Alliance": [
                ("Dalkeith Repair Cafe", 4, "under_100k", None),
                ("Penicuik Paper Mill Trust", 13, "100k_500k", None),
                ("Bonnyrigg Care at Home", 85, "over_2m", "GB315678901"),
            ],
            "East Lothian Social Enterprise Network": [
                ("Musselburgh Reuse Hub", 10, "100k_500k", None),
                ("Haddington Arts Collective", 6, "under_100k", None),
                ("Dunbar Coastal Trust", 8, "100k_500k", "GB316789012"),
                ("North Berwick Youth Project", 5, "under_100k", None),
                ("Tranent Community Energy", 9, "500k_2m", "GB317890123"),
            ],
        },
    },
]

SUPPLIERS = [
    (
        "Brightside Print & Design CIC",
        True,
        "Design, print and marketing materials from a social enterprise print shop.",
        "14 Seagate",
        "Dundee",
        "DD1 2EQ",
        "GB321234567",
    ),
    (
        "Caledonian Office Supplies Ltd",
        False,
        "Stationery, paper and office consumables, delivered next day.",
        "Unit 9, Kingsway West Industrial Estate",
        "Dundee",
        "DD2 3QD",
        "GB322345678",
    ),
    (
        "Common Good Accountancy LLP",
        False,
        "Bookkeeping, payroll and annual accounts for charities and social enterprises.",
        "22 Melville Street",
        "Edinburgh",
        "EH3 7NS",
        "GB323456789",
    ),
    (
        "Scottish Community Energy Cooperative",
        True,
        "Renewable electricity and gas for community organisations.",
        "3 Waterloo Place",
        "Edinburgh",
        "EH1 3BG",
        "GB324567890",
    ),
    (
        "People First HR Services CIC",
        True,
        "HR advice line, policies and employment law support.",
        "41 South Methven Street",
        "Perth",
        "PH1 5NU",
        None,
    ),
    (
        "Forth IT Support Ltd",
        False,
        "Managed IT support, Microsoft 365 licences and cyber security.",
        "5 Lochside Crescent",
        "Edinburgh",
        "EH12 9DT",
        "GB326789012",
    ),
]

NETWORK_TOWNS = {
    "Dundee Social Enterprise Network": "Dundee",
    "Perth & Kinross Social Enterprise Network": "Perth",
    "Angus Social Enterprise Network": "Forfar",
    "North Fife Social Enterprise Network": "Cupar",
    "Edinburgh Social Enterprise": "Edinburgh",
    "West Lothian Social Enterprise Network": "Livingston",
    "Midlothian Social Enterprise Alliance": "Dalkeith",
    "East Lothian Social Enterprise Network": "Haddington",
}
# Each town's own postcode district, so an address reads as a real one.
TOWN_POSTCODES = {
    "Dundee": "DD1",
    "Perth": "PH1",
    "Forfar": "DD8",
    "Cupar": "KY15",
    "Edinburgh": "EH7",
    "Livingston": "EH54",
    "Dalkeith": "EH22",
    "Haddington": "EH41",
}

DEMO_MEMBER = "Re-Tweed Dundee CIC"
DEMO_SUPPLIER = "Caledonian Office Supplies Ltd"


def peppol_id(member_number: int, vat_number: str | None) -> dict:
    """A Peppol ID for a member without a VAT number: a GLN in GS1 UK's 5060 range, its check digit right."""
    if vat_number:
        return {}
    body = f"5060{member_number:08d}"
    return {"peppol_scheme": GLN, "peppol_id": body + gs1_check_digit(body)}


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-").replace("--", "-")


def may_load() -> bool:
    """The demo goes only into an empty database, or tops up a demo already there; never into real data."""
    if db.session.scalar(select(Consortium).where(Consortium.code == "TAY")) is not None:
        return True
    return all(db.session.scalar(select(model.id).limit(1)) is None for model in (Consortium, Member, Supplier, User))


def seed() -> None:
    """Idempotent: does nothing once the demo consortia exist."""
    if db.session.scalar(select(Consortium).where(Consortium.code == "TAY")) is not None:
        return
    members: dict[str, Member] = {}
    consortia = {}
    for spec in CONSORTIA:
        consortium = services.save_consortium({k: v for k, v in spec.items() if k != "networks"})
        consortia[spec["name"]] = consortium
        for number, (network_name, member_specs) in enumerate(spec["networks"].items()):
            network = services.save_network({"name": network_name, "consortium_id": consortium.id})
            for index, (name, headcount, band, vat) in enumerate(member_specs):
                slug = _slug(name)
                members[name] = services.save_member(
                    {
                        "legal_name": name,
                        "address_line1": f"{10 + 2 * index} {NETWORK_TOWNS[network_name]} Road",
                        "city": NETWORK_TOWNS[network_name],
                        "postcode": f"{TOWN_POSTCODES[NETWORK_TOWNS[network_name]]} {number + 1}A{chr(65 + index)}",
                        "contact_email": f"office@{slug}.example.org",
                        "vat_number": vat,
                        **peppol_id(len(members) + 1, vat),
                        "network_id": network.id,
                        "headcount": headcount,
                        "turnover_band": TurnoverBand(band),
                        "is_social_enterprise": True,
                    }
                )
    suppliers = {}
    for name, social, description, street, city, postcode, vat in SUPPLIERS:
        suppliers[name] = services.save_supplier(
            {
                "legal_name": name,
                "address_line1": street,
                "city": city,
                "postcode": postcode,
                "contact_email": f"sales@{_slug(name)}.example.org",
                "vat_number": vat,
                "is_social_enterprise": social,
                "description": description,
            }
        )
    suppliers["Hilltown Print Collective"] = services.register_member_as_supplier(members["Hilltown Print Collective"])

    accounts = [
        ("admin@example.org", "Alex Admin", Role.ADMIN, None),
        ("secretary@example.org", "Sam Secretary", Role.SECRETARY, consortia["Tayside"].id),
        ("member@example.org", "Morag Member", Role.MEMBER, members[DEMO_MEMBER].id),
        ("supplier@example.org", "Sunil Supplier", Role.SUPPLIER, suppliers[DEMO_SUPPLIER].id),
        ("lothians.secretary@example.org", "Lewis Secretary", Role.SECRETARY, consortia["Lothians"].id),
    ]
    first_email, first_name, first_role, first_scope = accounts[0]
    first = services.save_user({"email": first_email, "name": first_name, "password": DEMO_PASSWORD})
    services.grant_role(first, first_role, first_scope)
    for email, name, role, scope_id in accounts[1:]:
        user = services.save_user({"email": email, "name": name}, password_hash=first.password_hash)
        services.grant_role(user, role, scope_id)
    for user in db.session.scalars(select(User).where(User.email.in_([email for email, *_ in accounts]))):
        if user.needs_two_factor:
            user.two_factor = TwoFactor(secret=DEMO_TOTP_SECRET)
    for name, member in members.items():
        if name == DEMO_MEMBER:
            continue
        user = services.save_user(
            {"email": f"manager@{_slug(name)}.example.org", "name": f"{name} manager"},
            password_hash=first.password_hash,
        )
        services.grant_role(user, Role.MEMBER, member.id)


def manager_of(member: Member) -> User:
    """The member's first manager, who pledges and joins for it in the other demos; every demo member has one."""
    return db.session.execute(
        select(User)
        .join(RoleGrant)
        .where(RoleGrant.role == Role.MEMBER, RoleGrant.member_id == member.id)
        .order_by(User.id)
        .limit(1)
    ).scalar_one()
