"""Commands for cron or a systemd timer."""

import click
from flask import Blueprint

from frameworks import services
from frameworks.terms import add_months
from kernel.clock import uk_today
from kernel.extensions import db

bp = Blueprint("frameworks_cli", __name__, cli_group=None)


@bp.cli.command("expire-frameworks")
def expire_frameworks():
    """Expire every live framework past its end date; safe to run twice or on several hosts at once.

    Each framework expires in its own transaction under its row lock, so a second runner finds
    it expired (or extended meanwhile) and passes over it; one that fails is left for the next run.
    """
    today = uk_today()
    expired = skipped = failed = 0
    for framework_id in services.due_to_expire(today):
        try:
            done = services.expire(framework_id, today)
            db.session.commit()
        except Exception as error:  # one bad framework must not keep every later one live
            db.session.rollback()
            failed += 1
            click.echo(f"Framework {framework_id} failed and stays live for the next run: {error!r}", err=True)
            continue
        if done:
            expired += 1
        else:
            skipped += 1
    click.echo(f"{expired} expired, {skipped} already expired or extended by another run.")
    if failed:
        raise click.ClickException(f"{failed} frameworks failed to expire; they stay live for the next run.")


@bp.cli.command("produce-fee-statements")
def produce_fee_statements():
    """Record every supplier's statement of call-offs and fee due for the previous month; safe to run again.

    Each statement is inserted once (supplier and month are unique, a second insert does nothing),
    so a re-run, or a run on another host at the same time, adds nothing.
    """
    month = add_months(uk_today().replace(day=1), -1)
    written = services.produce_statements(month)
    db.session.commit()
    click.echo(f"{written} statements produced for {month:%B %Y}; any others were produced before.")
