"""Commands for cron or a systemd timer."""

import click
from flask import Blueprint

from billing import notices
from kernel.clock import uk_today
from kernel.extensions import db

bp = Blueprint("billing_cli", __name__, cli_group=None)


@bp.cli.command("remind-overdue-invoices")
def remind_overdue_invoices():
    """Remind members of invoices 7 and 14 days overdue; safe to run daily, twice, or late.

    Each invoice is reminded once per stage (its dedupe key), and a run that missed the 7-day
    stage sends only the 14-day one.
    """
    today = uk_today()
    invoices = notices.overdue_invoices(today)
    written = 0
    for invoice in invoices:
        written += notices.invoice_overdue(invoice, today)
        db.session.commit()
    click.echo(f"{written} reminders written for {len(invoices)} overdue invoices.")
