import click

from community.campaigns import bp, service

bp.cli.short_help = "Crowdfunding campaigns."


@bp.cli.command("close-due")
def close_due():
    """Write the due campaign_opened/campaign_closed milestones. Idempotent: safe to run from cron every minute."""
    done = service.close_due()
    for campaign_id, kinds in done:
        click.echo(f"campaign {campaign_id}: {', '.join(kinds)}")
    click.echo(f"{len(done)} campaign(s) updated")
