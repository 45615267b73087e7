"""Feedback rules: submit and route, triage, the agents' state machine, reassignment, and the SLA sweep.

State machine: new -> acknowledged (first public reply) -> in_progress -> resolved (resolution note).
Any open item may be reassigned to another team; every human choice of team is a RoutingCorrection.
SLA due instants are the submission instant plus the team's promised hours (pure UTC arithmetic).
Each write commits its own unit of work; transitions are conditional UPDATEs, so two agents clicking
at once cannot both succeed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update

from community import events, metrics
from community.audit import service as audit
from community.dbtypes import utcnow
from community.errors import Conflict, NotFound, PermissionDenied, ValidationError
from community.extensions import db
from community.feedback import routing_service
from community.feedback.models import CHANNELS, MAX_TEXT, STATUSES, FeedbackItem, FeedbackReply, RoutingCorrection
from community.notifications import service as notifications
from community.pledge import service as pledge
from community.pledge.models import Team
from community.util import cursor_values

OPEN = ("new", "acknowledged", "in_progress")
MAX_REPLY = 5000


# ---- permissions (one predicate for views, services and templates) ----

def item_link(item_id: int) -> str:
    """The item's page, as a site-relative path (usable from the CLI, where there is no request)."""
    return f"/feedback/{item_id}"


def is_moderator(user) -> bool:
    return bool(user and getattr(user, "is_authenticated", False) and user.has_role("moderator"))


def can_view(user, item: FeedbackItem) -> bool:
    """The author, the agents of the item's team, and moderators; a hidden item only moderators."""
    if not (user and getattr(user, "is_authenticated", False)):
        return False
    if is_moderator(user):
        return True
    return item.hidden_at is None and (item.author_id == user.id or pledge.is_agent_of(user, item.team_id))


def author_named_to(user, item: FeedbackItem) -> bool:
    """Whether ``user`` may see who wrote the item. Mystery shoppers stay anonymous to the teams whose
    stores they visit (only moderators see their names); other authors are named to staff."""
    if item.author is None or is_moderator(user) or item.author_id == getattr(user, "id", None):
        return item.author is not None
    return not item.author.has_role("mystery_shopper")


def can_work(user, item: FeedbackItem) -> bool:
    """Reply, start, resolve: only agents of the item's current team."""
    return pledge.is_agent_of(user, item.team_id)


def can_reassign(user, item: FeedbackItem) -> bool:
    return item.team_id is not None and (can_work(user, item) or is_moderator(user))


def get_item(item_id: int) -> FeedbackItem:
    item = db.session.get(FeedbackItem, item_id)
    if item is None:
        raise NotFound(_("No such feedback."))
    return item


def get_viewable(item_id: int, user) -> FeedbackItem:
    """The item if ``user`` may see it; NotFound otherwise (so ids of others' feedback reveal nothing)."""
    item = get_item(item_id)
    if not can_view(user, item):
        raise NotFound(_("No such feedback."))
    return item


# ---- SLA arithmetic ----

def due_times(created_at: datetime, team: Team | None) -> tuple[datetime, datetime]:
    """(first-response due, resolution due): ``created_at`` (aware UTC) plus the team's promised hours."""
    first_hours, resolution_hours = pledge.sla_hours(team)
    return created_at + timedelta(hours=first_hours), created_at + timedelta(hours=resolution_hours)


def _next_due(status: str, first_due: datetime | None, resolution_due: datetime | None) -> datetime | None:
    return first_due if status == "new" else None if status == "resolved" else resolution_due


# ---- submit ----

