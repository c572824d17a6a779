"""Who may open what: the expected answer of every endpoint, for each role.

tests/test_access_matrix.py requests every route of `app.url_map` as each role and as a
stranger (not signed in) and compares the answer with `RULES`. A route whose endpoint has
no rule fails that test, so every new endpoint comes with a line here, for example:

    "orders.pool_page": own("secretary", "member", others=HIDDEN),

Each rule gives an outcome per role for "ours" (URL arguments naming the objects of
consortium A, its member and its supplier: the ones the world's users act for), for
"theirs" (the same kind of object in consortium B) and, where the object belongs to one
member or one supplier, for "sibling" (the object of another member, or another supplier,
inside consortium A: the secretary's to see, not our member's or our supplier's). Roles are those of `ROLES`; the
stranger expects LOGIN on pages and UNAUTHORISED on the API unless the rule says otherwise.

GET is requested for every role. Other methods are requested only where the rule denies
(FORBIDDEN, HIDDEN, LOGIN, UNAUTHORISED): a POST as a role that may do it would change data.

URL arguments are filled by `ARGUMENTS` (name -> builder returning the (ours, theirs) values);
a rule's own `args` override them for its endpoint. `SIBLINGS` (name -> builder returning the
sibling's value) adds the sibling variant for the arguments that name a member's or a
supplier's object: pledges (through their pools), purchase orders, invoices and credit notes. An argument nobody can fill fails the
matrix with its name, so add a builder when a route introduces a new one.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from billing import services as billing_services
from billing.models import Invoice
from kernel.clock import utcnow
from kernel.extensions import db
from orders import closing, purchase_orders
from orders import services as orders_services
from orders.models import PurchaseOrder
from organisations import accounts, services
from organisations.models import OutboxMessage, Role, SignInSession, User
from organisations.notifications import unsubscribe_token
from tests import factories
from tests.factories import World
from trading import services as trading
from trading.models import ClearingPosition, ClearingRun, ListingKind

OK = 200
FORBIDDEN = 403  # the user lacks the role
HIDDEN = 404  # another organisation's object: its existence does not leak
UNAUTHORISED = 401  # the API without a valid token
LOGIN = "login"  # a redirect to the sign-in page
REDIRECT = "redirect"  # a redirect anywhere else
DENIED = {FORBIDDEN, HIDDEN, UNAUTHORISED, LOGIN}

Outcome = int | str
ROLES = ("admin", "secretary", "member", "supplier", "no_role")
STRANGER = "stranger"


@dataclass
class Context:
    """What a builder may use: the world, the acting user (None for a stranger), a per-test cache."""

    world: World
    user: User | None
    cache: dict = field(default_factory=dict)

    def once(self, key: str, build: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = build()
        return self.cache[key]


Builder = Callable[[Context], tuple[Any, Any]]


@dataclass(frozen=True)
class Rule:
    ours: Mapping[str, Outcome]
    theirs: Mapping[str, Outcome] | None = None
    stranger: Outcome | None = None
    args: Mapping[str, Builder] = field(default_factory=dict)
    sibling: Mapping[str, Outcome] | None = None

    def expected(self, role: str, side: str, api: bool) -> Outcome:
        if role == STRANGER:
            return self.stranger if self.stranger is not None else (UNAUTHORISED if api else LOGIN)
        tables = {"theirs": self.theirs, "sibling": self.sibling}
        table = tables.get(side) if tables.get(side) is not None else self.ours
        return table[role]


def _each(outcome: Outcome) -> dict[str, Outcome]:
    return {role: outcome for role in ROLES}


def everyone(outcome: Outcome = OK, **rule) -> Rule:
    """Every signed-in role gets `outcome`, whoever's object it is."""
    return Rule(_each(outcome), **rule)


def roles(*allowed: str, others: Outcome = FORBIDDEN, **rule) -> Rule:
    """Admins and `allowed` roles may; the others get `others`."""
    table = {role: OK if role == "admin" or role in allowed else others for role in ROLES}
    return Rule(table, **rule)


CONSORTIUM_WIDE = {"admin", "secretary"}  # roles that see every member's and supplier's objects in their consortium


def own(*allowed: str, others: Outcome = FORBIDDEN, **rule) -> Rule:
    """Like `roles`, but the allowed roles get 404 for another organisation's object.

    Inside our consortium a secretary still sees another member's or supplier's object;
    an allowed member or supplier gets 404 for it.
    """
    ours = {role: OK if role == "admin" or role in allowed else others for role in ROLES}
    theirs = {role: OK if role == "admin" else HIDDEN if role in allowed else others for role in ROLES}
    sibling = {
        role: OK
        if role == "admin" or (role in allowed and role in CONSORTIUM_WIDE)
        else HIDDEN
        if role in allowed
        else others
        for role in ROLES
    }
    return Rule(ours, theirs, sibling=sibling, **rule)


admin_only = roles()


# URL argument builders: each returns (ours, theirs).


def _token_ids(ctx: Context) -> tuple[int, int]:
    """Ours is the acting user's own token; theirs belongs to somebody else."""

    def build():
        owner = ctx.user or ctx.world.member_user
        other = ctx.world.secretary if owner is ctx.world.admin else ctx.world.admin
        ours, _ = services.create_api_token(owner, "matrix: own")
        theirs, _ = services.create_api_token(other, "matrix: someone else's")
        db.session.commit()
        return ours.id, theirs.id

    return ctx.once("token_id", build)


def _offer_ids(ctx: Context) -> tuple[int, int]:
    """An offer of our supplier and one of theirs."""

    def build():
        w = ctx.world
        ours = factories.offer(w.supplier, actor=w.admin, name="Matrix copier paper")
        theirs = factories.offer(w.other_supplier, actor=w.admin, name="Matrix laptops")
        db.session.commit()
        return ours, theirs

    ours, theirs = ctx.once("offers", build)
    return ours.id, theirs.id


def _pool_ids(ctx: Context) -> tuple[int, int]:
    """An open pool of our consortium and an open pool of theirs."""

    def build():
        w = ctx.world
        _offer_ids(ctx)
        our_offer, their_offer = ctx.cache["offers"]
        terms = orders_services.PoolTerms(deadline=utcnow() + timedelta(days=14), minimum_quantity=10)
        pools = []
        for offer, consortium in ((our_offer, w.consortium), (their_offer, w.other_consortium)):
            pool = orders_services.create_pool(w.admin, offer, [consortium], terms)
            orders_services.open_pool(w.admin, pool)
            pools.append(pool.id)
        db.session.commit()
        return tuple(pools)

    return ctx.once("pool_id", build)


def _sibling_member(ctx: Context):
    """Another member in our network: our member's neighbour, whose objects our member must not see."""

    def build():
        made = factories.member(ctx.world.network, "Sibling Bakery CIC")
        db.session.commit()
        return made

    return ctx.once("sibling_member", build)


def _order_ids(ctx: Context) -> tuple[int, int]:
    """A sent purchase order of our consortium to our supplier (our member and the sibling member
    pledged into it), one of theirs to their supplier, and, as the sibling, one of our consortium
    to their supplier."""

    def build():
        w = ctx.world
        _offer_ids(ctx)
        our_offer, their_offer = ctx.cache["offers"]
        sibling = _sibling_member(ctx)
        terms = orders_services.PoolTerms(deadline=utcnow() + timedelta(days=14), minimum_quantity=1)
        orders = []
        for offer, consortium, members in (
            (our_offer, w.consortium, (w.member, sibling)),
            (their_offer, w.other_consortium, (w.other_member,)),
            (their_offer, w.consortium, (w.member,)),
        ):
            pool = orders_services.create_pool(w.admin, offer, [consortium], terms)
            orders_services.open_pool(w.admin, pool)
            for member in members:
                orders_services.pledge(w.admin, pool.id, 10, member_id=member.id)
            order = closing.close_pool(w.admin, pool.id).purchase_orders[0]
            purchase_orders.send(w.admin, order)
            orders.append(order.id)
        db.session.commit()
        return tuple(orders)

    ours, theirs, _ = ctx.once("order_id", build)
    return ours, theirs


