"""Commands for deployments: users and API tokens. All are safe to run again."""
import click
from flask import Blueprint

from marketplace import services
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models import Role

bp = Blueprint("marketplace_cli", __name__, cli_group=None)


@bp.cli.command("create-user")
@click.argument("email")
@click.option("--name", help="Display name; defaults to the part of the email before @.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when not given.")
@click.option("--role", "roles", multiple=True, metavar="ROLE[:ID]",
              help="admin, member:ID, secretary:CONSORTIUM_ID or supplier:ID; repeatable.")
def create_user(email: str, name: str | None, password: str, roles: tuple[str, ...]):
    """Create a user, or update an existing one's password, and grant roles."""
    try:
        user = services.user_by_email(email)
        data = {"email": email, "name": name or (user.name if user else email.split("@")[0]), "password": password}
        user = services.save_user(data, user)
        for spec in roles:
            role_name, _, scope = spec.partition(":")
            services.grant_role(user, Role(role_name), int(scope) if scope else None)
    except (DomainError, ValueError) as error:
        db.session.rollback()
        raise click.ClickException(getattr(error, "message", str(error)))
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
    _, plain = services.create_api_token(user, name)
    db.session.commit()
    click.echo(f"Token '{name}' for {user.email} (shown once):")
    click.echo(plain)
