"""Builders for test data, through the same services the app uses."""
import itertools
import re
from dataclasses import dataclass

from marketplace import services
from marketplace.extensions import db
from marketplace.models import Consortium, Member, Network, Role, Supplier, TurnoverBand, User

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def organisation_data(name: str, **overrides) -> dict:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return {
        "legal_name": name, "address_line1": "1 High Street", "city": "Dundee", "postcode": "DD1 1AA",
        "contact_email": f"office@{slug}.example.org", "vat_number": None, "is_social_enterprise": True,
    } | overrides


def consortium(name: str | None = None, code: str | None = None, **overrides) -> Consortium:
    n = next(_counter)
    name = name or f"Consortium {n}"
    return services.save_consortium(organisation_data(name, **overrides) | {"name": name, "code": code or f"C{n:03d}"})


def network(consortium_: Consortium, name: str | None = None) -> Network:
    return services.save_network({"name": name or f"Network {next(_counter)}", "consortium_id": consortium_.id})


def member(network_: Network, name: str | None = None, headcount: int = 10,
           turnover_band: TurnoverBand = TurnoverBand.FROM_100K_TO_500K, **overrides) -> Member:
    name = name or f"Member {next(_counter)}"
    return services.save_member(organisation_data(name, **overrides) | {
        "network_id": network_.id, "headcount": headcount, "turnover_band": turnover_band})


def supplier(name: str | None = None, **overrides) -> Supplier:
    return services.save_supplier(organisation_data(name or f"Supplier {next(_counter)}", **overrides))


def user(email: str | None = None, *grants: tuple[Role, int | None], name: str = "Test User") -> User:
    user_ = services.save_user({"email": email or f"user{next(_counter)}@example.org", "name": name,
                                "password": PASSWORD})
    for role, scope_id in grants:
        services.grant_role(user_, role, scope_id)
    return user_


def sign_in(client, user_: User, password: str = PASSWORD):
    return client.post("/sign-in", data={"email": user_.email, "password": password})


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
            consortium=ours, other_consortium=theirs, network=our_network, other_network=their_network,
            member=our_member, other_member=their_member, supplier=our_supplier, other_supplier=their_supplier,
            admin=user("admin@example.org", (Role.ADMIN, None), name="Ada Admin"),
            secretary=user("secretary@example.org", (Role.SECRETARY, ours.id), name="Sam Secretary"),
            member_user=user("member@example.org", (Role.MEMBER, our_member.id), name="Morag Member"),
            supplier_user=user("supplier@example.org", (Role.SUPPLIER, our_supplier.id), name="Sunil Supplier"),
            stranger=user("nobody@example.org", name="No Roles"),
        )
        db.session.commit()
        return world

    def user_for(self, role: str) -> User | None:
        return {"admin": self.admin, "secretary": self.secretary, "member": self.member_user,
                "supplier": self.supplier_user, "no_role": self.stranger}.get(role)
