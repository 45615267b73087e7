"""``flask routing train [--if-missing]`` and ``flask routing evaluate``: the router's model file from the app's side.

Training uses the shipped seed corpus plus every routing correction people made in the app (their latest
label per item), and writes config ROUTER_PATH atomically; running workers pick the new file up on
their next routing call (see routing_service).
"""
from __future__ import annotations

import os

import click
from flask import Blueprint, current_app

from community.feedback import routing_service, service

routing_cli = Blueprint("routing", __name__, cli_group="routing")


@routing_cli.cli.command("train")
@click.option("--if-missing", is_flag=True, help="Do nothing when a model file already exists.")
def train(if_missing: bool) -> None:
    """Train the router on the seed corpus and the app's corrections; save it to ROUTER_PATH."""
    from community.routing.model import Router
    from community.routing.train import train_seed_router

    path = routing_service.router_path()
    if if_missing and os.path.exists(path):
        click.echo(f"router model exists at {path}; not retrained")
        return
    threshold = float(current_app.config["ROUTER_THRESHOLD"])
    router = train_seed_router(threshold)
    corrections = service.training_examples()
    if corrections:
        from community.routing.corpus import load_seed

        rows = load_seed()
        held = router.metadata.get("heldout_metrics") or {}
        router = Router.train([r.text for r in rows] + [t for t, _ in corrections],
                              [r.team for r in rows] + [team for _, team in corrections], threshold=threshold,
                              heldout_metrics={**held, "corrections": len(corrections)})
    router.save(path)
    meta = router.metadata
    held = meta.get("heldout_metrics") or {}
    click.echo(f"saved {path}: version {routing_service.model_version(router)}, {meta['training_size']} examples "
               f"({len(corrections)} from corrections), {len(meta['classes'])} teams")
    if held.get("macro_f1") is not None:
        click.echo(f"seed held-out 20%: accuracy {100 * held['accuracy']:.1f} %, "
                   f"macro-F1 {100 * held['macro_f1']:.1f} %")


@routing_cli.cli.command("evaluate")
@click.option("--datasets", type=click.Path(file_okay=False), default=None,
              help="Folder of the public datasets (default: $COCREATE_DATASETS or ../shared/datasets).")
@click.option("--threshold", type=float, default=None, help="Abstention threshold (default: ROUTER_THRESHOLD).")
def evaluate(datasets: str | None, threshold: float | None) -> None:
    """Train on each dataset's training part and print held-out figures (seed corpus and public sets)."""
    from community.routing.datasets import datasets_root
    from community.routing.evaluate import evaluate_all, format_table

    threshold = float(current_app.config["ROUTER_THRESHOLD"]) if threshold is None else threshold
    results, skipped = evaluate_all(datasets, threshold)
    click.echo(format_table(results, threshold))
    for name in skipped:
        click.echo(f"{name}: skipped, no folder under {datasets_root(datasets)}")