def _invoice_ids(ctx: Context) -> tuple[int, int]:
    """An invoice of our member from our consortium, one of theirs, and the sibling member's."""

    def build():
        w = ctx.world
        _order_ids(ctx)
        ours_order, theirs_order, _ = ctx.cache["order_id"]
        invoices = []
        for order_id, members in ((ours_order, (w.member, _sibling_member(ctx))), (theirs_order, (w.other_member,))):
            order = db.session.get(PurchaseOrder, order_id)
            purchase_orders.record_delivery(w.admin, order)
            issued = {i.member_id: i for i in billing_services.issue_invoices(w.admin, order.id)}
            invoices.extend(issued[member.id] for member in members)
        db.session.commit()
        ours, sibling, theirs = (i.id for i in invoices)
        return ours, theirs, sibling

    ours, theirs, _ = ctx.once("invoice_id", build)
    return ours, theirs


def _credit_note_ids(ctx: Context) -> tuple[int, int]:
    def build():
        _invoice_ids(ctx)
        notes = []
        for invoice_id in ctx.cache["invoice_id"]:
            invoice = db.session.get(Invoice, invoice_id)
            notes.append(
                billing_services.issue_credit_note(
                    ctx.world.admin, invoice, billing_services.full_credit(invoice), "Matrix"
                )
            )
        db.session.commit()
        return tuple(n.id for n in notes)

    ours, theirs, _ = ctx.once("credit_note_id", build)
    return ours, theirs


def _user_record_ids(ctx: Context) -> tuple[int, int]:
    return ctx.world.member_user.id, ctx.world.supplier_user.id


def _grant_ids(ctx: Context) -> tuple[int, int]:
    return ctx.world.member_user.grants[0].id, ctx.world.supplier_user.grants[0].id


ARGUMENTS: dict[str, Builder] = {
    "member_id": lambda ctx: (ctx.world.member.id, ctx.world.other_member.id),
    "consortium_id": lambda ctx: (ctx.world.consortium.id, ctx.world.other_consortium.id),
    "network_id": lambda ctx: (ctx.world.network.id, ctx.world.other_network.id),
    "supplier_id": lambda ctx: (ctx.world.supplier.id, ctx.world.other_supplier.id),
    "section_name": lambda ctx: ("members", "members"),
    "record_id": lambda ctx: (ctx.world.member.id, ctx.world.other_member.id),
    "token_id": _token_ids,
    "offer_id": _offer_ids,
    "pool_id": _pool_ids,
    "order_id": _order_ids,
    "invoice_id": _invoice_ids,
    "credit_note_id": _credit_note_ids,
}

SiblingBuilder = Callable[[Context], Any]


def _sibling(name: str, build: Builder) -> SiblingBuilder:
    """The third value the builder `build` cached under `name`."""

    def sibling(ctx: Context) -> Any:
        build(ctx)
        return ctx.cache[name][2]

    return sibling


SIBLINGS: dict[str, SiblingBuilder] = {
    "member_id": lambda ctx: _sibling_member(ctx).id,
    "order_id": _sibling("order_id", _order_ids),
    "invoice_id": _sibling("invoice_id", _invoice_ids),
    "credit_note_id": _sibling("credit_note_id", _credit_note_ids),
}

_USER_GRANT_ARGS = {"record_id": _user_record_ids, "grant_id": _grant_ids}


def _session_ids(ctx: Context) -> tuple[int, int]:
    """Ours is a session of the acting user on another device; theirs is somebody else's."""

    def build():
        owner = ctx.user or ctx.world.member_user
        other = ctx.world.secretary if owner is ctx.world.admin else ctx.world.admin
        ids = []
        for user in (owner, other):
            accounts.start_session(user, "192.0.2.1", "Firefox on Linux")
            ids.append(max(s.id for s in user_sessions(user)))
        db.session.commit()
        return ids[0], ids[1]

    return ctx.once("session_id", build)


def user_sessions(user: User) -> list[SignInSession]:
    return list(db.session.scalars(db.select(SignInSession).where(SignInSession.user_id == user.id)))


def _reset_tokens(ctx: Context) -> tuple[str, str]:
    """The emailed link is the authority, signed in or not; two users' links."""

    def build():
        links = []
        for user in (ctx.world.member_user, ctx.world.supplier_user):
            accounts.request_password_reset(user.email)
            body = db.session.scalars(
                db.select(OutboxMessage.body_text)
                .where(OutboxMessage.to_email == user.email, OutboxMessage.kind == accounts.RESET_KIND)
                .order_by(OutboxMessage.id.desc())
            ).first()
            links.append(body.split("/password/reset/")[1].split()[0])
        db.session.commit()
        return links[0], links[1]

    return ctx.once("reset_token", build)


def _without_admin(rule: Rule) -> Rule:
    """The rule with the admin answered 404: the page needs an object of the admin's own that the matrix does not name."""
    tables = [{**table, "admin": HIDDEN} if table is not None else None for table in (rule.theirs, rule.sibling)]
    return Rule({**rule.ours, "admin": HIDDEN}, tables[0], rule.stranger, rule.args, tables[1])


