"""The scheduled command that moves tenders at their deadlines."""

import click
from flask import Blueprint

from kernel.clock import utcnow
from kernel.extensions import db
from tenders import services

bp = Blueprint("tenders_cli", __name__, cli_group=None)


@bp.cli.command("advance-tenders")
def advance_tenders():
    """Close tenders to questions and to bids at their deadlines; safe on several hosts at once.

    Each tender moves in its own transaction under its row lock, taken with SKIP LOCKED on
    PostgreSQL: a second runner passes over a tender the first holds, and a tender already moved
    is not due any more. A tender that fails is rolled back alone; the command then exits non-zero.
    """
    now = utcnow()
    moved = failed = 0
    for tender_id in services.due_tender_ids(now):
        try:
            passed = services.advance(tender_id, now)
            db.session.commit()
        except Exception as error:  # one bad tender must not hold up the others
            db.session.rollback()
            failed += 1
            click.echo(f"Tender {tender_id} failed and stays as it was for the next run: {error!r}", err=True)
            continue
        if passed:
            moved += 1
            click.echo(f"Tender {tender_id}: {', '.join(s.value.replace('_', ' ') for s in passed)}")
    click.echo(f"{moved} tenders moved at their deadlines.")
    if failed:
        raise click.ClickException(f"{failed} tenders failed to move; they stay as they were for the next run.")
