"""The request's one transaction: committed when the request succeeds, or sooner where a row lock makes others wait."""

from sqlalchemy.exc import IntegrityError

from kernel.errors import Conflict
from kernel.extensions import db


def commit() -> None:
    """Commits the session's work; a unique or foreign-key clash with a concurrent change is a 409, and nothing
    of the request's work is kept."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("Someone else changed this at the same moment; please try again.") from None
