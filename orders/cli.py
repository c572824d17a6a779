"""Commands for cron or a systemd timer."""

import click
from flask import Blueprint

from kernel.clock import utcnow
from kernel.errors import Conflict
from kernel.extensions import db
from orders import closing, notices

bp = Blueprint("orders_cli", __name__, cli_group=None)


@bp.cli.command("close-due-pools")
def close_due_pools():
    """Close every open pool whose deadline has passed; safe to run twice or at the same time.

    Each pool closes in its own transaction under its row lock, so a second runner finds it
    closed and passes over it. A pool that fails is rolled back whole and left open for the
    next run; the others still close, and the command exits non-zero.
    """
    closed = cancelled = skipped = failed = 0
    for pool_id in closing.due_pool_ids(utcnow()):
        try:
            result = closing.close_pool(None, pool_id)
            db.session.commit()
        except Conflict:
            db.session.rollback()
            skipped += 1
            continue
        except Exception as error:  # one bad pool must not keep every later pool open
            db.session.rollback()
            failed += 1
            click.echo(f"Pool {pool_id} failed and stays open for the next run: {error!r}", err=True)
            continue
        if result.cancelled:
            cancelled += 1
            click.echo(f"Pool {pool_id} cancelled: {result.plan.cancel_reason}")
        else:
            closed += 1
            click.echo(f"Pool {pool_id} closed: {', '.join(o.number for o in result.purchase_orders)}")
    click.echo(f"{closed} closed, {cancelled} cancelled, {skipped} already closed by another run.")
    if failed:
        raise click.ClickException(f"{failed} pools failed to close; they stay open for the next run.")


@bp.cli.command("send-deadline-reminders")
def send_deadline_reminders():
    """Tell members who have not pledged that a pool closes within 48 hours; safe to run often.

    Each pool's reminder is one event with its dedupe key, so a member hears once however often
    it runs; the sender writes the messages.
    """
    pools = notices.pools_closing_soon(utcnow())
    written = 0
    for pool in pools:
        written += notices.deadline_soon(pool)
        db.session.commit()
    click.echo(f"Reminders queued for {written} of {len(pools)} pools closing within 48 hours; the rest had theirs.")
