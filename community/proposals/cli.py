import click
from flask import Blueprint

from community.proposals import service

votes_cli = Blueprint("votes", __name__, cli_group="votes")
search_cli = Blueprint("search", __name__, cli_group="search")


@votes_cli.cli.command("recount")
@click.option("--dry-run", is_flag=True, help="Only report mismatches.")
def recount(dry_run):
    """Check every proposal's vote count against its vote rows and repair mismatches."""
    mismatches = service.recount_votes(repair=not dry_run)
    for pid, stored, real in mismatches:
        click.echo(f"proposal {pid}: stored {stored}, rows {real}{'' if dry_run else ' -> repaired'}")
    click.echo(f"{len(mismatches)} mismatch(es)")


@search_cli.cli.command("reindex")
def reindex():
    """Rewrite the search terms of proposals indexed by an older tokenizer (safe to run at any time)."""
    click.echo(f"{service.reindex_search()} proposal(s) reindexed")
