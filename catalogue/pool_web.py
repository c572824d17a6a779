"""The pages and API handlers every kind of pool shares: open, cancel, and what a create needs.

Each kind describes itself once (`PoolPages`): where its pool page is, how it finds a pool
and runs its services; these handlers do the rest the same way for every kind. An illegal
move comes back as the lifecycle's 409 on both surfaces.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from catalogue.models import Offer
from catalogue.pools import PoolColumns
from kernel.api import json_body
from kernel.errors import DomainError, ValidationFailed
from kernel.extensions import db
from kernel.lifecycle import REASON_MAX
from kernel.web import form_errors
from organisations.models import Consortium, User

P = TypeVar("P", bound=PoolColumns)


class CancelPoolForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        validators=[InputRequired(), Length(max=REASON_MAX)],
        description="Members see this on the pool's page; those who joined or pledged are told.",
    )


class CancelSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=REASON_MAX))


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
    cancel_failed: Callable[[P, CancelPoolForm, int], ResponseReturnValue]

    def page(self, pool: P) -> ResponseReturnValue:
        return redirect(url_for(self.endpoint, **{self.id_arg: pool.id}))

    def open_view(self, pool_id: int) -> ResponseReturnValue:
        pool = self.open(current_user, self.find(current_user, pool_id))
        flash(self.opened(pool), "success")
        return self.page(pool)

    def cancel_view(self, pool_id: int) -> ResponseReturnValue:
        """A reason that will not do shows the form again (422); a refused move is the error page's 409 or 403."""
        pool = self.find(current_user, pool_id)
        form = CancelPoolForm()
        if not form.validate():
            return self.cancel_failed(pool, form, 422)
        try:
            self.cancel(current_user, pool, form.reason.data)
        except ValidationFailed as error:
            form_errors(form, error)
            return self.cancel_failed(self.find(current_user, pool_id), form, error.status_code)
        flash(self.cancelled, "success")
        return self.page(pool)

    def body(self, user: User, pool_id: int, schema: Schema) -> dict[str, Any]:
        """The request's body; a pool outside the caller's consortia is 404 whatever the body."""
        try:
            return json_body(schema)
        except (ValidationError, DomainError):
            self.require_visible(user, pool_id)
            raise

    def open_api(self, user: User, pool_id: int) -> P:
        return self.open(user, self.find(user, pool_id))

    def cancel_api(self, user: User, pool_id: int) -> P:
        reason = self.body(user, pool_id, CancelSchema())["reason"]
        return self.cancel(user, self.find(user, pool_id), reason)


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