def submit(author, text: str, channel: str, vehicle_id: int | None = None, contact: str | None = None,
           now: datetime | None = None, routing: routing_service.Routing | None = None) -> FeedbackItem:
    """Store feedback and route it at once; commits. Returns the item (``team`` None = triage).

    ``author`` None means anonymous: ``contact`` (phone or e-mail, <= 200 chars) is then required.
    ``vehicle_id`` must be one of the author's own vehicles. Raises ValidationError with form field
    names. Routing never raises: a missing, broken or unsure model leaves the item in triage.
    ``routing`` replaces the router's answer (demo data); ``now`` is the submission instant (default: now).
    """
    text, contact = (text or "").strip(), (contact or "").strip() or None
    authed = bool(author and getattr(author, "is_authenticated", False))
    errors = {}
    if not text:
        errors["text"] = _("Tell us what happened.")
    elif len(text) > MAX_TEXT:
        errors["text"] = _("At most %(n)d characters.", n=MAX_TEXT)
    if channel not in CHANNELS:
        errors["channel"] = _("Choose a channel.")
    if not authed and not contact:
        errors["contact"] = _("Leave a phone number or e-mail so we can answer you.")
    elif contact and len(contact) > 200:
        errors["contact"] = _("At most %(n)d characters.", n=200)
    if vehicle_id is not None and not (authed and any(v.id == vehicle_id for v in author.vehicles)):
        errors["vehicle_id"] = _("Choose one of your own vehicles.")
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), errors)

    routing = routing or routing_service.route(text)
    team = pledge.team_by_slug(routing.team)
    now = now or utcnow()
    note = routing.note if team or not routing.team else "team not active"
    first_due, resolution_due = due_times(now, team)
    item = FeedbackItem(author_id=author.id if authed else None, contact=contact, text=text, channel=channel,
                        vehicle_id=vehicle_id, status="new", team_id=team.id if team else None,
                        routed_by="model" if team else None,
                        model_team=routing.top3[0][0] if routing.top3 else routing.team,
                        model_confidence=routing.confidence, model_top3=[list(t) for t in routing.top3],
                        model_version=routing.version, routing_note=note, created_at=now,
                        assigned_at=now if team else None, first_response_due_at=first_due,
                        resolution_due_at=resolution_due, next_due_at=first_due, updated_at=now)
    db.session.add(item)
    db.session.flush()
    events.emit("feedback.created", item)
    if team:
        events.emit("feedback.routed", item)
    db.session.commit()
    metrics.record_feedback(routed=team is not None)
    return item


# ---- reading ----

# Hidden items (moderation) leave every list, queue, count and the training data.
VISIBLE = FeedbackItem.hidden_at.is_(None)