RULES: dict[str, Rule] = {
    # marketplace: signing in, the dashboard, tokens, profiles
    "marketplace.sign_in": everyone(REDIRECT, stranger=OK),
    "marketplace.sign_out": everyone(),
    "marketplace.dashboard": everyone(),
    "marketplace.api_tokens": everyone(),
    "marketplace.revoke_api_token": Rule(ours=_each(OK), theirs=_each(HIDDEN)),
    "marketplace.confirm_revoke_api_token": Rule(ours=_each(OK), theirs=_each(HIDDEN)),
    "marketplace.member_profile": own("member", others=HIDDEN),
    # signing in with a code, resetting a password: the code step sends anyone without a password step
    # behind them back to sign in; a reset link works for whoever holds it
    "marketplace.sign_in_code": everyone(REDIRECT, stranger=LOGIN),
    "marketplace.forgot_password": everyone(stranger=OK),
    "marketplace.reset_password": everyone(stranger=OK, args={"token": _reset_tokens}),
    # a person's own account: password, sessions, two-factor sign-in
    "account.change_password": everyone(),
    "account.sessions": everyone(),
    "account.end_session": Rule(ours=_each(OK), theirs=_each(HIDDEN), args={"session_id": _session_ids}),
    "account.confirm_end_session": Rule(ours=_each(OK), theirs=_each(HIDDEN), args={"session_id": _session_ids}),
    "account.end_other_sessions": everyone(),
    "account.confirm_end_other_sessions": everyone(),
    "account.two_factor": everyone(),
    "account.new_recovery_codes": everyone(),
    "account.turn_off_two_factor": everyone(),
    "account.confirm_turn_off_two_factor": everyone(REDIRECT),  # the page only for someone who may turn it off
    # admin pages
    "admin.index": admin_only,
    "admin.list_records": admin_only,
    "admin.create_record": admin_only,
    "admin.edit_record": admin_only,
    "admin.set_active": admin_only,
    "admin.confirm_deactivate": admin_only,
    "admin.register_member_as_supplier": admin_only,
    "admin.grant_role": roles(args={"record_id": _user_record_ids}),
    "admin.revoke_grant": roles(args=_USER_GRANT_ARGS),
    "admin.confirm_revoke_grant": roles(args=_USER_GRANT_ARGS),
    # API base
    "people_api.me": everyone(),
    "people_api.dashboard": everyone(),
    "people_api.member_profile": own("member", others=HIDDEN),
    "people_api.update_member_profile": own("member", others=HIDDEN),
    "api.openapi_json": everyone(stranger=OK),
    "api_docs.page": everyone(stranger=OK),
    # catalogue: everyone browses; a supplier keeps only its own offers
    "catalogue.browse": everyone(),
    "catalogue.offer": everyone(),
    "catalogue.price_chart": everyone(),
    "catalogue.supplier_offers": own("supplier"),
    "catalogue.new_offer": own("supplier"),
    "catalogue.edit_offer": own("supplier"),
    "catalogue.withdraw_offer": own("supplier"),
    "catalogue.confirm_withdraw_offer": own("supplier"),
    "catalogue.reactivate_offer": own("supplier"),
    "catalogue_api.categories": everyone(),
    "catalogue_api.offers": everyone(),
    "catalogue_api.offer": everyone(),
    "catalogue_api.create_offer": roles("supplier"),
    "catalogue_api.update_offer": own("supplier"),
    # orders: pools are seen within their consortia; secretaries run them, members pledge
    "orders.list_pools": everyone(),
    "orders.pool_page": own("secretary", "member", others=HIDDEN),
    "orders.pool_growth_chart": own("secretary", "member", others=HIDDEN),
    "orders.create_pool": roles("secretary"),
    "orders.open_pool": own("secretary"),
    "orders.edit_pool": own("secretary"),
    "orders.cancel_pool": own("secretary"),
    "orders.confirm_cancel_pool": own("secretary"),
    "orders.pledge": own("member"),
    "orders.withdraw": own("member"),
    # an admin names the member in `?member_id=`; without one there is no pledge of theirs to withdraw
    "orders.confirm_withdraw": _without_admin(own("member")),
    "orders.my_pledges": roles("member"),
    "orders_api.list_pools": everyone(),
    "orders_api.get_pool": own("secretary", "member", others=HIDDEN),
    "orders_api.create_pool": roles("secretary"),
    "orders_api.open_pool": own("secretary"),
    "orders_api.update_pool": own("secretary"),
    "orders_api.cancel_pool": own("secretary"),
    "orders_api.put_pledge": own("member"),
    "orders_api.delete_pledge": own("member"),
    "orders_api.list_pledges": roles("member"),
    # closing and purchase orders: the consortium's secretary and the order's supplier
    "orders.close_preview": own("secretary"),
    "orders.close_pool": own("secretary"),
    "orders.purchase_orders_list": roles("secretary", "supplier"),
    "orders.purchase_order": own("secretary", "supplier"),
    "orders.purchase_order_csv": own("secretary", "supplier"),
    "orders.purchase_order_pdf": own("secretary", "supplier"),
    "orders.send_order": own("secretary"),
    "orders.confirm_order": own("supplier"),
    "orders.record_delivery": own("secretary", "supplier"),
    "orders.cancel_order": own("secretary"),
    "orders.confirm_cancel_order": own("secretary"),
    "orders_api.close_preview": own("secretary"),
    "orders_api.close_pool": own("secretary"),
    "orders_api.list_purchase_orders": roles("secretary", "supplier"),
    "orders_api.get_purchase_order": own("secretary", "supplier"),
    "orders_api.send_purchase_order": own("secretary"),
    "orders_api.confirm_purchase_order": own("supplier"),
    "orders_api.record_delivery": own("secretary", "supplier"),
}

UNCHECKED = {"static", "bootstrap.static", "api_docs.static"}

# supplier portal and consortium dashboard: a supplier sees only its own demand, a secretary only their consortium
RULES |= {
    "portal.supplier_demand": own("supplier"),
    "portal.supplier_demand_csv": own("supplier"),
    "portal.pledged_units_chart": own("supplier"),
    "portal.consortium_dashboard": own("secretary"),
    # a supplier lowers the prices of its own offers' open pools
    "portal.pool_prices": own("supplier"),
    "portal_api.lower_pool_prices": own("supplier"),
    # admins must name the supplier (422); the supplier's own is found from its grant
    "portal_api.supplier_demand": Rule({role: FORBIDDEN for role in ROLES} | {"admin": 422, "supplier": OK}),
}

RULES |= {
    # billing: members see their own invoices, secretaries their consortium's
    "billing.invoices": roles("member", "secretary"),
    "billing.invoice": own("member", "secretary"),
    "billing.invoice_pdf_download": own("member", "secretary"),
    "billing.invoice_ubl_download": own("member", "secretary"),
    "billing.credit_note_pdf_download": own("member", "secretary"),
    "billing.credit_note_ubl_download": own("member", "secretary"),
    "billing.record_payment": own("secretary"),
    "billing.record_refund": own("secretary"),
    "billing.issue_credit_note": own("secretary"),
    "billing.checkout": own("member"),
    "billing.statement": Rule(
        {"admin": HIDDEN, "secretary": FORBIDDEN, "member": OK, "supplier": FORBIDDEN, "no_role": FORBIDDEN}
    ),
    "billing.statement_pdf_download": Rule(
        {"admin": HIDDEN, "secretary": FORBIDDEN, "member": OK, "supplier": FORBIDDEN, "no_role": FORBIDDEN}
    ),
    "billing.statement_csv_download": Rule(
        {"admin": HIDDEN, "secretary": FORBIDDEN, "member": OK, "supplier": FORBIDDEN, "no_role": FORBIDDEN}
    ),
    "billing.member_export": roles("member"),
    "billing.billing_page": own("secretary"),
    # finance reports: whoever manages the consortium's billing
    "billing.payments_received": own("secretary"),
    "billing.payments_received_csv": own("secretary"),
    "billing.aged_debt": own("secretary"),
    "billing.aged_debt_csv": own("secretary"),
    "billing_api.payments_received": own("secretary"),
    "billing_api.aged_debt": own("secretary"),
    "billing.issue_invoices": own("secretary"),
    "billing.accountant_export": own("secretary"),
    "billing_api.list_invoices": roles("member", "secretary"),
    "billing_api.get_invoice": own("member", "secretary"),
    "billing_api.get_invoice_pdf": own("member", "secretary"),
    "billing_api.get_invoice_ubl": own("member", "secretary"),
    "billing_api.issue_invoices": own("secretary"),
    "billing_api.record_payment": own("secretary"),
    "billing_api.record_refund": own("secretary"),
    "billing_api.issue_credit_note": own("secretary"),
    "billing_api.checkout": own("member"),
    # Stripe signs its webhook; with Stripe switched off (as in tests) it is not there at all
    "stripe_webhooks.stripe_webhook": everyone(HIDDEN, stranger=HIDDEN),
    # saving a card or Direct Debit is Stripe's too: off in tests, so not there for anyone
    "billing.save_payment_method": everyone(HIDDEN, stranger=HIDDEN),
    "billing_api.get_statement": Rule(
        {"admin": 422, "secretary": FORBIDDEN, "member": OK, "supplier": FORBIDDEN, "no_role": FORBIDDEN}
    ),
}


def _outbox_message_ids(ctx: Context) -> tuple[int, int]:
    """Two messages in the outbox, one from each consortium: only admins read either."""

    def build():
        messages = [
            OutboxMessage(
                kind="matrix",
                to_email="accounts@example.org",
                subject=f"Matrix {c.name}",
                body_text="Text",
                body_html="<p>HTML</p>",
                consortium_id=c.id,
            )
            for c in (ctx.world.consortium, ctx.world.other_consortium)
        ]
        db.session.add_all(messages)
        db.session.commit()
        return tuple(m.id for m in messages)

    return ctx.once("message_id", build)


RULES |= {
    # the outbox: every email the platform writes, read by admins only
    "outbox.messages": admin_only,
    "outbox.message": roles(args={"message_id": _outbox_message_ids}),
    "outbox.message_html": roles(args={"message_id": _outbox_message_ids}),
    # reminders of what is due: the invoice's consortium's secretary
    "billing.send_reminder": own("secretary"),
    "billing_api.send_reminder": own("secretary"),
}


