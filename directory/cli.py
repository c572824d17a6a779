"""`flask --app wsgi remind-verification-expiry`: cron's way to tell secretaries of verifications about to expire."""

import click
from flask import Blueprint

from directory import services
from kernel.extensions import db

bp = Blueprint("directory_cli", __name__, cli_group=None)


@bp.cli.command("remind-verification-expiry")
@click.option("--days", default=services.REMIND_DAYS, show_default=True, help="Remind this many days ahead.")
def remind_verification_expiry(days: int) -> None:
    """Secretaries hear once of each social-enterprise verification that expires within DAYS; safe to run often."""
    written = services.remind_expiring(days)
    db.session.commit()
    click.echo(f"{written} verification reminder{'s' if written != 1 else ''} queued.")
