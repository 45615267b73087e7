import click
from flask import Blueprint

from community.accounts.models import User
from community.accounts.service import normalise_email
from community.api import tokens

tokens_cli = Blueprint("tokens", __name__, cli_group="tokens")


@tokens_cli.cli.command("create")
@click.argument("email")
@click.option("--scope", type=click.Choice(["read", "write"]), default="write")
@click.option("--days", type=int, default=30, help="Lifetime in days (0: never expires).")
@click.option("--name", default="cli")
def create(email, scope, days, name):
    """Create an API token for a user and print the secret (shown once), e.g. for the owners' app or scripts."""
    user = User.query.filter_by(email=normalise_email(email)).first()
    if user is None:
        raise click.ClickException(f"no user {email}")
    _token, secret = tokens.create_token(user, name, scope, days or None)
    click.echo(secret)