def _service_pool_ids(ctx: Context) -> tuple[int, int]:
    """An open shared-service pool of our consortium and one of theirs."""

    def build():
        from shared_services import services as shared_services
        from shared_services.models import AllocationKey, PeriodLength

        w = ctx.world
        _offer_ids(ctx)
        today = utcnow().date()
        start = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
        terms = shared_services.PoolTerms(
            cost_per_period_pence=50_000,
            period=PeriodLength.MONTH,
            term_periods=12,
            start_date=start,
            minimum_participants=2,
            allocation_key=AllocationKey.EQUAL,
        )
        pools = []
        for offer, consortium in zip(ctx.cache["offers"], (w.consortium, w.other_consortium), strict=True):
            pool = shared_services.create_pool(w.admin, offer, [consortium], terms)
            shared_services.open_pool(w.admin, pool)
            pools.append(pool.id)
        db.session.commit()
        return tuple(pools)

    return ctx.once("service_pool_id", build)


ARGUMENTS["service_pool_id"] = _service_pool_ids

RULES |= {
    # shared-service pools: seen within their consortia; secretaries run them, members join and leave
    "shared_services.list_pools": everyone(),
    "shared_services.pool_page": own("secretary", "member", others=HIDDEN),
    "shared_services.create_pool": roles("secretary"),
    "shared_services.open_pool": own("secretary"),
    "shared_services.cancel_pool": own("secretary"),
    "shared_services.confirm_cancel_pool": own("secretary"),
    "shared_services.bill_due": own("secretary"),
    "shared_services.join": own("member"),
    "shared_services.leave": own("member"),
    "shared_services.calendar": own("secretary"),
    "shared_services_api.list_pools": everyone(),
    "shared_services_api.get_pool": own("secretary", "member", others=HIDDEN),
    "shared_services_api.create_pool": roles("secretary"),
    "shared_services_api.open_pool": own("secretary"),
    "shared_services_api.cancel_pool": own("secretary"),
    "shared_services_api.join": own("member"),
    "shared_services_api.delete_participation": own("member"),
    "shared_services_api.leave": own("member"),
    "shared_services_api.list_participants": own("secretary", "member", others=HIDDEN),
    "shared_services_api.list_periods": own("secretary", "member", others=HIDDEN),
}

# savings reports: a member's users see their member; a secretary their consortium, its networks and members;
# admins everything, the platform too; a supplier's users only their own sales report
_SECRETARY_ONLY = Rule(
    {"admin": OK, "secretary": OK, "member": HIDDEN, "supplier": FORBIDDEN, "no_role": FORBIDDEN},
    {"admin": OK, "secretary": HIDDEN, "member": HIDDEN, "supplier": FORBIDDEN, "no_role": FORBIDDEN},
)
_REPORT_SUFFIXES = ("", "_csv", "_month_chart", "_category_chart")
RULES |= {f"reports.platform{suffix}": admin_only for suffix in _REPORT_SUFFIXES}
RULES |= {f"reports.consortium{suffix}": _SECRETARY_ONLY for suffix in _REPORT_SUFFIXES}
RULES |= {f"reports.network{suffix}": _SECRETARY_ONLY for suffix in _REPORT_SUFFIXES}
RULES |= {f"reports.member{suffix}": own("member", "secretary") for suffix in _REPORT_SUFFIXES}
RULES |= {
    "reports.index": roles("member", "secretary", "supplier"),
    "reports.supplier": own("supplier"),
    "reports.supplier_csv": own("supplier"),
    "reports.supplier_chart": own("supplier"),
    # without ?scope= and ?id= the API answers 422 to those who may ask; the scope rules are tested in tests/reports
    "reports_api.savings_report": Rule(
        {"admin": 422, "secretary": 422, "member": 422, "supplier": FORBIDDEN, "no_role": FORBIDDEN}
    ),
    # admins must name the supplier (422); the supplier's own is found from its grant
    "reports_api.supplier_report": Rule({role: FORBIDDEN for role in ROLES} | {"admin": 422, "supplier": OK}),
}


def _unsubscribe_tokens(ctx: Context) -> tuple[str, str]:
    """Signed links of two users: the link is the authority, so anyone holding one may open it."""
    return (
        unsubscribe_token(ctx.world.member_user, "pool_opened"),
        unsubscribe_token(ctx.world.supplier_user, "purchase_order_sent"),
    )


RULES |= {
    # choosing emails: every signed-in user their own; an email's unsubscribe link works signed out
    "notifications.preferences": everyone(),
    "notifications.unsubscribe": everyone(stranger=OK, args={"token": _unsubscribe_tokens}),
}


def _library(ctx: Context) -> dict:
    """Per consortium (ours, theirs): a template with a published PDF version, one with a draft, our member's
    and the other member's adoptions with their own document, and our sibling member's."""

    def build():
        from library import services as library
        from library.models import AdoptionKind, PolicyCategory
        from tests.library.conftest import PDF

        w = ctx.world
        today = utcnow().date()
        made: dict = {"template_id": [], "version_id": [], "draft_id": [], "adoption_id": []}
        for consortium, member in ((w.consortium, w.member), (w.other_consortium, w.other_member)):
            template = library.create_template(w.admin, consortium.id, "Matrix policy", PolicyCategory.HR, None)
            draft = library.Draft("First", today, today + timedelta(days=300), document=PDF, document_name="p.pdf")
            version = library.add_version(w.admin, template, draft)
            library.submit_for_review(w.admin, version)
            library.publish(w.admin, version)
            later = library.create_template(w.admin, consortium.id, "Matrix draft", PolicyCategory.HR, None)
            in_draft = library.add_version(
                w.admin, later, library.Draft("Draft", today, today + timedelta(days=9), "x")
            )
            adopted = [member] + ([_sibling_member(ctx)] if member is w.member else [])
            for m in adopted:
                adoption = library.adopt(
                    w.admin, version, AdoptionKind.LOCAL_CHANGES, today, today + timedelta(days=99), m.id, PDF, "o.pdf"
                )
                made["adoption_id"].append(adoption.id)
            made["template_id"].append(template.id)
            made["version_id"].append(version.id)
            made["draft_id"].append(in_draft.id)
        db.session.commit()
        ours_adoption, sibling_adoption, theirs_adoption = made["adoption_id"]
        made["adoption_id"] = [ours_adoption, theirs_adoption, sibling_adoption]
        return {name: tuple(ids) for name, ids in made.items()}

    return ctx.once("library", build)


ARGUMENTS |= {
    "template_id": lambda ctx: _library(ctx)["template_id"],
    "version_id": lambda ctx: _library(ctx)["version_id"],
    "adoption_id": lambda ctx: _library(ctx)["adoption_id"][:2],
}
SIBLINGS["adoption_id"] = lambda ctx: _library(ctx)["adoption_id"][2]
_DRAFTS = {"version_id": lambda ctx: _library(ctx)["draft_id"]}

RULES |= {
    # the policy library: a consortium's templates are its secretary's to run and its members' to adopt;
    # another consortium's members and secretaries see nothing of them
    "library.index": roles("member", "secretary"),
    "library.new_template": roles("secretary"),
    "library.template_page": own("secretary", "member"),
    "library.new_version": own("secretary"),
    "library.version_page": own("secretary", "member"),
    "library.version_document": own("secretary", "member"),
    "library.edit_version": own("secretary", args=_DRAFTS),
    "library.submit_version": own("secretary", args=_DRAFTS),
    "library.return_version": own("secretary", args=_DRAFTS),
    "library.publish_version": own("secretary", args=_DRAFTS),
    "library.adopt": own("member"),
    "library.adoption_document": own("member", "secretary"),
    "library.acknowledge": own("member"),
    "library.tasks": roles("member"),
    "library.grid": own("secretary"),
    "library.grid_csv": own("secretary"),
    "library_api.list_templates": roles("member", "secretary"),
    "library_api.create_template": roles("secretary"),
    "library_api.get_template": own("secretary", "member"),
    "library_api.get_version": own("secretary", "member"),
    "library_api.create_version": own("secretary"),
    "library_api.submit_version": own("secretary", args=_DRAFTS),
    "library_api.return_version": own("secretary", args=_DRAFTS),
    "library_api.publish_version": own("secretary", args=_DRAFTS),
    "library_api.adopt": own("member"),
    "library_api.acknowledge": own("member"),
    "library_api.list_tasks": roles("member"),
    "library_api.get_grid": own("secretary"),
}


