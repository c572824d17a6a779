"""`flask --app wsgi bill-shared-services`: cron's way to start pools and bill their periods."""

from dataclasses import dataclass
from datetime import date

import click
from flask import Blueprint
from sqlalchemy.exc import IntegrityError

from kernel.clock import uk_today
from kernel.extensions import db
from kernel.formatting import pounds
from shared_services import periods, services
from shared_services.models import ServicePool, ServicePoolStatus

bp = Blueprint("shared_services_cli", __name__, cli_group=None)


def _month(ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return periods.parse_month(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@dataclass
class Run:
    billed: int = 0
    invoices: int = 0
    skipped: int = 0
    failed: int = 0


@bp.cli.command("bill-shared-services")
@click.option(
    "--period",
    "through",
    callback=_month,
    metavar="YYYY-MM",
    help="Bill every period that starts in or before this month (default: this month, UK time).",
)
def bill_shared_services(through: date | None):
    """Start the pools whose start has come (or cancel them below their minimum) and bill every period due.

    Each pool's start and each pool+period is its own transaction under the pool's row lock:
    a failure leaves that period unbilled for a re-run, and a period billed by another run is
    passed over, so running twice, or two at once, bills nothing twice.
    """
    today = uk_today()
    run = bill_due(through or date(today.year, today.month, 1), today)
    click.echo(
        f"{run.billed} periods billed ({run.invoices} invoices), {run.skipped} already billed, {run.failed} failed."
    )
    if run.failed:
        raise SystemExit(1)


def bill_due(through: date, today: date) -> Run:
    """The command's work, committing once per pool start and once per pool+period."""
    run = Run()
    for pool_id in services.billable_pool_ids(through):
        try:
            started = services.start_pool(pool_id, through)
            db.session.commit()
        except Exception as error:
            db.session.rollback()
            run.failed += 1
            click.echo(f"Shared-service pool {pool_id}: could not start: {error}", err=True)
            continue
        if started is not None and started.status is ServicePoolStatus.CANCELLED:
            click.echo(f"Shared-service pool {pool_id} cancelled: {started.cancel_reason}")
            continue
        pool = db.session.get_one(ServicePool, pool_id)
        for period in services.due_periods(pool, through):
            try:
                result = services.bill_period(None, pool_id, period, today)
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                run.skipped += 1
                continue
            except Exception as error:
                db.session.rollback()
                run.failed += 1
                click.echo(f"Shared-service pool {pool_id}, period {period}: nothing billed: {error}", err=True)
                break
            if result is None:
                run.skipped += 1
                continue
            run.billed += 1
            run.invoices += len(result.charges)
            click.echo(
                f"Shared-service pool {pool_id}, period {period}: {len(result.charges)} invoices, "
                f"{pounds(result.cost_pence)} shared among {result.participant_count} members"
            )
    return run
