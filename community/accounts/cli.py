import click
from flask_babel import force_locale

from community.accounts import bp, service
from community.accounts.models import User
from community.errors import DomainError
from community.security import ROLES

bp.cli.short_help = "Manage users."


@bp.cli.command("create")
@click.argument("email")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), help="Repeatable.")
@click.option("--name", default=None, help="Display name (default: the part before @).")
@click.password_option(help="At least 10 characters; prompted when omitted.")
def create(email, roles, name, password):
    """Create a user, e.g. ``flask users create ops@example.com --role admin``."""
    with force_locale("en"):
        try:
            user = service.register(email, name or email.split("@")[0], password, tuple(roles))
        except DomainError as err:
            raise click.ClickException(f"{err.message} {err.fields or ''}".strip()) from err
    click.echo(f"created user {user.id} {user.email} roles={sorted(user.role_names) or '-'}")


@bp.cli.command("grant")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def grant(email, role):
    """Give an existing user a role."""
    user = User.query.filter_by(email=service.normalise_email(email)).first()
    if user is None:
        raise click.ClickException(f"no user {email}")
    service.grant_role(user, role)
    click.echo(f"{user.email}: {sorted(user.role_names)}")