def _impact(ctx: Context) -> dict:
    """A measure of each consortium, and a figure our member and theirs recorded for it."""

    def build():
        from library import impact

        w = ctx.world
        today = utcnow().date()
        made: dict = {"measure_id": [], "record_id": []}
        for consortium, member in ((w.consortium, w.member), (w.other_consortium, w.other_member)):
            measure = impact.add_measure(w.admin, consortium, "Jobs created", "jobs", None)
            figure = impact.record(w.admin, member, measure.id, 3, today - timedelta(days=30), today, "Payroll")
            made["measure_id"].append(measure.id)
            made["record_id"].append(figure.id)
        db.session.commit()
        return {name: tuple(ids) for name, ids in made.items()}

    return ctx.once("impact", build)


ARGUMENTS |= {
    "measure_id": lambda ctx: _impact(ctx)["measure_id"],
    "record_id": lambda ctx: _impact(ctx)["record_id"],
}
_IMPACT_SUFFIXES = ("", "_csv", "_pdf", "_chart")
RULES |= {f"impact.platform{suffix}": admin_only for suffix in _IMPACT_SUFFIXES}
RULES |= {f"impact.consortium{suffix}": _SECRETARY_ONLY for suffix in _IMPACT_SUFFIXES}
RULES |= {f"impact.network{suffix}": _SECRETARY_ONLY for suffix in _IMPACT_SUFFIXES}
RULES |= {f"impact.member{suffix}": own("member", "secretary") for suffix in _IMPACT_SUFFIXES}
RULES |= {
    # impact: the savings reports' scopes; a consortium's secretary keeps its measures and verifies figures,
    # a member's people record its own
    "impact.measures": own("secretary"),
    "impact.toggle_measure": own("secretary"),
    "impact.edit_measure": own("secretary"),
    "impact.verify": own("secretary"),
    "impact.records": own("member", "secretary"),
    "impact_api.impact_report": Rule(
        {"admin": 422, "secretary": 422, "member": 422, "supplier": FORBIDDEN, "no_role": FORBIDDEN}
    ),
    "impact_api.list_measures": own("secretary"),
    "impact_api.add_measure": own("secretary"),
    "impact_api.update_measure": own("secretary"),
    "impact_api.list_records": own("member", "secretary"),
    "impact_api.add_record": own("member", "secretary"),
    "impact_api.verify_record": own("secretary"),
}


def _invitation_ids(ctx: Context) -> tuple[int, int]:
    """An invitation to act for our member, and one for their member."""

    def build():
        from joining import services as joining

        w = ctx.world
        ours = joining.invite(w.admin, "matrix-ours@example.org", "Matrix Ours", Role.MEMBER, w.member.id)
        theirs = joining.invite(w.admin, "matrix-theirs@example.org", "Matrix Theirs", Role.MEMBER, w.other_member.id)
        db.session.commit()
        return ours.id, theirs.id

    return ctx.once("invitation_id", build)


def _invitation_tokens(ctx: Context) -> tuple[str, str]:
    """The links of two pending invitations: the link is the authority, so anyone holding one may open it."""
    _invitation_ids(ctx)
    links = [factories.invitation_link(f"matrix-{side}@example.org") for side in ("ours", "theirs")]
    ours, theirs = (link.rsplit("/", 1)[1] for link in links)
    return ours, theirs


def _application_ids(ctx: Context) -> tuple[int, int]:
    """A pending application to join our network, and one to join theirs."""

    def build():
        from joining import services as joining

        w = ctx.world
        ours = joining.submit_application(factories.application_data(w.network, "Matrix Ours CIC"))
        theirs = joining.submit_application(factories.application_data(w.other_network, "Matrix Theirs CIC"))
        db.session.commit()
        return ours.id, theirs.id

    return ctx.once("application_id", build)


ARGUMENTS |= {"invitation_id": _invitation_ids, "token": _invitation_tokens, "application_id": _application_ids}
ARGUMENTS["user_id"] = _user_record_ids

_INVITATION = Rule(
    {"admin": OK, "secretary": OK, "member": OK, "supplier": HIDDEN, "no_role": FORBIDDEN},
    {"admin": OK, "secretary": HIDDEN, "member": HIDDEN, "supplier": HIDDEN, "no_role": FORBIDDEN},
)
RULES |= {
    # invitations: members', secretaries' and suppliers' users invite people to their own organisations;
    # the emailed link works for whoever holds it
    "joining.invitations": roles("member", "secretary", "supplier"),
    "joining.resend_invitation": _INVITATION,
    "joining.revoke_invitation": _INVITATION,
    "joining.confirm_revoke_invitation": _INVITATION,
    "joining.accept_invitation": everyone(stranger=OK),
    "joining_api.list_invitations": roles("member", "secretary", "supplier"),
    "joining_api.create_invitation": roles("member", "secretary", "supplier"),
    "joining_api.resend_invitation": _INVITATION,
    "joining_api.revoke_invitation": _INVITATION,
    # applications to join: anyone applies; the network's consortium's secretary decides
    "joining.apply": everyone(stranger=OK),
    "joining.applications": roles("secretary"),
    "joining.application": own("secretary"),
    "joining.approve_application": own("secretary"),
    "joining.decline_application": own("secretary"),
    "joining_api.submit_application": everyone(stranger=OK),
    "joining_api.list_applications": roles("secretary"),
    "joining_api.approve_application": own("secretary"),
    "joining_api.decline_application": own("secretary"),
    # a consortium's membership in and out: its secretary
    "joining.import_members": own("secretary"),
    "joining.export_members_csv": own("secretary"),
    "joining.export_members_xlsx": own("secretary"),
    "joining_api.import_members": own("secretary"),
    "joining_api.export_members": own("secretary"),
    # the audit log and erasing people: admins; everyone downloads their own data
    "admin.audit_log": admin_only,
    "admin.erase_person": roles(args={"record_id": _user_record_ids}),
    "admin.confirm_erase_person": roles(args={"record_id": _user_record_ids}),
    "people_api.audit_log": admin_only,
    "people_api.erase_person": admin_only,
    "people_api.my_data": everyone(),
    "marketplace.my_data": everyone(),
}


def _directory(ctx: Context) -> dict:
    """A skill, a verification with its evidence and an enquiry for our member (asked by our supplier's user)
    and for theirs (asked by someone of their consortium)."""

    def build():
        from directory import services as directory
        from directory.levels import SkillLevel
        from tests.library.conftest import PDF

        w = ctx.world
        category = directory.add_category(w.admin, "Matrix bookkeeping", SkillLevel.WORKING)
        asker = factories.user("matrix-asker@example.org", name="Matrix Asker")
        made: dict = {"skill_id": [], "verification_id": [], "enquiry_id": []}
        for member, sender in ((w.member, w.supplier_user), (w.other_member, asker)):
            made["skill_id"].append(
                directory.add_skill(w.admin, member, "Matrix Person", category.id, SkillLevel.BASIC, 2, None).id
            )
            check = directory.Check(
                True, True, True, "Articles read", utcnow().date() + timedelta(days=90), PDF, "a.pdf"
            )
            made["verification_id"].append(directory.verify(w.admin, member, check).id)
            made["enquiry_id"].append(directory.send_enquiry(sender, member, "Matrix", "Could you help?").id)
        db.session.commit()
        return {name: tuple(ids) for name, ids in made.items()}

    return ctx.once("directory", build)


