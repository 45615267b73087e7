"""Council sessions: schedule, agenda, attendees, minutes, decisions, and publishing.

Publishing is one unit of work: the session flips draft -> published (a conditional UPDATE, so it
happens once), every agenda proposal gets a ``council_session`` milestone, and decisions that move a
proposal go through ``proposals.service.change_status`` (the moderator's rule, written once).
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from community.accounts.models import User
from community.audit import service as audit
from community.council.models import DECISIONS, AgendaItem, CouncilSession
from community.council.service import can_see_internal
from community.dbtypes import utcnow
from community.errors import Conflict, NotFound, PermissionDenied, ValidationError
from community.extensions import db
from community.proposals import service as proposals
from community.proposals.models import Proposal
from community.text import render_markdown
from community.timeline.service import BACKDATE_GRACE, add_milestone
from community.util import cursor_values

MAX_MINUTES = 50_000
# Milestones carry their own zh and en text; these are the decision words used in them.
DECISION_WORDS = {"accept": ("通过", "accepted"), "decline": ("不予采纳", "declined"),
                  "needs_info": ("需要补充信息", "needs more information"),
                  "commitment": ("公司作出承诺", "company commitment")}
BACKDATE_REASON = "会后发布会议纪要 / minutes published after the session"


def can_manage(user) -> bool:
    """Scheduling, minutes, decisions and publishing are the moderators' (the company side's) job."""
    return proposals.can_moderate(user)


def status_steps(status: str, decision: str) -> list[str]:
    """The statuses a decision walks a proposal through, one allowed transition at a time.

    accept: to ``accepted`` via ``under_review``; decline: to ``declined`` from any open status;
    needs_info / commitment: a ``submitted`` proposal is now ``under_review``. Otherwise no change.
    """
    if decision == "accept":
        return {"submitted": ["under_review", "accepted"], "under_review": ["accepted"]}.get(status, [])
    if decision == "decline":
        return ["declined"] if status in ("submitted", "under_review", "accepted", "in_progress") else []
    return ["under_review"] if status == "submitted" else []


def _check_fields(title: str, starts_at: datetime | None, place: str | None, online_url: str | None) -> dict:
    errors = {}
    if not title or len(title) > 120:
        errors["title"] = _("A title of at most 120 characters is required.")
    if starts_at is None:
        errors["starts_at"] = _("Give the date and time.")
    if not place and not online_url:
        errors["place"] = _("Give a place, an online link, or both.")
    if online_url and not online_url.startswith(("https://", "http://")):
        errors["online_url"] = _("An online link starts with https://.")
    return errors


def create_session(actor, title: str, starts_at: datetime | None, place: str | None = None,
                   online_url: str | None = None, guests: str | None = None) -> CouncilSession:
    """Schedule a draft session. ``starts_at`` is an aware instant. Raises PermissionDenied/ValidationError."""
    if not can_manage(actor):
        raise PermissionDenied(_("Only moderators schedule council sessions."))
    title, place, online_url = (title or "").strip(), (place or "").strip() or None, (online_url or "").strip() or None
    errors = _check_fields(title, starts_at, place, online_url)
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), errors)
    session = CouncilSession(title=title, starts_at=starts_at, place=place, online_url=online_url,
                             guests=(guests or "").strip()[:500] or None, created_by_id=actor.id)
    db.session.add(session)
    db.session.flush()
    audit.record(actor, "council.session_create", "council_session", session.id, None,
                 {"title": title, "starts_at": starts_at.isoformat()})
    db.session.commit()
    return session


def update_session(actor, session: CouncilSession, *, title: str, starts_at: datetime | None, place: str | None,
                   online_url: str | None, guests: str | None, minutes: str, attendee_ids: list[int]) -> None:
    """Edit details, minutes (Markdown, sanitised) and attendees. After publishing only minutes and
    attendees may change (the date is on the public timelines). Audited; commits."""
    if not can_manage(actor):
        raise PermissionDenied(_("Only moderators edit council sessions."))
    title, place, online_url = (title or "").strip(), (place or "").strip() or None, (online_url or "").strip() or None
    errors = _check_fields(title, starts_at, place, online_url)
    minutes = (minutes or "").strip()
    if len(minutes) > MAX_MINUTES:
        errors["minutes"] = _("At most %(n)d characters.", n=MAX_MINUTES)
    if session.is_published and starts_at != session.starts_at:
        errors["starts_at"] = _("A published session keeps its date.")
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), errors)
    before = {"title": session.title, "starts_at": session.starts_at.isoformat(),
              "attendees": sorted(u.id for u in session.attendees), "minutes_chars": len(session.minutes)}
    users = db.session.scalars(select(User).where(User.id.in_(set(attendee_ids)))).all() if attendee_ids else []
    session.title, session.starts_at, session.place, session.online_url = title, starts_at, place, online_url
    session.guests = (guests or "").strip()[:500] or None
    session.minutes, session.minutes_html = minutes, render_markdown(minutes)
    session.attendees = list(users)
    audit.record(actor, "council.session_update", "council_session", session.id, before,
                 {"title": title, "starts_at": starts_at.isoformat(), "attendees": sorted(u.id for u in users),
                  "minutes_chars": len(minutes)})
    db.session.commit()


def get_session(viewer, session_id: int) -> CouncilSession:
    """A session; drafts exist only for council members and moderators (NotFound for everyone else)."""
    session = db.session.get(CouncilSession, session_id)
    if session is None or (not session.is_published and not can_see_internal(viewer)):
        raise NotFound(_("No such council session."))
    return session


def list_sessions(viewer, limit: int = 100) -> list[CouncilSession]:
    """Newest first; drafts only for council members and moderators."""
    q = CouncilSession.query
    if not can_see_internal(viewer):
        q = q.filter(CouncilSession.state == "published")
    return q.order_by(CouncilSession.starts_at.desc(), CouncilSession.id.desc()).limit(limit).all()


def draft_sessions() -> list[CouncilSession]:
    return (CouncilSession.query.filter_by(state="draft")
            .order_by(CouncilSession.starts_at, CouncilSession.id).all())


def public_items(session: CouncilSession) -> list[AgendaItem]:
    """Agenda items whose proposal is still visible (a hidden proposal leaves the public page too)."""
    return [i for i in session.items if i.proposal.hidden_at is None]


def add_to_agenda(actor, session: CouncilSession, proposal: Proposal) -> AgendaItem:
    """Put a visible, open proposal on a draft session's agenda (council members and moderators).

    Raises PermissionDenied, Conflict (published session, or already on this agenda: the unique
    constraint decides), ValidationError (closed or merged proposal). Audited; commits.
    """
    if not can_see_internal(actor):
        raise PermissionDenied(_("Only council members and moderators set the agenda."))
    if session.is_published:
        raise Conflict(_("This session is published; its agenda is closed."))
    if proposal.hidden_at is not None or proposal.status == "merged" or not proposal.is_open:
        raise ValidationError(_("Only open, visible proposals go on the agenda."),
                              {"proposal_id": _("Not an open proposal.")})
    position = select(func.coalesce(func.max(AgendaItem.position), 0) + 1).where(
        AgendaItem.session_id == session.id).scalar_subquery()
    item = AgendaItem(session_id=session.id, proposal_id=proposal.id, position=position, added_by_id=actor.id)
    db.session.add(item)
    try:
        db.session.flush()
    except Exception as exc:  # IntegrityError from the unique (session, proposal) constraint
        db.session.rollback()
        raise Conflict(_("This proposal is already on the agenda.")) from exc
    audit.record(actor, "council.agenda_add", "council_session", session.id, None, {"proposal_id": proposal.id})
    db.session.commit()
    db.session.refresh(session)
    return item


def get_item(session: CouncilSession, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.session_id != session.id:
        raise NotFound(_("No such agenda item."))
    return item


def remove_from_agenda(actor, item: AgendaItem) -> None:
    """Take an item off a draft agenda (a mistake, not moderation of content). Audited; commits."""
    if not can_manage(actor):
        raise PermissionDenied(_("Only moderators edit the agenda."))
    session = item.session
    if session.is_published:
        raise Conflict(_("This session is published; its agenda is closed."))
    audit.record(actor, "council.agenda_remove", "council_session", session.id,
                 {"proposal_id": item.proposal_id, "decision": item.decision}, None)
    db.session.delete(item)
    db.session.commit()


def decide(actor, item: AgendaItem, decision: str, text: str) -> AgendaItem:
    """Record the decision on a draft session's agenda item; it takes effect when the session is published.

    Raises PermissionDenied, Conflict (published), ValidationError (unknown decision, no text, or a
    decision the proposal's status cannot take, e.g. accept on a declined proposal). Audited; commits.
    """
    if not can_manage(actor):
        raise PermissionDenied(_("Only moderators record council decisions."))
    if item.session.is_published:
        raise Conflict(_("This session is published; its decisions are final."))
    text = (text or "").strip()
    errors = {}
    if decision not in DECISIONS:
        errors["decision"] = _("Choose a decision.")
    if not text or len(text) > 5000:
        errors["text"] = _("Explain the decision (1 to 5000 characters).")
    status = item.proposal.status
    if (decision == "accept" and status in ("declined", "merged")) or \
            (decision == "decline" and not status_steps(status, decision)):
        errors["decision"] = _("A proposal in status %(s)s cannot take this decision.", s=item.proposal.status_label)
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), errors)
    before = {"decision": item.decision}
    item.decision, item.decision_text = decision, text
    audit.record(actor, "council.decide", "council_session", item.session_id, before,
                 {"proposal_id": item.proposal_id, "decision": decision}, text)
    db.session.commit()
    return item


def publish(actor, session: CouncilSession) -> CouncilSession:
    """Publish a held session: milestones on every agenda proposal and the status changes its decisions imply.

    Raises PermissionDenied, ValidationError (empty agenda, an undecided item, a session in the future),
    Conflict (already published, or a proposal's status moved meanwhile). All or nothing; commits.
    """
    if not can_manage(actor):
        raise PermissionDenied(_("Only moderators publish council sessions."))
    now = utcnow()
    if session.starts_at > now:
        raise ValidationError(_("A session can be published once it has taken place."))
    if not session.items:
        raise ValidationError(_("Put at least one proposal on the agenda first."))
    if any(not i.decision for i in session.items):
        raise ValidationError(_("Record a decision for every agenda item first."))
    reason = BACKDATE_REASON if session.starts_at < now - BACKDATE_GRACE else None
    try:
        flipped = db.session.execute(
            update(CouncilSession).where(CouncilSession.id == session.id, CouncilSession.state == "draft")
            .values(state="published", published_at=now).execution_options(synchronize_session=False)).rowcount
        if flipped != 1:
            raise Conflict(_("This session is already published."))
        where = session.place or _("online")
        for item in session.items:
            proposal = item.proposal
            zh, en = DECISION_WORDS[item.decision]
            add_milestone(proposal, "council_session", actor=actor, occurred_at=session.starts_at,
                          backdate_reason=reason,
                          text_zh=f"{session.title}（{where}）决定：{zh}。{item.decision_text}",
                          text_en=f"{session.title} ({where}) decision: {en}. {item.decision_text}")
            for step in status_steps(proposal.status, item.decision):
                proposals.change_status(proposal, step, actor, note_zh=f"理事会决定：{zh}。",
                                        note_en=f"Council decision: {en}.", occurred_at=session.starts_at,
                                        backdate_reason=reason, commit=False)
        audit.record(actor, "council.publish", "council_session", session.id, {"state": "draft"},
                     {"state": "published", "decisions": {str(i.proposal_id): i.decision for i in session.items}})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    db.session.refresh(session)
    return session


def sessions_for_proposal(proposal_id: int) -> list[CouncilSession]:
    """Published sessions that had this proposal on their agenda, newest first."""
    return (CouncilSession.query.join(AgendaItem, AgendaItem.session_id == CouncilSession.id)
            .filter(AgendaItem.proposal_id == proposal_id, CouncilSession.state == "published")
            .order_by(CouncilSession.starts_at.desc()).all())



def public_decisions(proposal_id: int | None = None, after: list | None = None,
                     limit: int = 30) -> tuple[list[AgendaItem], list | None]:
    """Decided agenda items of published sessions whose proposal is visible, newest session first,
    keyset-paged by (session starts_at, item id). ``after``: the previous page's cursor values (InvalidCursor
    when malformed). Returns (items, next cursor values or None)."""
    q = (AgendaItem.query.join(CouncilSession, CouncilSession.id == AgendaItem.session_id)
         .join(Proposal, Proposal.id == AgendaItem.proposal_id)
         .filter(CouncilSession.state == "published", AgendaItem.decision.is_not(None), Proposal.hidden_at.is_(None)))
    if proposal_id is not None:
        q = q.filter(AgendaItem.proposal_id == proposal_id)
    if after is not None:
        at, last_id = cursor_values(after, "instant", "int")
        q = q.filter((CouncilSession.starts_at < at)
                     | ((CouncilSession.starts_at == at) & (AgendaItem.id < last_id)))
    rows = q.order_by(CouncilSession.starts_at.desc(), AgendaItem.id.desc()).limit(limit + 1).all()
    items = rows[:limit]
    cursor = [items[-1].session.starts_at.isoformat(), items[-1].id] if len(rows) > limit else None
    return items, cursor
