"""The admin's pages: consortia, networks, members, suppliers, users and their roles.

Each kind of record is an `AdminSection`: the same list, create, edit and deactivate
pages serve all of them, so they behave alike.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from kernel import confirm
from kernel.api import INT_MAX
from kernel.errors import DomainError
from kernel.extensions import db, login_manager
from kernel.formatting import sort_code
from kernel.web import Picked, form_errors, page_number, pick, submitted_ids
from organisations import audit, privacy, services
from organisations.access import acting_user, require_actor
from organisations.forms import (
    AuditSearchForm,
    ConsortiumForm,
    MemberForm,
    NetworkForm,
    RoleGrantForm,
    SupplierForm,
    UserForm,
)
from organisations.models import Consortium, Member, Network, Organisation, Role, RoleGrant, Supplier, User

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def require_admin():
    user = acting_user()
    if user is None:
        return login_manager.unauthorized()
    if not user.is_admin:
        abort(403)
    return None


def _organisation_data(organisation: Organisation) -> dict:
    return {name: getattr(organisation, name) for name in services.ORGANISATION_FIELDS}


# A chooser's first options and its search box: (the options, the box's label, what they are)
Finder = tuple[Picked, str, str]


def _chosen(name: str, record: Any) -> list[int]:
    """The ids a chooser must keep: the one posted, else the record's own."""
    posted = submitted_ids(name)
    current = getattr(record, name, None) if record is not None else None
    return posted or ([current] if current is not None else [])


def _consortium_choices(form, record) -> list[Finder]:
    chosen = _chosen("consortium_id", record)
    consortia = pick(
        select(Consortium).order_by(Consortium.name, Consortium.id),
        [Consortium.name],
        "consortium_search",
        Consortium.id.in_(chosen) if chosen else None,
    )
    form.consortium_id.choices = [SelectChoice(c.id, c.name) for c in consortia.items]
    return [(consortia, "Find the consortium", "consortia")]


def _network_choices(form, record) -> list[Finder]:
    chosen = _chosen("network_id", record)
    networks = pick(
        select(Network)
        .join(Consortium, Network.consortium_id == Consortium.id)
        .order_by(Consortium.name, Network.name),
        [Network.name, Consortium.name],
        "network_search",
        Network.id.in_(chosen) if chosen else None,
    )
    form.network_id.choices = [SelectChoice(n.id, f"{n.consortium.name}: {n.name}") for n in networks.items]
    return [(networks, "Find the network", "networks")]


@dataclass
class AdminSection:
    name: str
    title: str
    singular: str
    model: type
    form: type
    save: Callable[[dict, Any], Any]
    columns: list[tuple[str, Callable[[Any], Any]]]
    initial: Callable[[Any], dict]
    order_by: Any
    choices: Callable[[Any, Any], list[Finder]] = field(default=lambda form, record: [])
    detail_template: str | None = None
    listed_with: tuple = ()  # loader options: what the list's columns read, loaded for the page in a few queries


