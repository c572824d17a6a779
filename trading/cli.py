"""Commands for cron or a systemd timer: lapse listings not renewed, clear last month's trade."""

from datetime import timedelta

import click
from flask import Blueprint
from sqlalchemy import select

from kernel.clock import uk_today
from kernel.errors import Conflict
from kernel.extensions import db
from trading import services
from trading.models import TradingTerms

bp = Blueprint("trading_cli", __name__, cli_group=None)


@bp.cli.command("lapse-listings")
def lapse_listings():
    """Lapse every listing whose renewal date has passed; safe to run daily, twice, or late."""
    count = services.lapse_listings(uk_today())
    db.session.commit()
    click.echo(f"{count} listings lapsed.")


@bp.cli.command("clear-trade")
def clear_trade():
    """Clear last month's trade invoices in every consortium that clears monthly; a month already cleared is left."""
    month = uk_today().replace(day=1) - timedelta(days=1)
    consortium_ids = db.session.scalars(select(TradingTerms.consortium_id).where(TradingTerms.clearing.is_(True)))
    for consortium_id in list(consortium_ids):
        try:
            run = services.clear_month(None, consortium_id, month)
        except Conflict as error:
            db.session.rollback()
            click.echo(f"Consortium {consortium_id}: {error.message}")
            continue
        db.session.commit()
        click.echo(f"Consortium {consortium_id}: clearing {run.number} settled {run.invoice_count} invoices.")
