"""Authorisation in one place: who is acting, which roles they hold, what they may see.

HTML views act as the signed-in user; the API acts as the bearer token's user (set on
`g.api_user`). Every check raises a werkzeug HTTP exception that the HTML and JSON error
handlers each render in their own way.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, g, has_request_context
from flask_login import current_user
from sqlalchemy import and_, exists, or_, select

from kernel.errors import Forbidden
from kernel.extensions import db, login_manager
from organisations.models import Consortium, Member, Network, Role, Supplier, User


def acting_user() -> User | None:
    """The API token's user, else the signed-in user, else None."""
    if has_request_context() and "api_user" in g:
        user: User = g.api_user
        return user
    if current_user and current_user.is_authenticated:
        signed_in_user: User = current_user._get_current_object()
        return signed_in_user
    return None


def require_actor() -> User:
    """The acting user, for views and API endpoints that only run for one (@signed_in, @roles_required, a
    bearer token); with no one signed in, the answer roles_required gives: the sign-in redirect (or a 401)."""
    user = acting_user()
    if user is None:
        abort(login_manager.unauthorized())
    return user


View = Callable[..., Any]


def roles_required(*roles: Role) -> Callable[[View], View]:
    """Signed in (else sign-in redirect or 401), holding one of `roles` (else 403); admins pass."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = acting_user()
            if user is None:
                return login_manager.unauthorized()
            if roles and not (user.is_admin or user.has_role(*roles)):
                abort(403)
            return view(*args, **kwargs)

        # Read back (getattr) by the OpenAPI document and the access matrix.
        vars(wrapped)["required_roles"] = roles
        return wrapped

    return decorator


def signed_in(view: View) -> View:
    return roles_required()(view)


def admin_required(view: View) -> View:
    return roles_required(Role.ADMIN)(view)


def can_act_for_member(user: User, member: Member) -> bool:
    return user.is_admin or member.id in user.member_ids


def can_act_for_consortium(user: User, consortium_id: int) -> bool:
    return user.is_admin or consortium_id in user.secretary_consortium_ids


def can_act_for_supplier(user: User, supplier_id: int) -> bool:
    return user.is_admin or supplier_id in user.supplier_ids


def member_or_404(user: User, member_id: int) -> Member:
    """Another organisation's member is answered 404, so its existence does not leak."""
    member = db.session.get(Member, member_id)
    if member is None or not can_act_for_member(user, member):
        abort(404)
    return member


def consortium_or_404(user: User, consortium_id: int) -> Consortium:
    consortium = db.session.get(Consortium, consortium_id)
    if consortium is None or not can_act_for_consortium(user, consortium.id):
        abort(404)
    return consortium


def supplier_or_404(user: User, supplier_id: int) -> Supplier:
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None or not can_act_for_supplier(user, supplier.id):
        abort(404)
    return supplier


def in_users_consortia(user: User, pool_id, link_pool_id, link_consortium_id, members_see=None):
    """SQL condition for bulk-buy and shared-service pools alike: the pool (`pool_id`, tied to its
    consortia by the link table's two columns) is in a consortium the user acts in; admins see every pool.
    `members_see`, when given, is the condition a pool must also meet for a member's users (not its secretaries)."""
    if user.is_admin:
        return pool_id.is_not(None)
    member_consortia = (
        select(Network.consortium_id)
        .join(Member, Member.network_id == Network.id)
        .where(Member.id.in_(user.member_ids or {-1}))
    )
    as_member = link_consortium_id.in_(member_consortia)
    if members_see is not None:
        as_member = and_(as_member, members_see)
    return exists().where(
        link_pool_id == pool_id,
        or_(link_consortium_id.in_(user.secretary_consortium_ids or {-1}), as_member),
    )


def can_run_pool(user: User, consortium_ids: set[int], national: bool) -> bool:
    """Bulk-buy and shared-service pools alike: admins run every pool, a secretary their consortium's own."""
    return user.is_admin or (not national and consortium_ids <= user.secretary_consortium_ids)


def require_pool_runner(user: User, consortium_ids: set[int], national: bool) -> None:
    if not can_run_pool(user, consortium_ids, national):
        raise Forbidden("Only the consortium's secretary (or an admin, for a national pool) can do that.")


def members_taking_part(user: User, consortium_ids: set[int]) -> list[Member]:
    """The active members this user acts for within a pool's consortia: who may pledge or join."""
    if not user.member_ids:
        return []
    return list(
        db.session.scalars(
            select(Member)
            .join(Network)
            .where(Member.id.in_(user.member_ids), Member.active, Network.consortium_id.in_(consortium_ids))
            .order_by(Member.id)
        )
    )