ARGUMENTS |= {
    "skill_id": lambda ctx: _directory(ctx)["skill_id"],
    "verification_id": lambda ctx: _directory(ctx)["verification_id"],
    "enquiry_id": lambda ctx: _directory(ctx)["enquiry_id"],
}
# An enquiry is its sender's (our supplier's user) and the member's people's to see and close; only the member's
# people reply. A member's register: its people write it, its consortium's secretary reads it.
_ENQUIRY = Rule(
    {"admin": OK, "secretary": HIDDEN, "member": OK, "supplier": OK, "no_role": HIDDEN}, _each(HIDDEN) | {"admin": OK}
)
_ENQUIRY_REPLY = Rule(
    {"admin": OK, "secretary": HIDDEN, "member": OK, "supplier": FORBIDDEN, "no_role": HIDDEN},
    _each(HIDDEN) | {"admin": OK},
)
_SKILL_WRITE = Rule(
    {"admin": OK, "secretary": FORBIDDEN, "member": OK, "supplier": FORBIDDEN, "no_role": FORBIDDEN},
    {"admin": OK, "secretary": HIDDEN, "member": HIDDEN, "supplier": FORBIDDEN, "no_role": FORBIDDEN},
    sibling={"admin": OK, "secretary": FORBIDDEN, "member": HIDDEN, "supplier": FORBIDDEN, "no_role": FORBIDDEN},
)
_SPEND_SUFFIXES = ("", "_csv", "_chart")
RULES |= {f"directory.spend_platform{suffix}": admin_only for suffix in _SPEND_SUFFIXES}
RULES |= {f"directory.spend_consortium{suffix}": _SECRETARY_ONLY for suffix in _SPEND_SUFFIXES}
RULES |= {f"directory.spend_network{suffix}": _SECRETARY_ONLY for suffix in _SPEND_SUFFIXES}
RULES |= {f"directory.spend_member{suffix}": own("member", "secretary") for suffix in _SPEND_SUFFIXES}
RULES |= {
    # the buy-social directory: every account finds listed social enterprises and asks them
    "directory.index": everyone(),
    "directory.profile": everyone(),
    "directory.send_enquiry": everyone(),
    "directory.enquiries": everyone(),
    "directory.enquiry_page": _ENQUIRY,
    "directory.reply": _ENQUIRY_REPLY,
    "directory.close_enquiry": _ENQUIRY,
    "directory.skills": own("member", "secretary"),
    "directory.remove_skill": _SKILL_WRITE,
    "directory.consortium_skills": own("secretary"),
    "directory.consortium_skills_csv": own("secretary"),
    "directory.platform_skills": admin_only,
    "directory.platform_skills_csv": admin_only,
    "directory.skill_categories": admin_only,
    "directory.verification": own("secretary"),
    "directory.verify": own("secretary"),
    "directory.verification_document": own("secretary"),
    "directory.spend_index": roles("member", "secretary"),
    "directory_api.list_entries": everyone(),
    "directory_api.get_profile": everyone(),
    "directory_api.send_enquiry": everyone(),
    "directory_api.list_enquiries": everyone(),
    "directory_api.get_enquiry": _ENQUIRY,
    "directory_api.reply_enquiry": _ENQUIRY_REPLY,
    "directory_api.close_enquiry": _ENQUIRY,
    "directory_api.list_categories": everyone(),
    "directory_api.add_category": admin_only,
    "directory_api.list_skills": own("member", "secretary"),
    "directory_api.add_skill": _SKILL_WRITE,
    "directory_api.remove_skill": _SKILL_WRITE,
    "directory_api.consortium_skills": own("secretary"),
    "directory_api.platform_skills": admin_only,
    "directory_api.list_verifications": own("secretary"),
    "directory_api.verify": own("secretary"),
    "directory_api.spend_platform": admin_only,
    "directory_api.spend_consortium": _SECRETARY_ONLY,
    "directory_api.spend_network": _SECRETARY_ONLY,
    "directory_api.spend_member": own("member", "secretary"),
}


def _draft_framework(w, consortium, supplier, name: str, route):
    """A draft framework of one consortium with one supplier: one lot of design days at £400."""
    from decimal import Decimal

    from frameworks import services as frameworks
    from frameworks.terms import LotTerms

    today = utcnow().date()
    framework = frameworks.create_framework(
        w.admin,
        name=f"{name} {consortium.code}",
        consortium_ids=[consortium.id],
        supplier_ids=[supplier.id],
        lots=[LotTerms("Design", "day", "days", [(1, Decimal("400"))])],
        starts_on=today,
        ends_on=today + timedelta(days=300),
        ceiling_pence=10_000_000,
        allowance_percent=Decimal(0),
        fee_percent=Decimal(1),
        route=route,
    )
    return framework


def _live_framework(w, consortium, supplier, name: str, route):
    """The draft framework above, made live."""
    from frameworks import services as frameworks

    framework = _draft_framework(w, consortium, supplier, name, route)
    frameworks.make_live(w.admin, framework.id)
    return framework


def _frameworks(ctx: Context) -> dict:
    """A live framework of our consortium with our supplier and one of theirs with theirs, a call-off on each."""

    def build():
        from frameworks import services as frameworks
        from frameworks.models import Route

        w = ctx.world
        made = []
        for consortium, supplier, member in (
            (w.consortium, w.supplier, w.member),
            (w.other_consortium, w.other_supplier, w.other_member),
        ):
            framework = _live_framework(w, consortium, supplier, "Matrix framework", Route.DIRECT_AWARD)
            call_off = frameworks.place_call_off(
                w.admin, framework_id=framework.id, lot_id=framework.lots[0].id, member_id=member.id, quantity=1
            )
            made.append((framework.id, call_off.id))
        drafts = [
            _draft_framework(w, consortium, supplier, "Matrix draft", Route.DIRECT_AWARD).id
            for consortium, supplier in ((w.consortium, w.supplier), (w.other_consortium, w.other_supplier))
        ]
        db.session.commit()
        return {
            "framework_id": (made[0][0], made[1][0]),
            "call_off_id": (made[0][1], made[1][1]),
            "draft_id": tuple(drafts),
        }

    return ctx.once("frameworks", build)


ARGUMENTS["framework_id"] = lambda ctx: _frameworks(ctx)["framework_id"]
ARGUMENTS["call_off_id"] = lambda ctx: _frameworks(ctx)["call_off_id"]
_FRAMEWORK_DRAFTS = {"framework_id": lambda ctx: _frameworks(ctx)["draft_id"]}
_FRAMEWORK_PARTIES = own("secretary", "member", "supplier", others=HIDDEN)


def _statement_months(ctx: Context) -> tuple[int, int]:
    today = utcnow().date()
    return today.month, today.month


_STATEMENT = Rule(
    {"admin": OK, "secretary": OK, "supplier": OK, "member": FORBIDDEN, "no_role": FORBIDDEN},
    {"admin": OK, "secretary": OK, "supplier": HIDDEN, "member": FORBIDDEN, "no_role": FORBIDDEN},
    args={
        "year": lambda ctx: (utcnow().year, utcnow().year),
        "month": _statement_months,
    },
)

RULES |= {
    # frameworks: seen within their consortia (live ones by members and their suppliers); secretaries run them,
    # members and secretaries call off, suppliers confirm and deliver, secretaries invoice
    "frameworks.list_frameworks": everyone(),
    "frameworks.create_framework": roles("secretary"),
    "frameworks.edit_framework": own("secretary", args=_FRAMEWORK_DRAFTS),
    "frameworks.framework_page": _FRAMEWORK_PARTIES,
    "frameworks.consumption_csv": _FRAMEWORK_PARTIES,
    "frameworks.place_call_off": own("member", "secretary"),
    "frameworks.make_live": own("secretary"),
    "frameworks.extend": own("secretary"),
    "frameworks.end_framework": own("secretary"),
    "frameworks.call_offs": everyone(),
    "frameworks.confirm_call_off": own("supplier"),
    "frameworks.deliver_call_off": own("supplier"),
    "frameworks.invoice_call_off": own("secretary"),
    "frameworks_api.list_frameworks": everyone(),
    "frameworks_api.create_framework": roles("secretary"),
    "frameworks_api.get_framework": _FRAMEWORK_PARTIES,
    "frameworks_api.edit_framework": own("secretary"),
    "frameworks_api.make_live": own("secretary"),
    "frameworks_api.end_framework": own("secretary"),
    "frameworks_api.extend": own("secretary"),
    "frameworks_api.consumption": _FRAMEWORK_PARTIES,
    "frameworks_api.list_call_offs": _FRAMEWORK_PARTIES,
    "frameworks_api.place_call_off": own("member", "secretary"),
    "frameworks_api.get_call_off": _FRAMEWORK_PARTIES,
    "frameworks_api.confirm_call_off": own("supplier"),
    "frameworks_api.deliver_call_off": own("supplier"),
    "frameworks_api.invoice_call_off": own("secretary"),
    "frameworks_api.cancel_call_off": _FRAMEWORK_PARTIES,
    # a supplier's monthly statement: its own people, secretaries (their consortia's call-offs) and admins
    "frameworks.statement": _STATEMENT,
    "frameworks.statement_csv": _STATEMENT,
    "frameworks.statement_pdf": _STATEMENT,
}


