"""``flask webhooks deliver``: send what is due (cron it every minute; idempotent, safe to overlap)."""
import click
from flask import Blueprint

from community.webhooks import delivery

webhooks_cli = Blueprint("webhooks_cli", __name__, cli_group="webhooks")


@webhooks_cli.cli.command("deliver")
@click.option("--limit", default=500, show_default=True, help="Most deliveries to attempt in this run.")
def deliver(limit):
    """Send every pending webhook delivery that is due (first tries and retries)."""
    click.echo(f"{delivery.run_due(limit=limit)} delivery attempt(s)")
