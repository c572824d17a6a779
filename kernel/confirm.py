"""Nothing destructive is one click: a page of its own says what will happen, and only its form acts.

The destructive POST endpoints act only when the posted form carries `confirmed=yes`, which only
the confirmation page's form (with its CSRF token) sends; any other post is sent to that page.
A GET of the page changes nothing. The JSON API is unchanged: an API client confirms by calling it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import redirect, render_template, request
from flask.typing import ResponseReturnValue

CONFIRMED = "confirmed"


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation page says: the question, what will happen, and where its form posts."""

    title: str
    consequences: Sequence[str]
    action: str
    button: str
    back: str
    fields: Mapping[str, object] = field(default_factory=dict)
    form: Any = None  # a form whose fields the page asks for too (a reason), shown with their errors


def ask(confirmation: Confirmation, status: int = 200) -> ResponseReturnValue:
    return render_template("confirm.html", confirmation=confirmation), status


def confirmed() -> bool:
    """Whether the post came from a confirmation page's form."""
    return request.form.get(CONFIRMED) == "yes"


def ask_first(page_url: str) -> ResponseReturnValue:
    """A destructive post without the page's confirmation goes to the page (303: the browser GETs it)."""
    return redirect(page_url, 303)