SECTIONS = {
    section.name: section
    for section in [
        AdminSection(
            "consortia",
            "Consortia",
            "consortium",
            Consortium,
            ConsortiumForm,
            lambda data, record: services.save_consortium(data, record, actor=require_actor()),
            [
                ("Name", lambda c: c.name),
                ("Code", lambda c: c.code),
                ("Networks", lambda c: len(c.networks)),
                ("VAT number", lambda c: c.organisation.vat_number or "not registered"),
            ],
            lambda c: (
                _organisation_data(c.organisation)
                | {
                    "name": c.name,
                    "code": c.code,
                    "bank_account_name": c.bank_account_name,
                    "bank_sort_code": sort_code(c.bank_sort_code),
                    "bank_account_number": c.bank_account_number,
                    "send_orders_on_close": c.send_orders_on_close,
                    "handling_fee_percent": c.handling_fee_percent,
                    "payment_terms_days": c.payment_terms_days,
                }
            ),
            Consortium.name,
            listed_with=(selectinload(Consortium.networks),),
        ),
        AdminSection(
            "networks",
            "Networks",
            "network",
            Network,
            NetworkForm,
            services.save_network,
            [("Name", lambda n: n.name), ("Consortium", lambda n: n.consortium.name)],
            lambda n: {"name": n.name, "consortium_id": n.consortium_id},
            Network.name,
            _consortium_choices,
        ),
        AdminSection(
            "members",
            "Members",
            "member",
            Member,
            MemberForm,
            services.save_member,
            [
                ("Legal name", lambda m: m.name),
                ("Network", lambda m: m.network.name),
                ("Consortium", lambda m: m.network.consortium.name),
                ("Headcount", lambda m: m.headcount),
                ("Turnover", lambda m: m.turnover_band.label),
            ],
            lambda m: (
                _organisation_data(m.organisation)
                | {
                    "network_id": m.network_id,
                    "headcount": m.headcount,
                    "turnover_band": m.turnover_band,
                    "billing_email": m.billing_email,
                }
            ),
            Member.id,
            _network_choices,
            "admin/member_extra.html",
        ),
        AdminSection(
            "suppliers",
            "Suppliers",
            "supplier",
            Supplier,
            SupplierForm,
            services.save_supplier,
            [("Legal name", lambda s: s.name), ("Buy social", lambda s: "yes" if s.buy_social else "no")],
            lambda s: _organisation_data(s.organisation) | {"description": s.description},
            Supplier.id,
        ),
        AdminSection(
            "users",
            "Users",
            "user",
            User,
            UserForm,
            services.save_user,
            [
                ("Name", lambda u: u.name),
                ("Email", lambda u: u.email),
                ("Roles", lambda u: ", ".join(g.description for g in u.grants) or "none"),
            ],
            lambda u: {"email": u.email, "name": u.name},
            User.email,
            detail_template="admin/user_extra.html",
            listed_with=(
                selectinload(User.grants).selectinload(RoleGrant.member),
                selectinload(User.grants).selectinload(RoleGrant.consortium),
                selectinload(User.grants).selectinload(RoleGrant.supplier),
            ),
        ),
    ]
}


def _section(name: str) -> AdminSection:
    section = SECTIONS.get(name)
    if section is None:
        abort(404)
    return section


def _record(section: AdminSection, record_id: int):
    return db.get_or_404(section.model, record_id)


@bp.get("/")
def index():
    return render_template("admin/index.html", sections=SECTIONS.values())


@bp.get("/audit")
def audit_log():
    """The audit log, newest first, narrowed by the query string's filters."""
    form = AuditSearchForm(request.args)
    form.action.choices = [SelectChoice("", "Any action"), *(SelectChoice(k, v) for k, v in audit.ACTIONS.items())]
    chosen = request.args.get("consortium_id", "")
    consortia = pick(
        select(Consortium).order_by(Consortium.name, Consortium.id),
        [Consortium.name],
        "consortium_search",
        Consortium.id == int(chosen) if chosen.isdigit() else None,
    )
    form.consortium_id.choices = [
        SelectChoice("", "Any consortium"),
        *(SelectChoice(str(c.id), c.name) for c in consortia.items),
    ]
    criteria = audit.Search()
    if request.args and form.validate():
        criteria = audit.Search(
            action=form.action.data or None,
            text=form.q.data or None,
            consortium_id=int(form.consortium_id.data) if form.consortium_id.data else None,
            from_date=form.from_date.data,
            to_date=form.to_date.data,
        )
    page = db.paginate(audit.search(criteria), page=page_number(), per_page=50, error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "admin/audit.html", form=form, page=page, args=args, consortia=consortia
    ), 422 if form.errors else 200


@bp.get("/users/<int:record_id>/erase")
def confirm_erase_person(record_id: int):
    user = db.get_or_404(User, record_id)
    return confirm.ask(
        confirm.Confirmation(
            title=f"Erase {user.name}'s personal data?",
            consequences=[
                "Their name and email are replaced, their sessions and API tokens end and their roles are removed.",
                "Invoices and orders keep their organisation's details; no money changes.",
                "Nobody is emailed. It cannot be undone.",
            ],
            action=url_for("admin.erase_person", record_id=user.id),
            button="Erase this person",
            back=url_for("admin.edit_record", section_name="users", record_id=user.id),
        )
    )


