"""`flask --app wsgi claim-rebates`: cron's way to claim every rebate whose period has ended."""

from dataclasses import dataclass, field
from datetime import date

import click
from flask import Blueprint

from kernel.clock import uk_today
from kernel.extensions import db
from kernel.formatting import pounds
from rebates import services
from rebates.models import RebateAgreement

bp = Blueprint("rebates_cli", __name__, cli_group=None)


@dataclass
class Run:
    claimed: list[int] = field(default_factory=list)
    failed: int = 0


@bp.cli.command("claim-rebates")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Run as of this date (default: today, UK).")
def claim_rebates(today) -> None:
    """Claim every active rebate whose period ended before today, each in its own transaction under its row lock:
    running it twice, or on two hosts at once, claims each period once."""
    run = claim_due(today.date() if today else uk_today())
    click.echo(f"{len(run.claimed)} rebates claimed, {run.failed} failed.")
    if run.failed:
        raise SystemExit(1)


def claim_due(today: date) -> Run:
    """The command's work, committing once per agreement; one that fails is left active for the next run."""
    run = Run()
    for agreement_id in services.due_for_claim(today):
        try:
            claimed = services.claim(agreement_id, today)
            db.session.commit()
        except Exception as error:
            db.session.rollback()
            run.failed += 1
            click.echo(f"Rebate {agreement_id}: not claimed: {error}", err=True)
            continue
        if claimed:
            run.claimed.append(agreement_id)
            agreement = db.session.get_one(RebateAgreement, agreement_id)
            click.echo(f"Rebate {agreement_id} ({agreement.name}): {pounds(agreement.rebate_pence or 0)} claimed")
    return run
