"""Commands for cron or a systemd timer."""

import time

import click
from flask import Blueprint, current_app

from billing import notices, stripe_gateway
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


@bp.cli.command("charge-saved-methods")
@click.option("--watch", is_flag=True, help="Keep running, charging new invoices as they are issued.")
@click.option(
    "--interval", default=30, show_default=True, type=click.IntRange(min=1), help="Seconds between passes with --watch."
)
def charge_saved_methods(watch: bool, interval: int):
    """Charge newly issued invoices to their members' saved cards and Direct Debits; safe on several hosts at once.

    Each charge is claimed for a few minutes and carries one idempotency key, so a run killed half way is
    finished by the next one and no invoice is charged twice.
    """
    if not stripe_gateway.stripe_enabled(current_app.config):
        raise click.ClickException("Stripe is off (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET); nothing to charge.")
    while True:
        run = stripe_gateway.charge_due()
        click.echo(
            f"{run.charged} charged, {run.needs_member} sent the pay link, {run.failed} broke off (tried again later)."
        )
        if not watch:
            return
        time.sleep(interval)