@bp.post("/users/<int:record_id>/erase")
def erase_person(record_id: int):
    user = db.get_or_404(User, record_id)
    if not confirm.confirmed():
        return confirm.ask_first(url_for("admin.confirm_erase_person", record_id=user.id))
    privacy.erase(require_actor(), user)
    flash(f"User {user.id}'s name and email are erased, their sessions ended and roles revoked.", "success")
    return redirect(url_for("admin.edit_record", section_name="users", record_id=user.id))


@bp.get("/<section_name>")
def list_records(section_name: str):
    section = _section(section_name)
    page = db.paginate(select(section.model).options(*section.listed_with).order_by(section.order_by), per_page=50)
    return render_template("admin/list.html", section=section, page=page)


@bp.route("/<section_name>/new", methods=["GET", "POST"])
def create_record(section_name: str):
    return _edit(_section(section_name), None)


@bp.route("/<section_name>/<int:record_id>", methods=["GET", "POST"])
def edit_record(section_name: str, record_id: int):
    section = _section(section_name)
    return _edit(section, _record(section, record_id))


def _edit(section: AdminSection, record):
    form = section.form(data=section.initial(record) if record is not None else None)
    finders = section.choices(form, record)
    if form.validate_on_submit():
        try:
            record = section.save(form.data, record)
        except DomainError as error:
            form_errors(form, error)
        else:
            flash(f"{section.singular.capitalize()} saved.", "success")
            return redirect(url_for("admin.edit_record", section_name=section.name, record_id=record.id))
    status = 422 if form.errors or form.form_errors else 200
    extra = _extra_context(section, record)
    return render_template(
        "admin/edit.html", section=section, form=form, record=record, finders=finders, **extra
    ), status


def _extra_context(section: AdminSection, record) -> dict:
    if section.name != "users" or record is None:
        return {}
    form, finder = _grant_form()
    return {"grant_form": form, "grant_finder": finder}


def _grant_form() -> tuple[RoleGrantForm, Picked]:
    """The roles to grant; the organisations are found by one search (`?grant_search=`) across the three kinds."""
    form = RoleGrantForm()
    posted_role, _, posted_scope = (request.form.get("grant") or "").partition(":")
    kept = [int(posted_scope)] if posted_scope.isdigit() and int(posted_scope) <= INT_MAX else []

    def keep(role: str, column):
        return column.in_(kept) if kept and posted_role == role else None

    members = pick(
        select(Member).join(Organisation, Member.organisation_id == Organisation.id).order_by(Member.id),
        [Organisation.legal_name],
        "grant_search",
        keep("member", Member.id),
    )
    consortia = pick(
        select(Consortium).order_by(Consortium.name, Consortium.id),
        [Consortium.name],
        "grant_search",
        keep("secretary", Consortium.id),
    )
    suppliers = pick(
        select(Supplier).join(Organisation, Supplier.organisation_id == Organisation.id).order_by(Supplier.id),
        [Organisation.legal_name],
        "grant_search",
        keep("supplier", Supplier.id),
    )
    form.grant.choices = {
        "Platform": [(Role.ADMIN.value, "Admin")],
        "Member user of": [(f"member:{m.id}", m.name) for m in members.items],
        "Secretary of": [(f"secretary:{c.id}", c.name) for c in consortia.items],
        "Supplier user of": [(f"supplier:{s.id}", s.name) for s in suppliers.items],
    }
    every = (members, consortia, suppliers)
    return form, Picked([o for p in every for o in p.items], any(p.more for p in every), members.search, members.arg)


DEACTIVATED = {
    "users": "They are signed out everywhere at once and can no longer sign in or use their API tokens.",
    "consortia": "The consortium is hidden from the choices for new pools; its pools, orders and invoices stay.",
    "networks": "People can no longer apply to join the network; its members stay as they are.",
    "members": "The member can no longer pledge and is no longer told of new pools; its pledges and invoices stay.",
    "suppliers": "The supplier's offers leave the catalogue; its orders and open pools stay.",
}


