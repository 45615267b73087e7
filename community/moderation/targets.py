"""What can be flagged and hidden, addressed as (target_type, target_id).

Each kind of content registers a :class:`TargetType` with callables that load it (hidden or not),
hide/restore it through its own feature's rules, and describe it for the moderator queue. Another
feature adds its kind without touching moderation's schema, e.g. feedback::

    from community.moderation.targets import TargetType, register
    register(TargetType("feedback_item", _l("Feedback"), load=..., set_hidden=..., is_hidden=...,
                        describe=..., url=..., list_hidden=...))
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from community.errors import NotFound
from community.extensions import db
from community.proposals import moderation as proposal_rules
from community.proposals.models import Comment, Proposal
from community.timeline.models import Milestone


@dataclass(frozen=True)
class TargetType:
    """How moderation reaches one kind of content.

    ``load(id)`` returns the object hidden or not (raises NotFound); ``set_hidden(obj, hidden)`` returns
    False when nothing changed; ``describe(obj)`` is a short plain-text excerpt; ``url(obj)`` a page
    to look at it (or None); ``list_hidden(limit)`` the hidden objects, newest first;
    ``can_see(user, obj)`` whether that user may see (and so report) it: private content such as
    feedback is reportable only by those who can read it.
    """

    name: str
    label: Any
    load: Callable[[int], Any]
    set_hidden: Callable[[Any, bool], bool]
    is_hidden: Callable[[Any], bool]
    describe: Callable[[Any], str]
    url: Callable[[Any], str | None]
    list_hidden: Callable[[int], list]
    can_see: Callable[[Any, Any], bool] = lambda user, obj: True


TARGETS: dict[str, TargetType] = {}


def register(target: TargetType) -> None:
    TARGETS[target.name] = target


def get_target(target_type: str) -> TargetType:
    if target_type not in TARGETS:
        raise NotFound(_("Unknown kind of content."))
    return TARGETS[target_type]


def _loader(model):
    def load(target_id: int):
        obj = db.session.get(model, target_id)
        if obj is None:
            raise NotFound(_("No such item."))
        return obj

    return load


def hidden_lister(model):
    def list_hidden(limit: int) -> list:
        return model.query.filter(model.hidden_at.is_not(None)).order_by(model.hidden_at.desc()).limit(limit).all()

    return list_hidden


def excerpt(text: str, n: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


register(TargetType(
    "proposal", _l("Proposal"), _loader(Proposal), proposal_rules.set_hidden, lambda p: p.hidden_at is not None,
    lambda p: f"#{p.id} {p.title}", lambda p: url_for("proposals.detail", proposal_id=p.id),
    hidden_lister(Proposal)))
register(TargetType(
    "comment", _l("Comment"), _loader(Comment), proposal_rules.set_hidden, lambda c: c.hidden_at is not None,
    lambda c: excerpt(c.body), lambda c: url_for("proposals.detail", proposal_id=c.proposal_id, _anchor=f"c{c.id}"),
    hidden_lister(Comment)))
register(TargetType(
    "milestone", _l("Milestone"), _loader(Milestone), proposal_rules.set_hidden, lambda m: m.hidden_at is not None,
    lambda m: excerpt(m.text_zh or m.text_en or ""),
    lambda m: url_for("proposals.detail", proposal_id=m.proposal_id, _anchor=f"m{m.id}"), hidden_lister(Milestone)))
