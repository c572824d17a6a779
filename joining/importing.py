"""Bringing a consortium's membership in from a sheet, and taking it out in the same shape.

`preview` checks the whole file (joining.sheet's rules, then what the database already holds)
and says what would be made; `run` makes it only when the preview has no errors, in the
request's one transaction, and invites the contact people.
"""

from dataclasses import dataclass

from sqlalchemy import func, select

from joining import services as joining
from joining import sheet
from joining.models import Invitation
from kernel.errors import Forbidden, ValidationFailed
from kernel.extensions import db
from organisations import audit, services
from organisations.access import can_act_for_consortium
from organisations.models import Consortium, Member, Network, Organisation, Role, RoleGrant, User


@dataclass
class Preview:
    plan: sheet.Plan
    errors: list[sheet.RowError]
    new_networks: list[str]

    @property
    def valid(self) -> bool:
        return not self.errors


def _require(actor: User, consortium: Consortium) -> None:
    if not can_act_for_consortium(actor, consortium.id):
        raise Forbidden("Only the consortium's secretary or an admin imports its members.")


def preview(actor: User, consortium: Consortium, filename: str, data: bytes) -> Preview:
    """Every error in the file, named by row and column; what would be made when there are none."""
    _require(actor, consortium)
    try:
        rows = sheet.read(filename, data)
    except sheet.SheetError as error:
        raise ValidationFailed.field("file", str(error)) from None
    plan, errors = sheet.check(rows)
    existing = {
        name.lower() for name in db.session.scalars(select(Network.name).where(Network.consortium_id == consortium.id))
    }
    errors += _clashes_with_stored(plan, consortium)
    errors.sort(key=lambda e: (e.row, sheet.COLUMNS.index(e.column)))
    return Preview(plan, errors, [name for name in plan.networks if name.lower() not in existing])


def _clashes_with_stored(plan: sheet.Plan, consortium: Consortium) -> list[sheet.RowError]:
    """A member already in the consortium, by name or by company number. Within the consortium only: the same
    file imports into another consortium (a copy, a new region) as it does into an empty one."""
    names = {m.name.lower() for m in plan.members}
    numbers = {(m.details["company_number"] or "").upper() for m in plan.members} - {""}
    taken_names = set()
    if names:
        taken_names = set(
            db.session.scalars(
                select(func.lower(Organisation.legal_name))
                .join(Member, Member.organisation_id == Organisation.id)
                .join(Network)
                .where(Network.consortium_id == consortium.id, func.lower(Organisation.legal_name).in_(names))
            )
        )
    taken_numbers = set()
    if numbers:
        taken_numbers = set(
            db.session.scalars(
                select(func.upper(Organisation.company_number))
                .join(Member, Member.organisation_id == Organisation.id)
                .join(Network)
                .where(Network.consortium_id == consortium.id, func.upper(Organisation.company_number).in_(numbers))
            )
        )
    errors = []
    for member in plan.members:
        if member.name.lower() in taken_names:
            errors.append(
                sheet.RowError(member.row, "member", f"{member.name} is a member of {consortium.name} already.")
            )
        if (member.details["company_number"] or "").upper() in taken_numbers:
            errors.append(
                sheet.RowError(
                    member.row, "company_number", f"A member of {consortium.name} has this company number already."
                )
            )
    return errors


@dataclass(frozen=True)
class Imported:
    networks: int
    members: int
    invitations: int


def run(actor: User, consortium: Consortium, filename: str, data: bytes) -> Imported:
    """Makes what the preview shows, or nothing: any error refuses the whole file."""
    checked = preview(actor, consortium, filename, data)
    if not checked.valid:
        raise ValidationFailed(
            f"The file has {len(checked.errors)} error{'s' if len(checked.errors) != 1 else ''}; nothing was imported.",
            {"file": [str(e) for e in checked.errors]},
        )
    networks = {n.name.lower(): n for n in consortium.networks}
    for name in checked.new_networks:
        networks[name.lower()] = services.save_network({"name": name, "consortium_id": consortium.id})
    invited = 0
    for row in checked.plan.members:
        details = row.details
        member = services.save_member(
            {
                "network_id": networks[row.network.lower()].id,
                "headcount": row.headcount,
                "turnover_band": row.turnover_band,
                "legal_name": details["member"],
                "address_line1": details["address_line1"],
                "address_line2": details["address_line2"],
                "city": details["city"],
                "postcode": details["postcode"],
                "contact_email": details["organisation_email"],
                "phone": details["phone"],
                "vat_number": details["vat_number"],
                "company_number": details["company_number"],
                "is_social_enterprise": True,
            }
        )
        for name, email in row.contacts:
            joining.invite(actor, email, name, Role.MEMBER, member.id)
            invited += 1
    made = Imported(len(checked.new_networks), len(checked.plan.members), invited)
    audit.record(
        actor,
        "members_imported",
        f"{made.members} members into {consortium.name} from {filename[:100]}",
        consortium.id,
        f"{made.networks} new networks, {made.invitations} people invited",
    )
    return made


def export_rows(consortium: Consortium) -> list[dict[str, str]]:
    """The consortium's networks, members and their people (users, and those invited and not yet joined), in the
    import's shape, ordered so that exporting an import of it gives the same file."""
    networks = list(
        db.session.scalars(select(Network).where(Network.consortium_id == consortium.id).order_by(Network.name))
    )
    members = list(
        db.session.scalars(
            select(Member)
            .join(Network)
            .join(Organisation, Member.organisation_id == Organisation.id)
            .where(Network.consortium_id == consortium.id)
            .order_by(Organisation.legal_name, Member.id)
        )
    )
    contacts: dict[int | None, dict[str, str]] = {m.id: {} for m in members}
    ids = list(contacts)
    for member_id, name, email in db.session.execute(
        select(RoleGrant.member_id, User.name, User.email)
        .join(User, RoleGrant.user_id == User.id)
        .where(RoleGrant.member_id.in_(ids), User.active)
    ):
        contacts[member_id][email] = name
    for member_id, name, email in db.session.execute(
        select(Invitation.member_id, Invitation.name, Invitation.email).where(
            Invitation.member_id.in_(ids), Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None)
        )
    ):
        contacts[member_id].setdefault(email, name)
    rows = []
    for network in networks:
        inside = [m for m in members if m.network_id == network.id]
        if not inside:
            rows.append({"network": network.name})
        for member in inside:
            organisation = member.organisation
            details = {
                "member": organisation.legal_name,
                "address_line1": organisation.address_line1,
                "address_line2": organisation.address_line2,
                "city": organisation.city,
                "postcode": organisation.postcode,
                "organisation_email": organisation.contact_email,
                "phone": organisation.phone,
                "vat_number": organisation.vat_number,
                "company_number": organisation.company_number,
                "turnover_band": member.turnover_band.value,
                "headcount": str(member.headcount),
            }
            people = sorted(((name, email) for email, name in contacts[member.id].items()), key=lambda p: p[1])
            rows += sheet.member_rows(network.name, details, people)
    return rows
