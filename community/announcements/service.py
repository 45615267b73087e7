"""Announcement rules: post (one milestone per answered proposal, in the same transaction), read, feed."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import or_

from community.announcements.models import Announcement, AnnouncementAnswer
from community.audit import service as audit
from community.dbtypes import utcnow
from community.errors import NotFound, PermissionDenied, ValidationError
from community.extensions import db
from community.proposals.models import Proposal
from community.text import render_markdown
from community.timeline.service import add_milestone
from community.util import cursor_values

PER_PAGE = 20


def can_manage(user) -> bool:
    """Moderators post announcements."""
    return bool(user and getattr(user, "is_authenticated", False) and user.has_role("moderator"))


@dataclass
class AnnouncementInput:
    title_zh: str = ""
    title_en: str = ""
    body_zh: str = ""
    body_en: str = ""
    proposal_ids: list[int] = field(default_factory=list)


def _validate(data: AnnouncementInput) -> tuple[dict, list[Proposal]]:
    errors = {}
    clean = {k: (getattr(data, k) or "").strip() or None for k in ("title_zh", "title_en", "body_zh", "body_en")}
    if not (clean["title_zh"] or clean["title_en"]):
        errors["title_zh"] = _("Give the announcement a title in Chinese, English or both.")
    for key in ("title_zh", "title_en"):
        if clean[key] and len(clean[key]) > 160:
            errors[key] = _("At most %(n)d characters.", n=160)
    if not (clean["body_zh"] or clean["body_en"]):
        errors["body_zh"] = _("Write the announcement in Chinese, English or both.")
    ids = sorted(set(data.proposal_ids))
    found = Proposal.query.filter(Proposal.id.in_(ids), Proposal.hidden_at.is_(None)).all() if ids else []
    missing = sorted(set(ids) - {p.id for p in found})
    if not ids:
        errors["proposal_ids"] = _("Name at least one proposal this announcement answers.")
    elif missing:
        errors["proposal_ids"] = _("No such proposal: %(ids)s", ids=", ".join(f"#{i}" for i in missing))
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), errors)
    return clean, sorted(found, key=lambda p: p.id)


def post_announcement(actor, data: AnnouncementInput, now: datetime | None = None) -> Announcement:
    """Publish an announcement answering ``data.proposal_ids`` (visible proposals); each gets an
    ``announcement`` milestone linking back. One transaction; audited; commits.

    Raises PermissionDenied (not a moderator), ValidationError (fields; hidden or missing proposals).
    """
    now = now or utcnow()
    if not can_manage(actor):
        raise PermissionDenied(_("Only moderators post announcements."))
    clean, proposals = _validate(data)
    item = Announcement(**clean, body_zh_html=render_markdown(clean["body_zh"] or ""),
                        body_en_html=render_markdown(clean["body_en"] or ""), author_id=actor.id, published_at=now)
    title_zh, title_en = clean["title_zh"] or clean["title_en"], clean["title_en"] or clean["title_zh"]
    try:
        db.session.add(item)
        db.session.flush()
        for proposal in proposals:
            milestone = add_milestone(proposal, "announcement", actor=actor, occurred_at=now,
                                      text_zh=f"官方回应：{title_zh}", text_en=f"Official announcement: {title_en}")
            db.session.add(AnnouncementAnswer(announcement_id=item.id, proposal_id=proposal.id,
                                              milestone_id=milestone.id))
        audit.record(actor, "announcement.post", "announcement", item.id, None,
                     {"proposal_ids": [p.id for p in proposals], "title": title_en})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return item


def get_announcement(announcement_id: int) -> Announcement:
    item = db.session.get(Announcement, announcement_id)
    if item is None:
        raise NotFound(_("No such announcement."))
    return item


def answered(item: Announcement) -> list[Proposal]:
    """The proposals an announcement answers that a visitor may see (hidden ones never leak)."""
    return [a.proposal for a in item.answers if a.proposal.hidden_at is None]


def list_page(after: list | None = None, limit: int = PER_PAGE) -> tuple[list[Announcement], list | None]:
    """Newest first, keyset-paged by (published_at, id). Returns (items, next cursor or None); InvalidCursor
    when ``after`` is not such a cursor."""
    q = Announcement.query
    if after is not None:
        at, last_id = cursor_values(after, "instant", "int")
        q = q.filter(or_(Announcement.published_at < at,
                         (Announcement.published_at == at) & (Announcement.id < last_id)))
    rows = q.order_by(Announcement.published_at.desc(), Announcement.id.desc()).limit(limit + 1).all()
    items = rows[:limit]
    cursor = [items[-1].published_at.isoformat(), items[-1].id] if len(rows) > limit else None
    return items, cursor


def for_proposal(proposal_id: int) -> list[Announcement]:
    return (Announcement.query.join(AnnouncementAnswer, AnnouncementAnswer.announcement_id == Announcement.id)
            .filter(AnnouncementAnswer.proposal_id == proposal_id)
            .order_by(Announcement.published_at.desc(), Announcement.id.desc()).all())


def announcement_of_milestone(milestone_id: int) -> int | None:
    return db.session.scalar(db.select(AnnouncementAnswer.announcement_id)
                             .where(AnnouncementAnswer.milestone_id == milestone_id))
