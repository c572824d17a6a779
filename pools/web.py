"""The pages and API handlers every kind of pool shares: open, cancel, and what a create needs.

Each kind describes itself once (`PoolPages`): where its pool page is, how it finds a pool
and runs its services; these handlers do the rest the same way for every kind. An illegal
move comes back as the lifecycle's 409 on both surfaces.
"""

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from marshmallow import Schema, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from catalogue.models import Offer
from kernel import confirm
from kernel.api import json_body, operation, query_args
from kernel.errors import DomainError, ValidationFailed
from kernel.extensions import db
from kernel.web import Picked, form_errors, pick, query_id, submitted_ids
from organisations.access import require_actor, roles_required
from organisations.models import Consortium, Role, User
from pools.forms import CancelPoolForm
from pools.models import PoolColumns
from pools.schemas import CancelSchema

P = TypeVar("P", bound=PoolColumns)
T = TypeVar("T")


@dataclass(frozen=True)
class PoolPages(Generic[P]):
    """One kind of pool's page and services, as the shared handlers need them."""

    endpoint: str
    id_arg: str
    find: Callable[[User, int], P]
    require_visible: Callable[[User, int], None]
    open: Callable[[User, P], P]
    cancel: Callable[[User, P, str], P]
    opened: Callable[[P], str]
    cancelled: str
    cancel_consequences: Callable[[P], Sequence[str]]

    def page(self, pool: P) -> ResponseReturnValue:
        ids: dict[str, Any] = {self.id_arg: pool.id}
        return redirect(url_for(self.endpoint, **ids))

    def add_moves(self, blueprint: Blueprint, pool_rule: str) -> None:
        """The secretary's open and cancel buttons post to `<pool_rule>/open` and `<pool_rule>/cancel`."""

        def open_pool(**ids: int) -> ResponseReturnValue:
            return self.open_view(ids[self.id_arg])

        def cancel_pool(**ids: int) -> ResponseReturnValue:
            return self.cancel_view(ids[self.id_arg])

        def confirm_cancel_pool(**ids: int) -> ResponseReturnValue:
            return self.ask_cancel(self.find(current_user, ids[self.id_arg]), CancelPoolForm(formdata=None))

        for view in (open_pool, cancel_pool):
            move = view.__name__.removesuffix("_pool")
            blueprint.add_url_rule(
                f"{pool_rule}/{move}", view_func=roles_required(Role.SECRETARY)(view), methods=["POST"]
            )
        blueprint.add_url_rule(
            f"{pool_rule}/cancel", view_func=roles_required(Role.SECRETARY)(confirm_cancel_pool), methods=["GET"]
        )

    def ask_cancel(self, pool: P, form: CancelPoolForm, status: int = 200) -> ResponseReturnValue:
        """The cancel page: what cancelling does, and the reason members will read."""
        ids: dict[str, Any] = {self.id_arg: pool.id}
        blueprint = self.endpoint.split(".")[0]
        return confirm.ask(
            confirm.Confirmation(
                title=f"Cancel the pool for {pool.offer.name}?",
                consequences=self.cancel_consequences(pool),
                action=url_for(f"{blueprint}.cancel_pool", **ids),
                button="Cancel pool",
                back=url_for(self.endpoint, **ids),
                form=form,
            ),
            status,
        )

    def open_view(self, pool_id: int) -> ResponseReturnValue:
        pool = self.open(current_user, self.find(current_user, pool_id))
        flash(self.opened(pool), "success")
        return self.page(pool)

    def cancel_view(self, pool_id: int) -> ResponseReturnValue:
        """A reason that will not do shows the form again (422); a refused move is the error page's 409 or 403."""
        pool = self.find(current_user, pool_id)
        form = CancelPoolForm()
        if not confirm.confirmed():
            blueprint = self.endpoint.split(".")[0]
            ids: dict[str, Any] = {self.id_arg: pool.id}
            return confirm.ask_first(url_for(f"{blueprint}.confirm_cancel_pool", **ids))
        if not form.validate():
            return self.ask_cancel(pool, form, 422)
        try:
            self.cancel(current_user, pool, form.reason.data)
        except ValidationFailed as error:
            form_errors(form, error)
            return self.ask_cancel(self.find(current_user, pool_id), form, error.status_code)
        flash(self.cancelled, "success")
        return self.page(pool)

    def body(self, user: User, pool_id: int, schema: Schema) -> dict[str, Any]:
        """The request's body; a pool outside the caller's consortia is 404 whatever the body."""
        try:
            return json_body(schema)
        except (ValidationError, DomainError):
            self.require_visible(user, pool_id)
            raise

    def query(self, user: User, pool_id: int, schema: Schema) -> dict[str, Any]:
        """The request's query arguments, once the pool is known to be visible to the caller."""
        self.require_visible(user, pool_id)
        return query_args(schema)

    def open_api(self, user: User, pool_id: int) -> P:
        return self.open(user, self.find(user, pool_id))

    def cancel_api(self, user: User, pool_id: int) -> P:
        reason = self.body(user, pool_id, CancelSchema())["reason"]
        return self.cancel(user, self.find(user, pool_id), reason)


