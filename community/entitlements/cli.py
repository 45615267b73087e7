import click

from community.entitlements import bp, service

bp.cli.short_help = "Entitlements that follow the owner."


@bp.cli.command("check")
def check():
    """Check every holding's balance against the sum of its ledger entries; exit 1 on a mismatch."""
    bad = service.mismatches()
    for holding_id, stored, total in bad:
        click.echo(f"entitlement {holding_id}: balance {stored} != ledger sum {total}")
    click.echo(f"{len(bad)} mismatch(es)")
    if bad:
        raise SystemExit(1)
