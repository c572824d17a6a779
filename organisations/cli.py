"""Commands for deployments: users, API tokens and sending the outbox. All are safe to run again."""

import time

import click
from email_validator import EmailNotValidError, validate_email
from flask import Blueprint

from kernel.errors import DomainError, NotFound, ValidationFailed
from kernel.extensions import db
from organisations import mailer, outbox, services
from organisations.models import Role, User

bp = Blueprint("marketplace_cli", __name__, cli_group=None)


ROLE_SPEC_HELP = "use admin, member:ID, secretary:CONSORTIUM_ID or supplier:ID"
MIN_PASSWORD_LENGTH = 10
_SCOPE_NAMES = {Role.MEMBER: "member", Role.SECRETARY: "consortium", Role.SUPPLIER: "supplier"}


def _role_spec(spec: str) -> tuple[Role, int | None]:
    """'member:12' -> (Role.MEMBER, 12); a clear error rather than a traceback for anything else."""
    role_name, _, scope = spec.partition(":")
    try:
        role = Role(role_name.strip().lower())
    except ValueError:
        raise click.ClickException(f"Unknown role '{spec}': {ROLE_SPEC_HELP}.") from None
    if role is Role.ADMIN:
        if scope:
            raise click.ClickException(f"The admin role takes no ID: '{spec}'.")
        return role, None
    if not (scope.strip().isascii() and scope.strip().isdigit()):
        raise click.ClickException(f"The {role.value} role needs a numeric ID, e.g. {role.value}:1 (got '{spec}').")
    return role, int(scope)


def _checked_email(email: str) -> str:
    """The same rule as the admin's user form, so the command cannot make a user who cannot sign in."""
    try:
        validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise click.ClickException(f"'{email}' is not an email address: {error}") from None
    return email.strip()


def _checked_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= 200:
        raise click.ClickException(f"The password must be {MIN_PASSWORD_LENGTH} to 200 characters long.")
    return password


def _grant(user: User, spec: str, role: Role, scope_id: int | None) -> None:
    try:
        services.grant_role(user, role, scope_id)
    except ValidationFailed as error:
        raise NotFound(f"Cannot grant '{spec}': there is no {_SCOPE_NAMES[role]} {scope_id}.") from error


@bp.cli.command("create-user")
@click.argument("email")
@click.option("--name", help="Display name; defaults to the part of the email before @.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="Prompted for when not given.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    metavar="ROLE[:ID]",
    help="admin, member:ID, secretary:CONSORTIUM_ID or supplier:ID; repeatable.",
)
def create_user(email: str, name: str | None, password: str, roles: tuple[str, ...]):
    """Create a user, or update an existing one's password, and grant roles."""
    email, password = _checked_email(email), _checked_password(password)
    grants = [(spec, *_role_spec(spec)) for spec in roles]
    try:
        user = services.user_by_email(email)
        data = {"email": email, "name": name or (user.name if user else email.split("@")[0]), "password": password}
        user = services.save_user(data, user)
        for spec, role, scope_id in grants:
            _grant(user, spec, role, scope_id)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"{user.email}: {', '.join(g.description for g in user.grants) or 'no roles'}")


@bp.cli.command("create-token")
@click.argument("email")
@click.option("--name", default="command line", show_default=True, help="What the token is for.")
def create_token(email: str, name: str):
    """Print a new API token for EMAIL as the last line; only its hash is stored."""
    user = services.user_by_email(email)
    if user is None:
        raise click.ClickException(f"No user {email}.")
    if not user.active:
        raise click.ClickException(f"{user.email} is deactivated; its tokens would be refused.")
    if not 1 <= len(name.strip()) <= 100:
        raise click.ClickException("The token's name must be 1 to 100 characters long.")
    _, plain = services.create_api_token(user, name)
    db.session.commit()
    click.echo(f"Token '{name}' for {user.email} (shown once):")
    click.echo(plain)


@bp.cli.command("send-outbox")
@click.option("--watch", is_flag=True, help="Keep running, sending new messages as they arrive.")
@click.option(
    "--interval", default=30, show_default=True, type=click.IntRange(min=1), help="Seconds between passes with --watch."
)
def send_outbox(watch: bool, interval: int):
    """Write the messages of new events, then send the due messages by SMTP; safe to run on several hosts at once.

    Each event is expanded once, in its own transaction with all its messages; messages are
    claimed and marked sent a batch per transaction, so none is sent twice; a failure is retried
    later with a growing wait, and given up after OUTBOX_MAX_ATTEMPTS. Without SMTP settings the
    messages are written and stay on the outbox page.
    """
    while True:
        expanded = outbox.expand_pending()
        click.echo(
            f"{expanded.messages} messages written for {expanded.events} events"
            + (f", {expanded.failed} events failed (see the log)." if expanded.failed else ".")
        )
        try:
            report = mailer.send_pending()
        except mailer.NotConfigured as error:
            if not watch:
                raise click.ClickException(str(error)) from error
            click.echo(str(error))
        else:
            click.echo(
                f"{report.sent} sent, {report.retrying} to retry, {report.failed} given up."
                + (" The mail server did not answer; stopped until the next run." if report.stopped_early else "")
            )
        if not watch:
            return
        time.sleep(interval)
