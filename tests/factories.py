"""Builders for test data, through the same services the app uses."""

import itertools
import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select

from kernel import clock
from kernel.extensions import db
from organisations import outbox, services, totp
from organisations.models import (
    Consortium,
    Member,
    Network,
    OutboxMessage,
    Role,
    Supplier,
    TurnoverBand,
    TwoFactor,
    User,
)
from organisations.peppol import GLN, gs1_check_digit

PASSWORD = "correct-horse-battery"
# Admins and secretaries must sign in with an authenticator code: theirs is set up with this secret.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_counter = itertools.count(1)


def organisation_data(name: str, **overrides) -> dict:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return {
        "legal_name": name,
        "address_line1": "1 High Street",
        "city": "Dundee",
        "postcode": "DD1 1AA",
        "contact_email": f"office@{slug}.example.org",
        "vat_number": None,
        "is_social_enterprise": True,
    } | overrides


def gln(n: int) -> str:
    """A GS1 Global Location Number of the UK's 50 prefix, its check digit right, one for each n."""
    body = f"50{n:010d}"
    return body + gs1_check_digit(body)


def peppol_id(n: int) -> dict:
    """A Peppol ID (a GLN), so documents can be addressed to an organisation without a VAT number."""
    return {"peppol_scheme": GLN, "peppol_id": gln(n)}


def consortium(name: str | None = None, code: str | None = None, **overrides) -> Consortium:
    n = next(_counter)
    name = name or f"Consortium {n}"
    data = organisation_data(name, **(peppol_id(n) | overrides))
    return services.save_consortium(data | {"name": name, "code": code or f"C{_base36(n):0>3}"})


def _base36(n: int) -> str:
    """n in four characters up to 1,679,615, so codes stay within their five however many tests a worker runs."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    text = ""
    while True:
        n, digit = divmod(n, 36)
        text = digits[digit] + text
        if not n:
            return text


def network(consortium_: Consortium, name: str | None = None) -> Network:
    return services.save_network({"name": name or f"Network {next(_counter)}", "consortium_id": consortium_.id})


def member(
    network_: Network,
    name: str | None = None,
    headcount: int = 10,
    turnover_band: TurnoverBand = TurnoverBand.FROM_100K_TO_500K,
    **overrides,
) -> Member:
    n = next(_counter)
    name = name or f"Member {n}"
    return services.save_member(
        organisation_data(name, **(peppol_id(n) | overrides))
        | {"network_id": network_.id, "headcount": headcount, "turnover_band": turnover_band}
    )


def supplier(name: str | None = None, **overrides) -> Supplier:
    return services.save_supplier(organisation_data(name or f"Supplier {next(_counter)}", **overrides))


def user(email: str | None = None, *grants: tuple[Role, int | None], name: str = "Test User") -> User:
    user_ = services.save_user(
        {"email": email or f"user{next(_counter)}@example.org", "name": name, "password": PASSWORD}
    )
    for role, scope_id in grants:
        services.grant_role(user_, role, scope_id)
    return user_


def sign_in(client, user_: User, password: str = PASSWORD):
    """Signs in as a person would, typing the authenticator's code when asked for one. Admins and secretaries
    must have an authenticator app: one with TOTP_SECRET is set up for them first if they have none."""
    if user_.needs_two_factor and not user_.has_two_factor:
        with_authenticator(user_)
    response = client.post("/sign-in", data={"email": user_.email, "password": password})
    if response.status_code == 302 and urlsplit(response.location).path == "/sign-in/code":
        response = client.post("/sign-in/code", data={"code": authenticator_code(user_)})
    return response


def with_authenticator(user_: User, secret: str = TOTP_SECRET) -> User:
    user_.two_factor = TwoFactor(secret=secret)
    db.session.commit()
    return user_


def authenticator_code(user_: User) -> str:
    """The code the person's app would show, for a step not used yet: a test may sign the same person in more than
    once a step, and each code works once (waits for the next step when both codes it can use are used)."""
    db.session.refresh(user_)
    now = totp.step_at(clock.utcnow())
    app = user_.two_factor
    assert app is not None, f"{user_.email} has no authenticator app"
    # From this step's code: the server, reading the clock a moment later, still accepts it or the next one's. A frozen
    # clock cannot move on, so it may use the step before too (three sign-ins a step, where a real one has two).
    first = now - 1 if clock._now is not clock._system_now else now
    step = first if app.last_step is None else max(first, app.last_step + 1)
    if step > now + 1:
        assert clock._now is clock._system_now, "the frozen clock allows three sign-ins of one person: move it on"
        time.sleep(totp.STEP_SECONDS - clock.utcnow().timestamp() % totp.STEP_SECONDS + 0.1)
        return authenticator_code(user_)
    return totp.code_at(app.secret, step)


def outbox_messages(kind: str | None = None) -> list[OutboxMessage]:
    """The outbox as the sender leaves it before sending: every waiting event's messages written (and committed)."""
    outbox.expand_pending()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def api_token(user_: User) -> dict:
    _, plain = services.create_api_token(user_, "tests")
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


