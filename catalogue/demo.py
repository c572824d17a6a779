"""Demo catalogue: realistic offers and volume tiers in every category, from the demo suppliers."""

from sqlalchemy import select

from catalogue import services
from catalogue.models import Category, Offer
from kernel.extensions import db
from organisations.models import Organisation, Role, RoleGrant, Supplier

CATEGORIES = [
    ("marketing-pr", "Marketing & PR", "Design, print, campaigns, PR agencies and social media."),
    ("stationery", "Stationery", "Paper, printer supplies and office consumables."),
    ("professional-fees", "Professional fees", "Legal, audit, consultancy and other professional services."),
    ("utilities", "Utilities", "Electricity, gas, water, telecoms and waste."),
    ("hr-services", "HR services", "HR advice lines, policies, payroll and training."),
    ("it-services", "IT services", "IT support, licences, hardware and cyber security."),
    ("accountancy", "Accountancy", "Bookkeeping, management accounts and year-end accounts."),
]

BRIGHTSIDE = "Brightside Print & Design CIC"
CALEDONIAN = "Caledonian Office Supplies Ltd"
COMMON_GOOD = "Common Good Accountancy LLP"
ENERGY = "Scottish Community Energy Cooperative"
PEOPLE_FIRST = "People First HR Services CIC"
FORTH = "Forth IT Support Ltd"
HILLTOWN = "Hilltown Print Collective"

# supplier, category, name, unit, pack size, VAT rate, list price, minimum order, lead days, description, tiers
OFFERS = [
    (
        BRIGHTSIDE,
        "marketing-pr",
        "A5 leaflets, design and print",
        "pack of 1,000 leaflets",
        1,
        "zero",
        "145.00",
        1,
        7,
        "Double-sided A5 leaflets on 150gsm recycled silk, with an hour of design. Printed matter is zero-rated.",
        [(5, "128.00"), (20, "112.00"), (50, "98.00")],
    ),
    (
        BRIGHTSIDE,
        "marketing-pr",
        "PR and media relations retainer",
        "month",
        1,
        "standard",
        "750.00",
        1,
        5,
        "A month of press releases, media lists and journalist follow-up for one organisation, from a social "
        "enterprise PR team; a consortium can share one retainer (see shared services) for much less each.",
        [(6, "690.00"), (12, "640.00")],
    ),
    (
        BRIGHTSIDE,
        "marketing-pr",
        "Social media content package",
        "month",
        1,
        "standard",
        "280.00",
        1,
        10,
        "Twelve posts a month with images, scheduled across two platforms, and a monthly report.",
        [(6, "255.00"), (18, "230.00")],
    ),
    (
        HILLTOWN,
        "marketing-pr",
        "Pull-up banner, printed",
        "banner",
        1,
        "standard",
        "89.00",
        1,
        10,
        "850 x 2000 mm roller banner with carry case, printed by a Dundee print cooperative.",
        [(10, "79.00"), (25, "72.00")],
    ),
    (
        CALEDONIAN,
        "stationery",
        "A4 copier paper 80gsm, box of 5 reams",
        "ream",
        5,
        "standard",
        "4.20",
        5,
        1,
        "FSC-certified white copier paper, 500 sheets a ream, sold in boxes of five reams.",
        [(100, "3.85"), (500, "3.49"), (1500, "3.19")],
    ),
    (
        CALEDONIAN,
        "stationery",
        "Toner cartridge, HP 26A compatible (remanufactured)",
        "cartridge",
        1,
        "standard",
        "58.00",
        1,
        2,
        "Remanufactured black toner, about 3,100 pages; empties collected for reuse.",
        [(20, "52.50"), (60, "47.90")],
    ),
    (
        CALEDONIAN,
        "stationery",
        "C4 recycled envelopes, box of 250",
        "envelope",
        250,
        "standard",
        "0.0960",
        250,
        2,
        "Self-seal manilla C4 envelopes from 100% recycled paper.",
        [(5000, "0.0840"), (20000, "0.0715")],
    ),
    (
        COMMON_GOOD,
        "professional-fees",
        "Independent examination of charity accounts",
        "examination",
        1,
        "standard",
        "650.00",
        1,
        30,
        "Independent examiner's report for a charity with income under £250,000, OSCR-ready.",
        [(10, "595.00"), (25, "550.00")],
    ),
    (
        PEOPLE_FIRST,
        "professional-fees",
        "Employment law advice from a solicitor",
        "hour",
        1,
        "standard",
        "120.00",
        1,
        3,
        "Advice on disciplinaries, grievances, redundancies and tribunal claims.",
        [(20, "108.00"), (60, "96.00")],
    ),
    (
        ENERGY,
        "utilities",
        "Renewable electricity, business tariff",
        "kWh",
        1,
        "reduced",
        "0.2450",
        1000,
        28,
        "100% renewable electricity from Scottish community wind and hydro; charities' non-business use at 5% VAT.",
        [(100000, "0.2310"), (500000, "0.2190")],
    ),
    (
        ENERGY,
        "utilities",
        "Green gas, business tariff",
        "kWh",
        1,
        "reduced",
        "0.0685",
        1000,
        28,
        "Gas with 15% biomethane from Scottish anaerobic digestion plants.",
        [(200000, "0.0642"), (750000, "0.0598")],
    ),
    (
        PEOPLE_FIRST,
        "hr-services",
        "HR advice line",
        "seat-month",
        1,
        "standard",
        "9.50",
        10,
        5,
        "Unlimited calls to qualified HR advisers for each employee covered, every month.",
        [(100, "8.25"), (400, "7.10"), (1000, "6.20")],
    ),
    (
        PEOPLE_FIRST,
        "hr-services",
        "Employee handbook and policy pack",
        "organisation",
        1,
        "standard",
        "450.00",
        1,
        14,
        "A handbook and twenty core policies written to Scottish employment practice, tailored to the organisation.",
        [(5, "395.00"), (15, "340.00")],
    ),
    (
        FORTH,
        "it-services",
        "Managed IT support",
        "seat-month",
        1,
        "standard",
        "32.00",
        5,
        10,
        "Helpdesk, device management, patching and backups for each user, every month.",
        [(50, "28.50"), (200, "25.00"), (500, "22.50")],
    ),
    (
        FORTH,
        "it-services",
        "Microsoft 365 Business Standard licence",
        "licence-month",
        1,
        "standard",
        "10.30",
        5,
        2,
        "Email, Teams and Office apps, with migration help.",
        [(50, "9.80"), (250, "9.20")],
    ),
    (
        FORTH,
        "it-services",
        "Cyber Essentials certification support",
        "assessment",
        1,
        "standard",
        "895.00",
        1,
        21,
        "Gap review, remediation plan and the certification assessment itself.",
        [(5, "820.00"), (15, "760.00")],
    ),
    (
        COMMON_GOOD,
        "accountancy",
        "Bookkeeping",
        "hour",
        1,
        "standard",
        "32.00",
        4,
        5,
        "Xero or QuickBooks bookkeeping by a charity-sector bookkeeper, remote or on site.",
        [(100, "29.50"), (400, "27.00")],
    ),
    (
        COMMON_GOOD,
        "accountancy",
        "Payroll bureau",
        "payslip",
        1,
        "standard",
        "6.50",
        10,
        5,
        "Monthly payroll with RTI submissions, pensions auto-enrolment and payslips by email.",
        [(200, "5.75"), (1000, "4.90")],
    ),
]