@bp.get("/<section_name>/<int:record_id>/deactivate")
def confirm_deactivate(section_name: str, record_id: int):
    section = _section(section_name)
    record = _record(section, record_id)
    return confirm.ask(
        confirm.Confirmation(
            title=f"Deactivate the {section.singular} {record.name}?",
            consequences=[
                DEACTIVATED.get(section.name, f"The {section.singular} is hidden; nothing is deleted."),
                "No money changes, and nobody is emailed.",
                "It can be undone: reactivate it from its page.",
            ],
            action=url_for("admin.set_active", section_name=section.name, record_id=record.id),
            button=f"Deactivate {section.singular}",
            back=url_for("admin.edit_record", section_name=section.name, record_id=record.id),
            fields={"active": "0"},
        )
    )


@bp.post("/<section_name>/<int:record_id>/active")
def set_active(section_name: str, record_id: int):
    """Reactivating acts at once; deactivating only from its confirmation page."""
    section = _section(section_name)
    record = _record(section, record_id)
    active = request.form.get("active") == "1"
    if not active and not confirm.confirmed():
        return confirm.ask_first(url_for("admin.confirm_deactivate", section_name=section.name, record_id=record.id))
    services.set_active(require_actor(), record, active)
    flash(f"{section.singular.capitalize()} {'reactivated' if active else 'deactivated'}.", "success")
    return redirect(url_for("admin.edit_record", section_name=section.name, record_id=record.id))


@bp.post("/users/<int:record_id>/grants")
def grant_role(record_id: int):
    user = db.get_or_404(User, record_id)
    form, finder = _grant_form()
    if form.validate_on_submit():
        role, scope_id = form.parsed()
        try:
            services.grant_role(user, role, scope_id, actor=require_actor())
        except DomainError as error:
            form_errors(form, error)
        else:
            flash("Role granted.", "success")
            return redirect(url_for("admin.edit_record", section_name="users", record_id=user.id))
    section = SECTIONS["users"]
    user_form = section.form(formdata=None, data=section.initial(user))
    finders = section.choices(user_form, user)
    return render_template(
        "admin/edit.html",
        section=section,
        form=user_form,
        record=user,
        finders=finders,
        grant_form=form,
        grant_finder=finder,
    ), 422


@bp.get("/users/<int:record_id>/grants/<int:grant_id>/revoke")
def confirm_revoke_grant(record_id: int, grant_id: int):
    user = db.get_or_404(User, record_id)
    grant = next((g for g in user.grants if g.id == grant_id), None)
    if grant is None:
        abort(404)
    return confirm.ask(
        confirm.Confirmation(
            title=f"Remove the role “{grant.description}” from {user.name}?",
            consequences=[
                "From their next page they can no longer see or do what the role allowed.",
                "Nothing they did with it is undone, and no money changes. Nobody is emailed.",
                "You can grant the role again from their page.",
            ],
            action=url_for("admin.revoke_grant", record_id=user.id, grant_id=grant.id),
            button="Remove role",
            back=url_for("admin.edit_record", section_name="users", record_id=user.id),
        )
    )


@bp.post("/users/<int:record_id>/grants/<int:grant_id>/revoke")
def revoke_grant(record_id: int, grant_id: int):
    user = db.get_or_404(User, record_id)
    if not confirm.confirmed():
        return confirm.ask_first(url_for("admin.confirm_revoke_grant", record_id=user.id, grant_id=grant_id))
    services.revoke_grant(user, grant_id, actor=require_actor())
    flash("Role removed.", "success")
    return redirect(url_for("admin.edit_record", section_name="users", record_id=user.id))


@bp.post("/members/<int:record_id>/supplier")
def register_member_as_supplier(record_id: int):
    member = db.get_or_404(Member, record_id)
    supplier = services.register_member_as_supplier(member)
    flash(f"{member.name} can now sell to its peers as a supplier.", "success")
    return redirect(url_for("admin.edit_record", section_name="suppliers", record_id=supplier.id))
