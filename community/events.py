"""Domain events: what happened, told to whoever listens, inside the transaction that made it happen.

Features at the bottom of the stack (proposals, feedback, campaigns, accounts) call ``emit`` right where
the change is written; features above them (webhooks) ``subscribe`` at start-up. A listener writes to the
same database session and never commits, so its rows land, or roll back, with the change itself.

Event types (``TYPES``) and the object each carries:
  proposal.created / proposal.status_changed: the Proposal; proposal.milestone_added: the Milestone;
  feedback.created / .routed / .answered / .sla_breached: the FeedbackItem;
  campaign.opened / campaign.closed: the Campaign; pledge.created / pledge.cancelled: the Pledge;
  vehicle.verified / vehicle.rejected: the Vehicle.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import current_app, has_app_context

TYPES = ("proposal.created", "proposal.status_changed", "proposal.milestone_added",
         "feedback.created", "feedback.routed", "feedback.answered", "feedback.sla_breached",
         "campaign.opened", "campaign.closed", "pledge.created", "pledge.cancelled", "vehicle.verified",
         "vehicle.rejected")

Listener = Callable[[str, object], None]


def subscribe(app, listener: Listener) -> None:
    """Call ``listener(event_type, obj)`` for every event emitted in ``app`` (registered at start-up)."""
    app.extensions.setdefault("event_listeners", []).append(listener)


def emit(event_type: str, obj) -> None:
    """Tell the listeners that ``event_type`` happened to ``obj`` (flushed, so it has its id). No commit."""
    if event_type not in TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    if not has_app_context():
        return
    for listener in current_app.extensions.get("event_listeners", ()):
        listener(event_type, obj)
