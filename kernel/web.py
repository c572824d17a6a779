"""What every package's HTML views share: the form base, safe redirects and a service's errors on a form."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, abort, flash, make_response, request
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import ColumnElement, Select, or_
from sqlalchemy.orm import QueryableAttribute
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import StopValidation

from kernel.api import INT_MAX, INT_MIN, MAX_PAGE, is_api_request
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.text import CONTROL_MESSAGE, LINE_BREAK_MESSAGE, has_control_characters, has_line_breaks


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def no_store(body: ResponseReturnValue, status: int = 200) -> Response:
    """A page holding money, personal data or a secret: no browser cache or proxy keeps a copy."""
    response = make_response(body, status)
    return no_store_response(response)


def no_store_response(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


T = TypeVar("T")
PICK_LIMIT = 50  # options in a chooser; a search narrows a longer list
_INTEGER = re.compile(r"\s*[-+]?\d+\s*")
QUERY_CONTROL_MESSAGE = "The address holds a control character (an invisible character pasted with it)."


def init_app(app: Flask) -> None:
    app.before_request(refuse_hostile_query_strings)


def refuse_hostile_query_strings() -> None:
    """Every page's query string, checked before any view reads it, as the API's schemas check theirs.

    A NUL cannot be held by PostgreSQL text (400); a page number (`page`, `orders_page`...) past
    MAX_PAGE would overflow an OFFSET and an id (`id`, `member_id`...) past 32 bits an INTEGER
    column, so neither can name anything that exists (404). The API answers its own way (422).
    """
    if is_api_request():
        return
    for name, value in request.args.items(multi=True):
        if has_control_characters(name) or has_control_characters(value):
            abort(400, QUERY_CONTROL_MESSAGE)
        if not _INTEGER.fullmatch(value):
            continue
        # Python refuses to read an integer of thousands of digits; twenty are past any bound here.
        number = int(value) if len(value.strip()) <= 20 else MAX_PAGE + INT_MAX
        if _is_page(name) and number > MAX_PAGE:
            abort(404)
        if _is_id(name) and not INT_MIN <= number <= INT_MAX:
            abort(404)


def _is_page(name: str) -> bool:
    return name == "page" or name.endswith("_page")


def _is_id(name: str) -> bool:
    return name == "id" or name.endswith("_id")


def page_number(name: str = "page") -> int:
    """A page asked for in the query string; a page past the end shows none, a nonsense one the first."""
    return min(max(request.args.get(name, 1, type=int), 1), MAX_PAGE)


def query_id(name: str) -> int | None:
    """An id from the query string; None when absent or not a number (the hook has refused one out of range)."""
    value = request.args.get(name, type=int)
    return value if value is not None and INT_MIN <= value <= INT_MAX else None


def flash_outcome(act: Callable[[], object], done: str) -> bool:
    """A button's state change on a page: `done` flashed when the service acts, its refusal flashed (and the
    transaction rolled back, so nothing half-written is committed) when it does not; whether it acted."""
    try:
        act()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return False
    flash(done, "success")
    return True


def form_errors(form, error: DomainError, renamed: dict[str, str] | None = None) -> None:
    """Puts a service's field messages next to the form's fields, the rest at the top.

    `renamed` maps a service's field name to the form's (`amount_pence` to `amount`, say).
    The failed change is discarded first, so the page shown again reflects what is stored.
    """
    db.session.rollback()
    renamed = renamed or {}
    for name, messages in error.fields.items():
        field = getattr(form, renamed.get(name, name), None)
        if field is not None:
            field.errors = list(field.errors) + messages
        else:
            form.form_errors.extend(messages)
    if not error.fields:
        form.form_errors.append(error.message)


class Form(FlaskForm):
    """Every form of the site: besides its own validators, no text field takes a control character,
    and only a text area takes line breaks."""

    def validate(self, extra_validators: dict[str, list[Any]] | None = None) -> bool:
        extra = dict(extra_validators or {})
        for name, field in self._fields.items():
            if isinstance(field, TextAreaField):
                extra[name] = [*extra.get(name, []), printable]
            elif isinstance(field, StringField) and not isinstance(field, PasswordField):
                extra[name] = [*extra.get(name, []), one_line]
        return bool(super().validate(extra_validators=extra))


def printable(form: Any, field: Any) -> None:
    """A WTForms validator: names, addresses and descriptions carry no control characters."""
    if isinstance(field.data, str) and has_control_characters(field.data):
        raise StopValidation(CONTROL_MESSAGE)


def one_line(form: Any, field: Any) -> None:
    """A WTForms validator: printable, and no line break (it would split an email subject or a document header)."""
    printable(form, field)
    if isinstance(field.data, str) and has_line_breaks(field.data):
        raise StopValidation(LINE_BREAK_MESSAGE)


@dataclass(frozen=True)
class Picked(Generic[T]):
    """The options of a chooser too long to send whole: up to PICK_LIMIT found by `?<arg>=` words."""

    items: list[T]
    more: bool  # some rows the search found are left out
    search: str
    arg: str

    @property
    def cut(self) -> bool:
        """True when the chooser needs its search box: some options are left out, or a search is on."""
        return bool(self.search) or self.more


def pick(
    query: Select, searched: Sequence[QueryableAttribute[str]], arg: str, kept: ColumnElement[bool] | None = None
) -> Picked:
    """The first PICK_LIMIT rows of `query` whose `searched` columns hold the words of `?<arg>=`, and
    those `kept` matches (the option already chosen, or submitted), so a choice never drops out.

    One more row than shown is read to tell whether any is left out: no count, so the page's
    queries are the same however long the list.
    """
    words = (request.args.get(arg) or "").strip()[:100]
    found = query
    if words:
        pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        found = found.where(or_(*(column.ilike(pattern, escape="\\") for column in searched)))
    rows = list(db.session.scalars(found.limit(PICK_LIMIT + 1)))
    items = rows[:PICK_LIMIT]
    if kept is not None:
        items += [row for row in db.session.scalars(query.where(kept)) if row not in items]
    return Picked(items, len(rows) > PICK_LIMIT, words, arg)


def submitted_ids(name: str) -> list[int]:
    """The ids a form posted (or a GET preselects) in `name`, those a database column can hold."""
    values = request.form.getlist(name) if request.method == "POST" else request.args.getlist(name)
    return [int(v) for v in values if _INTEGER.fullmatch(v) and INT_MIN <= int(v) <= INT_MAX]
