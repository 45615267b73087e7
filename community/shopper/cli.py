"""``flask stores import PATH`` and ``flask stores file-findings``."""
import click

from community.errors import ValidationError
from community.shopper import service, stores, stores_cli

stores_cli.cli.short_help = "Stores and mystery-shopper reports."


@stores_cli.cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_stores(path):
    """Import stores from a UTF-8 CSV (name,city,kind[,staff_names]): all rows or none."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        click.echo(f"{path} is not UTF-8 text (byte {exc.start}); nothing was imported", err=True)
        raise SystemExit(1) from None
    try:
        result = stores.import_csv(text)
    except ValidationError as err:
        click.echo(err.message, err=True)
        for where, what in err.fields.items():
            click.echo(f"  {where}: {what}", err=True)
        raise SystemExit(1) from None
    click.echo(f"{result.created} store(s) created, {result.updated} updated")


@stores_cli.cli.command("file-findings")
def file_findings():
    """File the findings of submitted reports that are not feedback yet (after a crash); idempotent."""
    total = sum(service.file_findings(report) for report in service.unfiled_reports())
    click.echo(f"{total} finding(s) filed")