@dataclass
class World:
    """Ours (consortium A) and theirs (consortium B), so tests can cross organisation lines."""

    consortium: Consortium
    other_consortium: Consortium
    network: Network
    other_network: Network
    member: Member
    other_member: Member
    supplier: Supplier
    other_supplier: Supplier
    admin: User
    secretary: User
    member_user: User
    supplier_user: User
    stranger: User

    @classmethod
    def build(cls) -> "World":
        ours = consortium("Tayside", "TAY")
        theirs = consortium("Lothians", "LOT", city="Edinburgh", postcode="EH1 1AA")
        our_network = network(ours, "Dundee Network")
        their_network = network(theirs, "Edinburgh Network")
        our_member = member(our_network, "Re-Tweed Dundee CIC")
        their_member = member(their_network, "Leith Community Crops")
        our_supplier = supplier("Caledonian Office Supplies Ltd")
        their_supplier = supplier("Forth IT Support Ltd")
        world = cls(
            consortium=ours,
            other_consortium=theirs,
            network=our_network,
            other_network=their_network,
            member=our_member,
            other_member=their_member,
            supplier=our_supplier,
            other_supplier=their_supplier,
            admin=user("admin@example.org", (Role.ADMIN, None), name="Ada Admin"),
            secretary=user("secretary@example.org", (Role.SECRETARY, ours.id), name="Sam Secretary"),
            member_user=user("member@example.org", (Role.MEMBER, our_member.id), name="Morag Member"),
            supplier_user=user("supplier@example.org", (Role.SUPPLIER, our_supplier.id), name="Sunil Supplier"),
            stranger=user("nobody@example.org", name="No Roles"),
        )
        db.session.commit()
        return world

    def user_for(self, role: str) -> User | None:
        return {
            "admin": self.admin,
            "secretary": self.secretary,
            "member": self.member_user,
            "supplier": self.supplier_user,
            "no_role": self.stranger,
        }.get(role)


def field_error(response, name: str) -> str | None:
    """The message a form page shows next to field `name`, or None when it shows none."""
    match = re.search(
        rf'<p class="invalid-feedback[^"]*" id="{re.escape(name)}-error">(.*?)</p>',
        response.get_data(as_text=True),
        re.S,
    )
    return match.group(1) if match else None


def organisation_form(name: str, **overrides) -> dict:
    """What a person types into an organisation form (empty strings for optional fields left blank)."""
    data = organisation_data(name) | {"vat_number": "", "address_line2": "", "phone": "", "company_number": ""}
    data.pop("is_social_enterprise")
    return data | overrides


def category(slug: str | None = None, name: str | None = None, position: int = 0):
    """A catalogue category; tests build the ones they need (the migration seeds the real seven)."""
    from catalogue.models import Category

    n = next(_counter)
    found = db.session.scalar(db.select(Category).where(Category.slug == slug)) if slug else None
    if found is not None:
        return found
    made = Category(slug=slug or f"category-{n}", name=name or f"Category {n}", position=position)
    db.session.add(made)
    db.session.flush()
    return made


def offer(
    supplier_: Supplier,
    category_=None,
    *,
    name: str | None = None,
    list_price: str = "4.2000",
    tiers: tuple = ((100, "3.8500"), (500, "3.4900")),
    actor: User | None = None,
    **fields,
):
    """An active offer with tiers, made through the catalogue service as the supplier's admin."""
    from catalogue import services as catalogue_services

    actor = actor or _catalogue_admin()
    return catalogue_services.create_offer(
        actor,
        supplier_.id,
        {
            "name": name or f"Offer {next(_counter)}",
            "category": (category_ or category()).id,
            "unit": "ream",
            "vat_rate": "standard",
            "list_price": list_price,
            "tiers": [{"min_quantity": q, "unit_price": p} for q, p in tiers],
        }
        | fields,
    )


def _catalogue_admin() -> User:
    existing = db.session.scalar(db.select(User).where(User.email == "catalogue-builder@example.org"))
    return existing or user("catalogue-builder@example.org", (Role.ADMIN, None), name="Catalogue Builder")


def invitation_link(email: str) -> str:
    """The path of the newest invitation link emailed to `email`, read from the outbox as the person would."""
    from organisations.models import OutboxMessage

    message = db.session.scalars(
        db.select(OutboxMessage)
        .where(OutboxMessage.kind == "invitation", OutboxMessage.to_email == email)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert message is not None, f"no invitation emailed to {email}"
    return re.search(r"https?://[^/\s]+(/invitations/accept/\S+)", message.body_text).group(1)


def application_data(network_: Network, name: str = "Tay Valley Bikes CIC", **overrides) -> dict:
    """What a social enterprise types into the application form, as the service takes it."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return {
        "network_id": network_.id,
        "legal_name": name,
        "address_line1": "2 Mill Wynd",
        "address_line2": None,
        "city": "Perth",
        "postcode": "PH1 5AA",
        "contact_email": f"hello@{slug}.example.org",
        "phone": None,
        "vat_number": None,
        "company_number": f"SC{next(_counter):06d}",
        "turnover_band": TurnoverBand.UNDER_100K,
        "headcount": 4,
        "person_name": "Iona Applicant",
        "person_email": f"iona@{slug}.example.org",
        "about": "Bike repairs and training.",
    } | overrides