def _rebate_ids(ctx: Context) -> tuple[int, int, int]:
    """Claimed rebate agreements: ours (our consortium, our supplier), theirs (their consortium, their supplier)
    and the sibling (our consortium, their supplier)."""

    def build():
        from decimal import Decimal

        from rebates import services as rebates
        from rebates.calculation import Basis, Method, Tier

        w = ctx.world
        today = utcnow().date()
        made = []
        for consortium, supplier in (
            (w.consortium, w.supplier),
            (w.other_consortium, w.other_supplier),
            (w.consortium, w.other_supplier),
        ):
            terms = rebates.AgreementTerms(
                name="Matrix rebate",
                supplier_id=supplier.id,
                basis=Basis.SPEND,
                method=Method.RETROSPECTIVE,
                period_start=today - timedelta(days=60),
                period_end=today - timedelta(days=2),
                tiers=[Tier(0, Decimal("2"))],
                consortium_id=consortium.id,
            )
            agreement = rebates.create_agreement(w.admin, terms)
            rebates.claim(agreement.id, today)
            made.append(agreement.id)
        db.session.commit()
        return tuple(made)

    return ctx.once("rebate_agreement_id", build)


ARGUMENTS["rebate_agreement_id"] = lambda ctx: _rebate_ids(ctx)[:2]
SIBLINGS["rebate_agreement_id"] = lambda ctx: _rebate_ids(ctx)[2]
_REBATE_PARTIES = own("secretary", "supplier", others=HIDDEN)

RULES |= {
    # rebates: the consortium's secretary runs them (admins national ones), the supplier sees its claims,
    # members their own shares
    "rebates.list_agreements": everyone(),
    "rebates.create_agreement": roles("secretary"),
    "rebates.agreement_page": _REBATE_PARTIES,
    "rebates.claim_page": _REBATE_PARTIES,
    "rebates.claim_pdf": _REBATE_PARTIES,
    "rebates.claim_csv": _REBATE_PARTIES,
    "rebates.record_received": own("secretary"),
    "rebates.set_retention": own("secretary"),
    "rebates.share": own("secretary"),
    "rebates.cancel": own("secretary"),
    "rebates.my_shares": roles("member"),
    "rebates_api.list_agreements": everyone(),
    "rebates_api.create_agreement": roles("secretary"),
    "rebates_api.get_agreement": _REBATE_PARTIES,
    "rebates_api.list_shares": own("secretary"),
    "rebates_api.record_received": own("secretary"),
    "rebates_api.set_retention": own("secretary"),
    "rebates_api.share": own("secretary"),
    "rebates_api.cancel": own("secretary"),
    "rebates_api.my_shares": roles("member"),
}


def _tenders(ctx: Context) -> dict:
    """Per consortium (ours, theirs): an opened tender for a typed lot, invited to that side's supplier, which bid
    and asked a question; evaluated by that side's member user and a second member's person."""

    def build():
        from sqlalchemy import update

        from tenders import services as tendering
        from tenders.models import Tender
        from tenders.ranking import BidTier

        w = ctx.world
        category = factories.category()
        made: dict = {"tender_id": [], "lot_id": [], "bid_id": [], "clarification_id": []}
        other_supplier_user = factories.user(None, (Role.SUPPLIER, w.other_supplier.id), name="Their Supplier")
        sides = (
            (w.consortium, w.supplier, w.supplier_user, w.member_user, w.network),
            (w.other_consortium, w.other_supplier, other_supplier_user, None, w.other_network),
        )
        for consortium, supplier, supplier_user, member_user, network in sides:
            now = utcnow()
            draft = tendering.TenderDraft(
                title=f"Matrix tender, {consortium.name}",
                category_id=category.id,
                consortium_id=consortium.id,
                specification="Matrix.",
                clarification_deadline=now + timedelta(hours=1),
                submission_deadline=now + timedelta(hours=2),
                lots=[tendering.LotDraft("Matrix lot", "hour", 10)],
                minimum_valid_bids=1,
                supplier_ids=[supplier.id],
            )
            tender = tendering.create_tender(w.admin, draft)
            tendering.publish(w.admin, tender)
            asked = tendering.ask(supplier_user, tender, "Matrix question?")
            lot = tender.lots[0]
            bid = tendering.submit_bid(supplier_user, tender, lot.id, tendering.BidDraft([BidTier(1, Decimal(5))]))
            second = factories.user(
                None, (Role.MEMBER, factories.member(network, f"Evaluating {consortium.code} CIC").id)
            )
            first = member_user or factories.user(None, (Role.MEMBER, w.other_member.id))
            tendering.name_evaluators(w.admin, tender, [first.id, second.id])
            db.session.execute(
                update(Tender)
                .where(Tender.id == tender.id)
                .values(clarification_deadline=now - timedelta(hours=2), submission_deadline=now - timedelta(hours=1))
            )
            tendering.advance(tender.id, now)
            tendering.open_bids(w.admin, tender)
            made["tender_id"].append(tender.id)
            made["lot_id"].append(lot.id)
            made["bid_id"].append(bid.id)
            made["clarification_id"].append(asked.id)
        db.session.commit()
        return {name: tuple(ids) for name, ids in made.items()}

    return ctx.once("tenders", build)


ARGUMENTS |= {
    name: (lambda key: lambda ctx: _tenders(ctx)[key])(name)
    for name in ("tender_id", "lot_id", "bid_id", "clarification_id")
}
_TENDER_READERS = own("secretary", "supplier", "member")
_TENDER_RUNNER = own("secretary")

RULES |= {
    # tenders: the consortium's secretary runs them, invited suppliers bid, the named evaluators (members' people)
    # compare and score; nobody sees another consortium's tender
    "tenders.index": roles("secretary", "supplier", "member"),
    "tenders.new": roles("secretary"),
    "tenders.tender_page": _TENDER_READERS,
    "tenders.bid": own("supplier"),
    "tenders.comparison": own("secretary", "member"),
    "tenders.score": own("member"),
    "tenders.ask": own("supplier"),
    "tenders.decline": own("supplier", "secretary"),
    "tenders.trail": _TENDER_RUNNER,
    "tenders.trail_csv": _TENDER_RUNNER,
    "tenders_api.list_tenders": roles("secretary", "supplier", "member"),
    "tenders_api.create_tender": roles("secretary"),
    "tenders_api.get_tender": _TENDER_READERS,
    "tenders_api.list_clarifications": _TENDER_READERS,
    "tenders_api.ask": own("supplier"),
    "tenders_api.put_bid": own("supplier"),
    "tenders_api.list_bids": _TENDER_READERS,
    "tenders_api.comparison": own("secretary", "member"),
    "tenders_api.put_score": own("member"),
    "tenders_api.decline": own("supplier", "secretary"),
    "tenders_api.trail": _TENDER_RUNNER,
}
# A member's people run its mini-competitions, so members reach these; the service refuses a member's person
# who runs none (tests/tenders/test_frameworks.py).
_MINI_RUNNER = own("secretary", "member")
RULES |= {
    f"{blueprint}.{move}": _MINI_RUNNER
    for blueprint in ("tenders", "tenders_api")
    for move in ("publish", "open_bids", "evaluate", "propose_award", "start_standstill", "award", "cancel", "answer")
}
RULES |= {
    "tenders.name_evaluators": _MINI_RUNNER,
    "tenders_api.name_evaluators": _MINI_RUNNER,
    "tenders.award_framework": _TENDER_RUNNER,
    "tenders_api.award_framework": _TENDER_RUNNER,
}


