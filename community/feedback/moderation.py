"""Feedback as a kind of content moderation can flag, hide and restore (see community.moderation.targets).

Feedback is private: only those who may read an item (its author, its team's agents, moderators) can
report it, and a hidden item leaves every queue, list and count (community.feedback.service.VISIBLE).
"""
from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l

from community.feedback import service
from community.feedback.models import FeedbackItem
from community.moderation.targets import TargetType, excerpt, hidden_lister, register


def _load(item_id: int) -> FeedbackItem:
    return service.get_item(item_id)


register(TargetType(
    "feedback", _l("Feedback"), _load, service.set_hidden, lambda item: item.hidden_at is not None,
    lambda item: f"#{item.id} {excerpt(item.text)}", lambda item: url_for("feedback.detail", item_id=item.id),
    hidden_lister(FeedbackItem), can_see=service.can_view))
