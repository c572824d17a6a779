"""What every package's HTML views share: the form base, safe redirects and a service's errors on a form."""

from typing import Any
from urllib.parse import urlsplit

from flask import Response, make_response, request
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import StopValidation

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


def page_number(name: str = "page") -> int:
    """A page asked for in the query string; a page past the end shows none, a nonsense one the first."""
    return max(request.args.get(name, 1, type=int), 1)


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
