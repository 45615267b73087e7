"""Train a new router version from the seed corpus and the app's routing corrections, and promote it safely.

It sits above both ``service`` (the corrections) and ``router_versions`` (saving and activating), so
routing a new item (service -> routing_service -> router_versions) never imports its way back here.

Safe promotion: the new version is activated automatically only when it is at least as good as the serving
one on the fixed validation slice (``community.routing.promotion``: macro-F1, and precision at equal coverage
unless the new one reaches the target precision at its own thresholds); otherwise it waits for an admin, who
sees the comparison on the router page. Every decision is a ``RouterCandidate`` row, every activation a
``RouterActivation`` row and an audit entry.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from community.audit import service as audit
from community.extensions import db
from community.feedback import router_versions, service
from community.feedback.models import RouterCandidate, RoutingCorrection


@dataclass(frozen=True)
class Trained:
    """A training's outcome: the new version, its metadata, whether it now serves, and why not (``reasons``)."""

    version: str
    metadata: dict
    activated: bool
    reasons: tuple[str, ...] = ()


def _seed_rows():
    """None (the shipped seed corpus) unless config ROUTER_TRAIN_ON_SEED is false: then corrections only."""
    return None if current_app.config.get("ROUTER_TRAIN_ON_SEED", True) else []


def _active_router():
    from community.routing import RouterUnavailable

    version = router_versions.active_version()
    if version is None:
        return None
    try:
        return router_versions.load_version(version, threshold=float(current_app.config["ROUTER_THRESHOLD"]))
    except RouterUnavailable:
        return None  # a broken active version is never better than a working new one


def train(actor=None, activate_it: bool = True, force: bool = False) -> Trained:
    """Train a version on the seed corpus plus every correction people made; promote it if it is safe.

    ``activate_it``: compare with the active version on the fixed validation slice and activate when at least
    as good (always when nothing usable is active); False: keep it waiting for an admin. ``force``: activate
    without comparing (``flask routing train --force``). Thresholds: config ROUTER_TARGET_PRECISION per team,
    ROUTER_THRESHOLD for the rest. Commits. Raises ValueError when there is too little to train on (fewer
    than two teams with two examples each). A few seconds on 2 cores.
    """
    from community.routing import promotion, versions
    from community.routing.train import split_training, train_router

    config = current_app.config
    examples, seed = service.training_examples(), _seed_rows()
    target = float(config["ROUTER_TARGET_PRECISION"])
    router = train_router(examples, threshold=float(config["ROUTER_THRESHOLD"]), seed_rows=seed,
                          target_precision=target)
    with router_versions.stage() as root:  # saved in a scratch folder, then published to storage
        version = versions.save_version(router, root, router.metadata["training_data_sha256"])
        router_versions.publish(root, version)
        metadata = versions.read_metadata(root, version)
    active = _active_router()
    comparison = promotion.compare(router, active, split_training(examples, seed)[1], target)
    promote = activate_it and (force or comparison.promote)
    reasons = [] if promote else (comparison.reasons or ["held for an admin"])
    candidate = RouterCandidate(version=version, compared_with=router_versions.model_version(active),
                                decision="activated" if promote else "waiting", figures=comparison.figures,
                                reasons=reasons)
    db.session.add(candidate)
    db.session.flush()
    if promote:
        router_versions.activate(version, actor, reason="trained")  # audited; commits the candidate too
    else:
        audit.record(actor, "routing.hold", "router_candidate", candidate.id, None,
                     {"version": version, "reasons": reasons}, note="waits for an admin")
        db.session.commit()
    return Trained(version, metadata, promote, tuple(reasons))


def waiting() -> list[RouterCandidate]:
    """Versions trained after the active one's activation that wait for an admin, newest first."""
    latest = router_versions.latest_activation()
    query = select(RouterCandidate).where(RouterCandidate.decision == "waiting")
    if latest is not None:
        query = query.where(RouterCandidate.created_at >= latest.activated_at,
                            RouterCandidate.version != latest.version)
    return list(db.session.scalars(query.order_by(RouterCandidate.id.desc()).limit(20)))


def corrections_since_training() -> int:
    """Routing corrections recorded since the latest training (all of them before the first): the retraining
    job trains again once this reaches config ROUTER_RETRAIN_EVERY."""
    last = db.session.scalar(select(func.max(RouterCandidate.created_at)))
    query = select(func.count(RoutingCorrection.id))
    if last is not None:
        query = query.where(RoutingCorrection.created_at > last)
    return int(db.session.scalar(query) or 0)


def retrain_due() -> bool:
    """True when config ROUTER_RETRAIN_EVERY (default 100) corrections have accumulated since the last training."""
    return corrections_since_training() >= int(current_app.config.get("ROUTER_RETRAIN_EVERY", 100))