@dataclass(frozen=True)
class PoolCreation(Generic[P, T]):
    """One kind of pool's create page and endpoint: its form, template, terms and service; the rest is shared."""

    pages: PoolPages[P]
    form: type[FlaskForm]
    template: str
    offer_choice: Callable[[Offer], str]
    terms_from_form: Callable[[Any], T]
    create: Callable[[User, Offer, list[Consortium], T], P]
    saved: str
    renamed: dict[str, str] = field(default_factory=dict)

    def view(self) -> ResponseReturnValue:
        form = self.form()
        offers, runs = self._choose_from(form, current_user)
        if form.validate_on_submit():
            try:
                offer, consortia = offer_and_consortia(form.offer_id.data, form.consortium_ids.data)
                pool = self.create(current_user, offer, consortia, self.terms_from_form(form))
            except DomainError as error:
                form_errors(form, error, renamed=self.renamed)
            else:
                flash(self.saved, "success")
                return self.pages.page(pool)
        status = 422 if form.errors or form.form_errors else 200
        return render_template(self.template, form=form, offers=offers, consortia=runs), status

    def _choose_from(self, form: Any, user: User) -> tuple[Picked, Picked]:
        """Active offers, and the active consortia the user runs pools for; a catalogue link preselects its offer.

        Each list is cut to its first options with a search box (`?offer_search=`, `?consortium_search=`),
        so the page stays small however big the catalogue; the offer chosen or posted stays in the list.
        """
        chosen_offers = submitted_ids("offer_id")
        offers = pick(
            select(Offer).where(Offer.active).options(selectinload(Offer.supplier)).order_by(Offer.name, Offer.id),
            [Offer.name],
            "offer_search",
            Offer.id.in_(chosen_offers) if chosen_offers else None,
        )
        form.offer_id.choices = [SelectChoice(o.id, self.offer_choice(o)) for o in offers.items]
        runs = select(Consortium).where(Consortium.active).order_by(Consortium.name, Consortium.id)
        if not user.is_admin:
            runs = runs.where(Consortium.id.in_(user.secretary_consortium_ids or {-1}))
        chosen_consortia = submitted_ids("consortium_ids")
        consortia = pick(
            runs,
            [Consortium.name],
            "consortium_search",
            Consortium.id.in_(chosen_consortia) if chosen_consortia else None,
        )
        form.consortium_ids.choices = [SelectChoice(c.id, c.name) for c in consortia.items]
        offer_id = query_id("offer_id")
        if request.method == "GET" and offer_id:
            form.offer_id.data = offer_id
        return offers, consortia

    def api(self, user: User, schema: Schema, terms_from_body: Callable[[dict[str, Any]], T]) -> P:
        data = json_body(schema)
        offer, consortia = offer_and_consortia(data.pop("offer_id"), data.pop("consortium_ids"))
        return self.create(user, offer, consortia, terms_from_body(data))


@dataclass(frozen=True)
class PoolEndpoints(Generic[P, T]):
    """One kind of pool's create, open and cancel endpoints under /api/v1, in the kind's words and shapes."""

    creation: PoolCreation[P, T]
    collection: str
    tags: list[str]
    create_schema: type[Schema]
    terms_from_body: Callable[[dict[str, Any]], T]
    response: type[Schema]
    dump: Callable[[P, User], dict[str, Any]]
    created: str
    opened: str
    cancelled: str

    def register(self, blueprint: Blueprint, pool_rule: str) -> None:
        pages = self.creation.pages

        def create_pool() -> ResponseReturnValue:
            user = require_actor()
            return self.dump(self.creation.api(user, self.create_schema(), self.terms_from_body), user), 201

        def open_pool(**ids: int) -> ResponseReturnValue:
            user = require_actor()
            return self.dump(pages.open_api(user, ids[pages.id_arg]), user)

        def cancel_pool(**ids: int) -> ResponseReturnValue:
            user = require_actor()
            return self.dump(pages.cancel_api(user, ids[pages.id_arg]), user)

        secretary = roles_required(Role.SECRETARY)
        documented = {
            create_pool: operation(
                self.created,
                tags=self.tags,
                body=self.create_schema,
                response=self.response,
                status=201,
                errors=(403,),
            ),
            open_pool: operation(self.opened, tags=self.tags, response=self.response, errors=(403, 409)),
            cancel_pool: operation(
                self.cancelled, tags=self.tags, body=CancelSchema, response=self.response, errors=(403, 409)
            ),
        }
        rules = {create_pool: self.collection, open_pool: f"{pool_rule}/open", cancel_pool: f"{pool_rule}/cancel"}
        for view, document in documented.items():
            blueprint.add_url_rule(rules[view], view_func=secretary(document(view)), methods=["POST"])


E = TypeVar("E", bound=enum.Enum)


def status_filter(states: type[E], default: str) -> tuple[str, E | None]:
    """The list page's `?status=` as asked (for the page's tabs) and as a state; any other word lists every state."""
    asked = request.args.get("status", default)
    return asked, next((state for state in states if state.value == asked), None)


def may_create_pools(user: User) -> bool:
    return user.is_admin or bool(user.secretary_consortium_ids)


def offer_and_consortia(offer_id: int, consortium_ids: list[int]) -> tuple[Offer, list[Consortium]]:
    """What a create request names, or a 422 on the field that names nothing."""
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        raise ValidationFailed.field("offer_id", "No such offer.")
    consortia = list(db.session.scalars(select(Consortium).where(Consortium.id.in_(consortium_ids))))
    if len(consortia) != len(set(consortium_ids)):
        raise ValidationFailed.field("consortium_ids", "No such consortium.")
    return offer, consortia
