import click

from community.notifications import bp, service


@bp.cli.command("fan-out")
def fan_out():
    """Turn pending events into notifications, in batches (idempotent; run from cron every minute)."""
    click.echo(f"{service.fan_out_pending()} notification(s) created")


@bp.cli.command("send-digests")
def send_digests():
    """Write today's digests (at most one per user per day, none empty) and send the outbox (idempotent)."""
    written, sent, failed = service.send_digests()
    click.echo(f"{written} digest(s) written, {sent} e-mail(s) sent, {failed} failed")