def set_hidden(item: FeedbackItem, hidden: bool) -> bool:
    """Hide or restore an item for moderation; False when it already was in that state. The UPDATE is
    conditional on the current state, so two moderators acting at once change it once. Does not commit
    (moderation writes its audit entry and commits the unit of work)."""
    cond = FeedbackItem.hidden_at.is_(None) if hidden else FeedbackItem.hidden_at.is_not(None)
    changed = db.session.execute(update(FeedbackItem).where(FeedbackItem.id == item.id, cond)
                                 .values(hidden_at=utcnow() if hidden else None)
                                 .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(item)
    return bool(changed)


@dataclass
class QueuePage:
    items: list[FeedbackItem]
    next_cursor: list | None


def my_items(user, limit: int = 50) -> list[FeedbackItem]:
    """The author's own feedback, newest first."""
    return list(db.session.scalars(select(FeedbackItem).where(FeedbackItem.author_id == user.id, VISIBLE)
                                   .order_by(FeedbackItem.created_at.desc(), FeedbackItem.id.desc())
                                   .limit(limit)))


def _keyset(query, key, after: list | None):
    if after is not None:
        value, last_id = cursor_values(after, "instant", "int")
        query = query.where(or_(key > value, and_(key == value, FeedbackItem.id > last_id)))
    return query


def _page(query, key, attr: str, limit: int) -> QueuePage:
    rows = list(db.session.scalars(query.order_by(key, FeedbackItem.id).limit(limit + 1)))
    items = rows[:limit]
    cursor = None
    if len(rows) > limit:
        cursor = [getattr(items[-1], attr).isoformat(), items[-1].id]
    return QueuePage(items, cursor)


def team_queue(team: Team, after: list | None = None, limit: int = 50) -> QueuePage:
    """A team's open items, soonest due first (the due instant of each item's next promise)."""
    query = select(FeedbackItem).where(FeedbackItem.team_id == team.id, FeedbackItem.status.in_(OPEN), VISIBLE)
    return _page(_keyset(query, FeedbackItem.next_due_at, after), FeedbackItem.next_due_at, "next_due_at", limit)


def triage_queue(after: list | None = None, limit: int = 50) -> QueuePage:
    """Items no team owns yet, oldest first."""
    query = select(FeedbackItem).where(FeedbackItem.team_id.is_(None), VISIBLE)
    return _page(_keyset(query, FeedbackItem.created_at, after), FeedbackItem.created_at, "created_at", limit)


def recent_breaches(now: datetime | None = None, days: int = 7, limit: int = 50) -> list[FeedbackItem]:
    """Unresolved items the sweep marked as breached in the last ``days`` days, newest breach first."""
    since = (now or utcnow()) - timedelta(days=days)
    marked = db.func.coalesce(FeedbackItem.resolution_breached_at, FeedbackItem.first_response_breached_at)
    return list(db.session.scalars(select(FeedbackItem)
                                   .where(FeedbackItem.status != "resolved", marked >= since, VISIBLE)
                                   .order_by(marked.desc(), FeedbackItem.id.desc()).limit(limit)))


def corrections_for(item: FeedbackItem) -> list[RoutingCorrection]:
    return list(db.session.scalars(select(RoutingCorrection).where(RoutingCorrection.feedback_id == item.id)
                                   .order_by(RoutingCorrection.id)))


def training_examples() -> list[tuple[str, str]]:
    """(text, team slug): the router's training labels from the app, one per item.

    Every item a person routed, with its latest human label (triage assignments and reassignments), and
    every item the router routed whose team then answered it without moving it (a reply is the team's
    confirmation: had it not been theirs, they would have reassigned it). Hidden items are left out."""
    latest = (select(RoutingCorrection.feedback_id, db.func.max(RoutingCorrection.id).label("cid"))
              .group_by(RoutingCorrection.feedback_id).subquery())
    rows = db.session.execute(select(FeedbackItem.text, RoutingCorrection.to_team)
                              .join(latest, latest.c.feedback_id == FeedbackItem.id)
                              .join(RoutingCorrection, RoutingCorrection.id == latest.c.cid)
                              .where(VISIBLE))
    confirmed = db.session.execute(select(FeedbackItem.text, Team.slug).join(Team, Team.id == FeedbackItem.team_id)
                                   .where(FeedbackItem.routed_by == "model",
                                          FeedbackItem.first_responded_at.is_not(None), VISIBLE))
    return [(text, team) for text, team in rows] + [(text, team) for text, team in confirmed]


# ---- team assignment ----

def _target_team(slug: str) -> Team:
    team = pledge.team_by_slug(slug)
    if team is None:
        raise ValidationError(_("Choose an active team."), {"team": _("Choose an active team.")})
    return team


def _set_team(item: FeedbackItem, team: Team, actor, kind: str, now: datetime) -> None:
    """Move ``item`` to ``team`` if it is still where the caller saw it; label it; audit it. Commits."""
    from_team = item.team.slug if item.team else None
    first_due, resolution_due = due_times(item.created_at, team)
    where = [FeedbackItem.id == item.id, FeedbackItem.status.in_(OPEN)]
    where.append(FeedbackItem.team_id.is_(None) if kind == "triage" else FeedbackItem.team_id == item.team_id)
    moved = db.session.execute(
        update(FeedbackItem).where(*where).values(
            team_id=team.id, routed_by="moderator" if kind == "triage" else "agent", assigned_at=now,
            first_response_due_at=first_due, resolution_due_at=resolution_due,
            next_due_at=_next_due(item.status, first_due, resolution_due), updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        db.session.rollback()
        raise Conflict(_("Someone else has routed this feedback in the meantime; reload the page."))
    db.session.add(RoutingCorrection(feedback_id=item.id, kind=kind, from_team=from_team, to_team=team.slug,
                                     model_team=item.model_team, model_version=item.model_version,
                                     actor_id=actor.id, created_at=now))
    audit.record(actor, f"feedback.{kind}", "feedback", item.id, {"team": from_team}, {"team": team.slug})
    db.session.flush()
    db.session.refresh(item)  # the UPDATE went around the session: the event shows the new team
    events.emit("feedback.routed", item)
    db.session.commit()


def assign_from_triage(item: FeedbackItem, team_slug: str, actor, now: datetime | None = None) -> FeedbackItem:
    """A moderator gives a triage item its team. Raises PermissionDenied, ValidationError (unknown or
    inactive team), Conflict (no longer in triage)."""
    if not is_moderator(actor):
        raise PermissionDenied(_("Only moderators work the triage queue."))
    team = _target_team(team_slug)
    if item.team_id is not None:
        raise Conflict(_("This feedback already has a team."))
    _set_team(item, team, actor, "triage", now or utcnow())
    return item


def reassign(item: FeedbackItem, team_slug: str, actor, now: datetime | None = None) -> FeedbackItem:
    """Send an open item to another team (an agent of its team, or a moderator); the correction is kept
    as a training label. Due instants are recomputed with the new team's SLA from submission.
    Raises PermissionDenied, ValidationError (same, unknown or inactive team), Conflict (resolved, moved)."""
    if not can_reassign(actor, item):
        raise PermissionDenied(_("Only this team's agents or a moderator can reassign it."))
    team = _target_team(team_slug)
    if team.id == item.team_id:
        raise ValidationError(_("It is already with that team."), {"team": _("Choose another team.")})
    if item.status == "resolved":
        raise Conflict(_("Resolved feedback cannot be reassigned."))
    _set_team(item, team, actor, "reassign", now or utcnow())
    return item


# ---- the agents' state machine ----

def _require_agent(actor, item: FeedbackItem) -> None:
    if not can_work(actor, item):
        raise PermissionDenied(_("Only agents of this feedback's team can work on it."))


def reply(item: FeedbackItem, actor, body: str, now: datetime | None = None) -> FeedbackReply:
    """A public reply to the author; the first one acknowledges a new item (and meets or misses its
    first-response SLA). Raises PermissionDenied, ValidationError (empty or too long)."""
    _require_agent(actor, item)
    body = (body or "").strip()
    if not body or len(body) > MAX_REPLY:
        raise ValidationError(_("Write a reply of at most %(n)d characters.", n=MAX_REPLY),
                              {"body": _("Write a reply of at most %(n)d characters.", n=MAX_REPLY)})
    now = now or utcnow()
    answer = FeedbackReply(feedback_id=item.id, author_id=actor.id, body=body, created_at=now)
    db.session.add(answer)
    acknowledged = db.session.execute(
        update(FeedbackItem).where(FeedbackItem.id == item.id, FeedbackItem.status == "new")
        .values(status="acknowledged", first_responded_at=now, next_due_at=FeedbackItem.resolution_due_at,
                updated_at=now).execution_options(synchronize_session=False)).rowcount
    if acknowledged:
        audit.record(actor, "feedback.acknowledge", "feedback", item.id, {"status": "new"},
                     {"status": "acknowledged"})
    if item.author_id is not None:
        notifications.notify_user(item.author_id, "feedback_reply", body[:200], body[:200],
                                  item_link(item.id))
    db.session.flush()
    db.session.refresh(item)
    events.emit("feedback.answered", item)
    db.session.commit()
    return answer


def _transition(item: FeedbackItem, actor, before: str, after: str, now: datetime, **values) -> None:
    _require_agent(actor, item)
    changed = db.session.execute(
        update(FeedbackItem).where(FeedbackItem.id == item.id, FeedbackItem.status == before,
                                   FeedbackItem.team_id == item.team_id)
        .values(status=after, updated_at=now, **values).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        db.session.rollback()
        raise Conflict(_("This feedback is no longer “%(s)s”; reload the page.", s=STATUSES[before]))
    audit.record(actor, f"feedback.{after}", "feedback", item.id, {"status": before}, {"status": after})
    db.session.commit()


def start(item: FeedbackItem, actor, now: datetime | None = None) -> FeedbackItem:
    """acknowledged -> in_progress. Raises PermissionDenied, Conflict (not acknowledged)."""
    now = now or utcnow()
    _transition(item, actor, "acknowledged", "in_progress", now, started_at=now)
    return item


def resolve(item: FeedbackItem, actor, note: str, now: datetime | None = None) -> FeedbackItem:
    """in_progress -> resolved with a public resolution note. Raises PermissionDenied,
    ValidationError (empty note), Conflict (not in progress)."""
    note = (note or "").strip()
    if not note or len(note) > MAX_REPLY:
        _require_agent(actor, item)
        raise ValidationError(_("Say how it was resolved."), {"note": _("Say how it was resolved.")})
    now = now or utcnow()
    _transition(item, actor, "in_progress", "resolved", now, resolved_at=now, resolution_note=note,
                next_due_at=None)
    return item