def seed() -> None:
    """Idempotent: does nothing once any offer exists. Needs the marketplace demo's suppliers and admin."""
    _ensure_categories()
    if db.session.scalar(select(Offer.id).limit(1)) is not None:
        return
    admin = db.session.scalar(select(RoleGrant).where(RoleGrant.role == Role.ADMIN).order_by(RoleGrant.id).limit(1))
    if admin is None:
        return
    suppliers = {
        s.name: s
        for s in db.session.scalars(select(Supplier).join(Organisation, Supplier.organisation_id == Organisation.id))
    }
    for (
        supplier_name,
        category,
        name,
        unit,
        pack_size,
        vat_rate,
        list_price,
        minimum,
        lead_days,
        description,
        tiers,
    ) in OFFERS:
        supplier = suppliers.get(supplier_name)
        if supplier is None:
            continue
        services.create_offer(
            admin.user,
            supplier.id,
            {
                "name": name,
                "category": category,
                "unit": unit,
                "pack_size": pack_size,
                "vat_rate": vat_rate,
                "list_price": list_price,
                "minimum_order_quantity": minimum,
                "lead_time_days": lead_days,
                "description": description,
                "tiers": [{"min_quantity": quantity, "unit_price": price} for quantity, price in tiers],
            },
        )


def _ensure_categories() -> None:
    """The migration seeds the categories; a database made by create_all (tests) gets them here."""
    existing = set(db.session.scalars(select(Category.slug)))
    for position, (slug, name, description) in enumerate(CATEGORIES):
        if slug not in existing:
            db.session.add(Category(slug=slug, name=name, description=description, position=position))
    db.session.flush()
