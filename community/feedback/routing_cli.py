"""``flask routing train|versions|activate|evaluate``: the router's model versions from the app's side.

Training uses the shipped seed corpus plus every routing correction people made in the app (their latest
label per item) and stores a new version under the key prefix ROUTER_MODELS_DIR (community.storage);
activating records in the database which version serves, and running workers pick it up on their next
routing call (routing_service).
"""
from __future__ import annotations

import click
from flask import Blueprint

from community.errors import DomainError
from community.feedback import retrain, router_versions

routing_cli = Blueprint("routing", __name__, cli_group="routing")


@routing_cli.cli.command("train")
@click.option("--if-missing", is_flag=True, help="Do nothing when an active version exists and loads.")
@click.option("--activate/--no-activate", default=True, show_default=True,
              help="Activate the new version if it is at least as good as the active one (else it waits).")
@click.option("--force", is_flag=True, help="Activate the new version without comparing it.")
def train(if_missing: bool, activate: bool, force: bool) -> None:
    """Train a new version on the seed corpus and the app's corrections; activate it when it is at least as good."""
    if if_missing and router_versions.has_usable_active():
        click.echo(f"router version {router_versions.active_version()} is active; not retrained")
        return
    try:
        trained = retrain.train(activate_it=activate, force=force)
    except ValueError as err:
        raise click.ClickException(f"nothing trained: {err}") from err
    meta = trained.metadata
    rows, held = meta.get("rows") or {}, meta.get("heldout_metrics") or {}
    click.echo(f"saved {trained.version} in {router_versions.models_location()}: {meta['training_size']} examples "
               f"({rows.get('corrections', 0)} from corrections), {len(meta['labels'])} teams")
    if held.get("macro_f1") is not None:
        routed = held.get("routing") or {}
        precision = "-" if routed.get("precision") is None else f"{100 * routed['precision']:.1f} %"
        click.echo(f"validation slice ({held['n_test']} items): accuracy {100 * held['accuracy']:.1f} %, "
                   f"macro-F1 {100 * held['macro_f1']:.1f} %; routed automatically "
                   f"{100 * (routed.get('coverage') or 0):.1f} % at precision {precision}")
    if trained.activated:
        click.echo(f"active version: {trained.version}")
    else:
        why = ", ".join(trained.reasons)
        click.echo(f"not activated ({why}); it waits on the admin router page, or "
                   f"`flask routing activate {trained.version}`")


@routing_cli.cli.command("versions")
def versions() -> None:
    """List the model versions, newest first; * marks the active one."""
    from community.routing.versions import VersionInfo, describe

    rows = router_versions.list_versions()
    active = next((r.version for r in rows if r.is_active), None)
    lines = describe([VersionInfo(r.version, r.metadata, r.error) for r in rows], active)
    click.echo("\n".join(lines) if lines else f"no versions in {router_versions.models_location()}")


@routing_cli.cli.command("activate")
@click.argument("version")
def activate(version: str) -> None:
    """Make VERSION the one that serves (roll back or forward); audited."""
    try:
        router_versions.activate(version)
    except DomainError as err:
        raise click.ClickException(err.message) from err
    click.echo(f"active version: {version}")


@routing_cli.cli.command("evaluate")
@click.option("--data", "data_path", type=click.Path(exists=True, dir_okay=False),
              help="Labelled CSV or JSON-lines file; without it, the seed corpus and the public benchmarks.")
@click.option("--text-col", default="text", show_default=True, help="Column (CSV) or key (JSON-lines) of the text.")
@click.option("--label-col", default="label", show_default=True, help="Column or key of the label.")
@click.option("--test", "test_path", type=click.Path(exists=True, dir_okay=False),
              help="Score on this file (same columns), training on --data; default: stratified 80/20 of --data.")
@click.option("--datasets", type=click.Path(file_okay=False), default=None,
              help="Without --data: folder of the public datasets (default: $COCREATE_DATASETS or ../shared/datasets).")
@click.option("--threshold", type=float, default=None, help="Abstention threshold (default: ROUTER_THRESHOLD).")
@click.option("--workers", type=int, default=2, show_default=True, help="Without --data: benchmarks in parallel.")
def evaluate(data_path, text_col, label_col, test_path, datasets, threshold, workers) -> None:
    """Train on a training part, print held-out figures (a labelled file, or the seed corpus and public sets)."""
    from flask import current_app

    threshold = float(current_app.config["ROUTER_THRESHOLD"]) if threshold is None else threshold
    if data_path is None:
        if test_path:
            raise click.UsageError("--test needs --data")
        from community.routing.datasets import datasets_root
        from community.routing.evaluate import evaluate_all, format_table

        results, skipped = evaluate_all(datasets, threshold, workers=workers)
        click.echo(format_table(results, threshold))
        for name in skipped:
            click.echo(f"{name}: skipped, no folder under {datasets_root(datasets)}")
        return
    from community.routing.report import evaluate_files

    try:
        click.echo(evaluate_files(data_path, text_col, label_col, test_path, threshold))
    except ValueError as err:
        raise click.ClickException(str(err)) from err
