"""Train a new router version from the seed corpus and the app's routing corrections.

It sits above both ``service`` (the corrections) and ``router_versions`` (saving and activating), so
routing a new item (service -> routing_service -> router_versions) never imports its way back here.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from community.feedback import router_versions, service


@dataclass(frozen=True)
class Trained:
    version: str
    metadata: dict
    activated: bool


def train(actor=None, activate_it: bool = True) -> Trained:
    """Train a new version on the seed corpus plus every correction people made; activate it unless told not to.

    The threshold saved with it is config ROUTER_THRESHOLD. Takes a few seconds (two fits).
    """
    from community.routing import versions
    from community.routing.train import train_router

    root = router_versions.models_root()
    router = train_router(service.training_examples(), threshold=float(current_app.config["ROUTER_THRESHOLD"]))
    version = versions.save_version(router, root, router.metadata["training_data_sha256"])
    if activate_it:
        router_versions.activate(version, actor, reason="trained")
    return Trained(version, versions.read_metadata(root, version), activate_it)