def _mini_frameworks(ctx: Context) -> tuple[int, int]:
    """A live mini-competition framework per consortium (ours, theirs), with that side's supplier."""

    def build():
        from frameworks.models import Route

        w = ctx.world
        made = []
        for consortium, supplier in ((w.consortium, w.supplier), (w.other_consortium, w.other_supplier)):
            framework = _live_framework(w, consortium, supplier, "Matrix mini-competitions", Route.MINI_COMPETITION)
            made.append(framework.id)
        db.session.commit()
        return tuple(made)

    return ctx.once("mini_frameworks", build)


RULES |= {
    # a member's people (and its secretary) put a call-off need to a mini-competition framework's suppliers
    endpoint: own("member", "secretary", args={"framework_id": _mini_frameworks})
    for endpoint in ("tenders.new_mini_competition", "tenders_api.start_mini_competition")
}


# A one-pixel grey PNG.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55"
    "0000000a49444154789c636000000002000148afa4710000000049454e44ae426082"
)


def _trading(ctx: Context) -> dict:
    """Per consortium (ours, theirs): a room listed by its world member with a booking of it by a neighbour,
    invoiced, and a clearing the world member took part in; as the sibling, a booking and an invoice between
    two other members of our consortium."""

    def build():
        w = ctx.world
        start = datetime.combine(utcnow().date() + timedelta(days=5), datetime.min.time(), tzinfo=UTC)
        made: dict = {"listing_id": [], "booking_id": [], "trade_invoice_id": [], "clearing_id": [], "photo_id": []}
        neighbours = [
            (w.member, _sibling_member(ctx)),
            (w.other_member, factories.member(w.other_network, "Matrix Leith Buyer")),
            (_sibling_member(ctx), factories.member(w.network, "Matrix Dundee Buyer")),
        ]
        for n, (seller, buyer) in enumerate(neighbours):
            offer = trading.Offer(ListingKind.ROOM, f"Matrix room {n}", "A room.", Decimal("10"))
            listing = trading.create_listing(w.admin, seller.id, offer)
            slot = trading.add_slots(w.admin, listing, [(start, start + timedelta(hours=1))])[0]
            booking = trading.request_booking(w.admin, trading.Request(listing.id, buyer.id, (slot.id,)))
            trading.accept(w.admin, booking)
            trading.confirm_delivery(w.admin, booking)
            invoice = trading.issue_invoice(w.admin, booking)
            made["photo_id"].append(trading.add_photo(w.admin, listing, _PNG, "A matrix room").id)
            made["listing_id"].append(listing.id)
            made["booking_id"].append(booking.id)
            made["trade_invoice_id"].append(invoice.id)
            if n < 2:
                run = ClearingRun(
                    consortium_id=listing.consortium_id,
                    number=1,
                    month=utcnow().date().replace(day=1),
                    invoice_count=0,
                    cleared_pence=0,
                )
                db.session.add(run)
                db.session.flush()
                db.session.add(
                    ClearingPosition(
                        clearing_run_id=run.id, member_id=seller.id, owed_pence=0, owes_pence=0, net_pence=0
                    )
                )
                made["clearing_id"].append(run.id)
        db.session.commit()
        return {name: tuple(ids) for name, ids in made.items()}

    return ctx.once("trading", build)


ARGUMENTS |= {
    "listing_id": lambda ctx: _trading(ctx)["listing_id"][:2],
    "booking_id": lambda ctx: _trading(ctx)["booking_id"][:2],
    "trade_invoice_id": lambda ctx: _trading(ctx)["trade_invoice_id"][:2],
    "clearing_id": lambda ctx: _trading(ctx)["clearing_id"][:2],
    "photo_id": lambda ctx: _trading(ctx)["photo_id"][:2],
}
SIBLINGS["booking_id"] = lambda ctx: _trading(ctx)["booking_id"][2]
SIBLINGS["trade_invoice_id"] = lambda ctx: _trading(ctx)["trade_invoice_id"][2]

RULES |= {
    # trading: a consortium's members list for and book from each other; each booking and invoice is its two
    # members' (and their secretary's) to see; another consortium sees nothing of them
    "trading_api.list_listings": roles("member", "secretary"),
    "trading_api.create_listing": roles("member"),
    "trading_api.get_listing": own("member", "secretary"),
    "trading_api.add_slots": own("member"),
    "trading_api.approve_listing": own("secretary"),
    "trading_api.renew_listing": own("member"),
    "trading_api.withdraw_listing": own("member"),
    "trading_api.list_bookings": roles("member", "secretary"),
    "trading_api.create_booking": roles("member"),
    "trading_api.get_booking": own("member", "secretary"),
    "trading_api.accept_booking": own("member"),
    "trading_api.decline_booking": own("member"),
    "trading_api.confirm_delivery": own("member"),
    "trading_api.dispute_booking": own("member"),
    "trading_api.resolve_booking": own("secretary"),
    "trading_api.cancel_booking": own("member"),
    "trading_api.invoice_booking": own("member"),
    "trading_api.list_invoices": roles("member", "secretary"),
    "trading_api.get_invoice": own("member", "secretary"),
    "trading_api.invoice_paid": own("member"),
    "trading_api.get_terms": own("secretary"),
    "trading_api.put_terms": own("secretary"),
    "trading_api.list_clearings": roles("member", "secretary"),
    "trading_api.create_clearing": roles("secretary"),
    "trading_api.get_clearing": own("member", "secretary"),
    "trading_api.update_listing": own("member"),
    "trading_api.add_photo": own("member"),
    "trading_api.get_photo": own("member", "secretary"),
    "trading_api.remove_photo": own("member"),
    "trading_api.list_limits": own("secretary"),
    "trading_api.put_limit": own("secretary"),
}

RULES |= {
    "trading.index": roles("member", "secretary"),
    "trading.new_listing": roles("member"),
    "trading.listing_page": own("member", "secretary"),
    "trading.add_slot": own("member"),
    "trading.book": own("member"),
    "trading.approve_listing": own("secretary"),
    "trading.renew_listing": own("member"),
    "trading.withdraw_listing": own("member"),
    "trading.bookings": roles("member", "secretary"),
    "trading.booking_page": own("member", "secretary"),
    "trading.accept_booking": own("member"),
    "trading.decline_booking": own("member"),
    "trading.confirm_delivery": own("member"),
    "trading.dispute_booking": own("member"),
    "trading.cancel_booking": own("member"),
    "trading.invoice_booking": own("member"),
    "trading.resolve_booking": own("secretary"),
    "trading.invoices": roles("member", "secretary"),
    "trading.invoice_page": own("member", "secretary"),
    "trading.invoice_pdf": own("member", "secretary"),
    "trading.invoice_ubl": own("member", "secretary"),
    "trading.invoice_paid": own("member"),
    "trading.terms": own("secretary"),
    "trading.clearings": roles("member", "secretary"),
    "trading.run_clearing": own("secretary"),
    "trading.clearing_page": own("member", "secretary"),
    "trading.edit_listing": own("member"),
    "trading.add_photo": own("member"),
    "trading.photo": own("member", "secretary"),
    "trading.remove_photo": own("member"),
    "trading.limits": own("secretary"),
    "trading.xero_sales": own("member", "secretary"),
    "trading.xero_bills": own("member", "secretary"),
}
