"""``flask sla sweep``: cron-able and idempotent."""
from datetime import UTC, datetime

import click
from flask import Blueprint

from community.feedback import sla

sla_cli = Blueprint("sla", __name__, cli_group="sla")


@sla_cli.cli.command("sweep")
@click.option("--now", "now_text", metavar="ISO8601", help="Sweep as of this instant (default: now; naive = UTC).")
def sweep(now_text):
    """Mark breached first-response and resolution promises; each new breach is audited for moderators."""
    now = None
    if now_text:
        now = datetime.fromisoformat(now_text)
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    result = sla.sweep(now)
    click.echo(f"{len(result.first_response)} first-response breach(es), "
               f"{len(result.resolution)} resolution breach(es) newly marked")
