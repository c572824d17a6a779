"""Helpers every package's HTML views share: safe redirects and a service's errors on a form."""

from urllib.parse import urlsplit

from kernel.errors import DomainError
from kernel.extensions import db


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


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
