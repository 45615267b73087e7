"""Notification rules: follow, emit events, fan them out in batches, read, settings, digests.

Emitting is cheap and happens inside the caller's transaction (an Event row). Fan-out turns an
event into one Notification per follower in keyset batches of ``BATCH`` followers, always in a job
(``community.jobs``): a request enqueues ``fan_out_events`` for what it emitted (``after_request``),
and the ``notifications-fan-out`` job (every minute; ``flask notifications fan-out`` by hand) finishes
whatever is pending, so a proposal with 100k followers never holds up the request that moved it.
"""
from __future__ import annotations

import functools
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, g, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, insert, select, update

from community.accounts.models import user_fact
from community.dbtypes import utcnow
from community.errors import ValidationError
from community.extensions import db
from community.notifications.models import (
    CHANNELS,
    DEFAULT_CHANNEL,
    KINDS,
    Event,
    Follow,
    Notification,
    NotificationSetting,
    OutboxEmail,
)
from community.urls import absolute, public_url
from community.util import one_language

BATCH = 2000
MILESTONE_KINDS = {"status_change": "status_change", "council_session": "council_decision",
                   "campaign_opened": "campaign_opened", "campaign_closed": "campaign_closed"}


# ---- follows ----

def follow(user, proposal_id: int) -> None:
    """Follow a proposal (idempotent; no commit: it rides on the caller's transaction). One statement: an
    insert that does nothing when the row exists (SQLite and PostgreSQL both say ON CONFLICT DO NOTHING)."""
    dialect = db.session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        if db.session.get(Follow, (user.id, proposal_id)) is None:
            db.session.add(Follow(user_id=user.id, proposal_id=proposal_id))
            db.session.flush()
        return
    db.session.execute(_follow_upsert(dialect), {"user_id": user.id, "proposal_id": proposal_id, "now": utcnow()})


@functools.cache
def _follow_upsert(dialect: str):
    """Built once per dialect, with bound parameters (values in the statement made a new cache key per vote).
    On the table, not the class: the ORM's bulk-insert planning cost more than the statement."""
    from sqlalchemy.dialects import postgresql, sqlite

    make = sqlite.insert if dialect == "sqlite" else postgresql.insert
    return (make(Follow.__table__).values(user_id=bindparam("user_id"), proposal_id=bindparam("proposal_id"),
                                             created_at=bindparam("now")).on_conflict_do_nothing())


def unfollow(user, proposal_id: int) -> None:
    """Stop following (idempotent). Commits."""
    db.session.query(Follow).filter_by(user_id=user.id, proposal_id=proposal_id).delete()
    db.session.commit()


def set_following(user, proposal_id: int, on: bool) -> None:
    if on:
        follow(user, proposal_id)
        db.session.commit()
    else:
        unfollow(user, proposal_id)


def is_following(user, proposal_id: int) -> bool:
    if not (user and user.is_authenticated):
        return False
    return user_fact(user, f"following:{proposal_id}",
                     lambda: db.session.get(Follow, (user.id, proposal_id)) is not None)


def follower_count(proposal_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Follow).where(Follow.proposal_id == proposal_id))


# ---- emitting ----

def _queue(event: Event) -> Event:
    db.session.add(event)
    db.session.flush()
    if has_request_context():
        g.setdefault("pending_notification_events", []).append(event.id)
    return event


def on_milestone(milestone, actor=None) -> Event:
    """Emit the event for a new public milestone (no commit). Called by timeline.add_milestone."""
    kind = MILESTONE_KINDS.get(milestone.kind, "milestone")
    return _queue(Event(kind=kind, proposal_id=milestone.proposal_id, milestone_id=milestone.id,
                        actor_id=getattr(actor, "id", None), text_zh=milestone.text_zh, text_en=milestone.text_en))


def notify_proposal_followers(kind: str, proposal_id: int, text_zh: str | None, text_en: str | None,
                              actor=None) -> Event:
    """Emit a proposal event that is not a milestone (e.g. campaign closing soon). No commit."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    return _queue(Event(kind=kind, proposal_id=proposal_id, actor_id=getattr(actor, "id", None), text_zh=text_zh,
                        text_en=text_en))


def notify_user(user_id: int, kind: str, text_zh: str | None, text_en: str | None, link: str | None = None) -> Event:
    """Emit a personal event (reply to my feedback, my SLA breached). No commit."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    return _queue(Event(kind=kind, user_id=user_id, text_zh=text_zh, text_en=text_en, link=link))


def on_domain_event(event_type: str, obj) -> None:
    """``community.events`` listener: tell an owner that a moderator verified or rejected their car (no
    commit; the notification rides on the review's transaction). Both languages are written, so the
    in-app line and the digest read in the owner's language whatever the moderator's."""
    if event_type not in ("vehicle.verified", "vehicle.rejected"):
        return
    vehicle = obj
    car = f"{vehicle.model} · {vehicle.model_year} · {vehicle.masked_vin}"
    texts = {}
    for lang in ("zh", "en"):
        with force_locale(lang):
            if event_type == "vehicle.verified":
                texts[lang] = _("Your car %(car)s is verified: you can propose, vote and pledge.", car=car)
            else:
                texts[lang] = _("Your car %(car)s was not verified. Reason: %(reason)s You can upload new proof.",
                                car=car, reason=one_language(vehicle.reject_reason, lang))
    notify_user(vehicle.owner_id, "vehicle_review", texts["zh"], texts["en"], link="/vehicles")


# ---- fan-out ----

def _hidden(event: Event) -> bool:
    if event.proposal is not None and event.proposal.hidden_at is not None:
        return True
    return event.milestone is not None and event.milestone.hidden_at is not None


def _channels(user_ids: list[int], kind: str) -> dict[int, str]:
    rows = db.session.execute(select(NotificationSetting.user_id, NotificationSetting.channel)
                              .where(NotificationSetting.kind == kind, NotificationSetting.user_id.in_(user_ids)))
    return dict(rows.all())


def fan_out(event: Event, max_batches: int | None = None, batch: int | None = None) -> int:
    """Create notifications for ``event`` from where its cursor stands; returns how many. Commits per batch.

    Idempotent and safe to run twice at once: each batch moves the cursor with a conditional
    UPDATE, and a loser of that race rolls its batch back.
    """
    batch = batch or BATCH
    made, batches = 0, 0
    while event.fanned_out_at is None and (max_batches is None or batches < max_batches):
        batches += 1
        now = utcnow()
        if _hidden(event):
            recipients = []
        elif event.user_id is not None:
            recipients = [event.user_id] if event.fanout_cursor < event.user_id else []
        else:
            recipients = list(db.session.scalars(
                select(Follow.user_id).where(Follow.proposal_id == event.proposal_id,
                                             Follow.user_id > event.fanout_cursor)
                .order_by(Follow.user_id).limit(batch)))
        channels = _channels(recipients, event.kind) if recipients else {}
        rows = [{"user_id": uid, "event_id": event.id, "kind": event.kind, "created_at": now,
                 "channel": channels.get(uid, DEFAULT_CHANNEL)}
                for uid in recipients if uid != event.actor_id and channels.get(uid, DEFAULT_CHANNEL) != "off"]
        done = len(recipients) < batch or event.user_id is not None
        cursor = recipients[-1] if recipients else event.fanout_cursor
        moved = db.session.execute(
            update(Event).where(Event.id == event.id, Event.fanout_cursor == event.fanout_cursor,
                                Event.fanned_out_at.is_(None))
            .values(fanout_cursor=cursor, fanned_out_at=now if done else None)).rowcount
        if moved != 1:
            db.session.rollback()
            break
        if rows:
            db.session.execute(insert(Notification), rows)
        db.session.commit()
        db.session.refresh(event)
        made += len(rows)
    return made


def fan_out_pending(max_batches_per_event: int | None = None, limit: int = 1000) -> int:
    """Fan out every event not finished yet, oldest first; returns notifications created."""
    events = Event.query.filter(Event.fanned_out_at.is_(None)).order_by(Event.id).limit(limit).all()
    return sum(fan_out(e, max_batches_per_event) for e in events)


def fan_out_events(event_ids: list[int]) -> int:
    """The job a request enqueues for the events it emitted: fan each out completely; returns how many
    notifications were made. Idempotent (see ``fan_out``): an event already done is skipped."""
    events = Event.query.filter(Event.id.in_(list(event_ids)), Event.fanned_out_at.is_(None)).order_by(Event.id)
    return sum(fan_out(event) for event in events.all())


def fan_out_request_events(response):
    """after_request: enqueue the fan-out of the events this request emitted, never do it here. A worker runs
    it; without Redis it runs inline once the response is made. The minutely job catches anything missed."""
    ids = g.pop("pending_notification_events", None)
    if ids and response.status_code < 400:
        from community import jobs

        jobs.enqueue("community.notifications.service:fan_out_events", sorted(ids))
    return response


# ---- reading ----

def visible_select(stmt):
    """``_visible`` for a Core select of notifications (the unread count read with the user)."""
    from community.proposals.models import Proposal
    from community.timeline.models import Milestone

    return (stmt.join(Event, Event.id == Notification.event_id)
            .outerjoin(Proposal, Proposal.id == Event.proposal_id)
            .outerjoin(Milestone, Milestone.id == Event.milestone_id)
            .where(Proposal.hidden_at.is_(None), Milestone.hidden_at.is_(None)))


def _visible(query):
    from community.proposals.models import Proposal
    from community.timeline.models import Milestone

    return (query.join(Event, Event.id == Notification.event_id)
            .outerjoin(Proposal, Proposal.id == Event.proposal_id)
            .outerjoin(Milestone, Milestone.id == Event.milestone_id)
            .filter(Proposal.hidden_at.is_(None), Milestone.hidden_at.is_(None)))


def for_user(user, before_id: int | None = None, limit: int = 30) -> list[Notification]:
    """The user's in-app notifications, newest first, keyset-paged by id; hidden content left out."""
    q = _visible(Notification.query.filter(Notification.user_id == user.id, Notification.channel == "in_app"))
    if before_id:
        q = q.filter(Notification.id < before_id)
    return q.order_by(Notification.id.desc()).limit(limit).all()


def unread_count(user) -> int:
    q = _visible(db.session.query(func.count(Notification.id))
                 .filter(Notification.user_id == user.id, Notification.channel == "in_app",
                         Notification.read_at.is_(None)))
    return q.scalar() or 0


def mark_read(user, ids: list[int] | None = None) -> int:
    """Mark the given (or all) of the user's notifications read; returns how many changed. Commits."""
    q = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if ids is not None:
        q = q.where(Notification.id.in_(ids))
    changed = db.session.execute(q.values(read_at=utcnow())).rowcount
    db.session.commit()
    return changed


# ---- settings ----

def settings_for(user) -> dict[str, str]:
    """{kind: channel} for every kind, defaults filled in."""
    stored = dict(db.session.execute(select(NotificationSetting.kind, NotificationSetting.channel)
                                     .where(NotificationSetting.user_id == user.id)).all())
    return {kind: stored.get(kind, DEFAULT_CHANNEL) for kind in KINDS}


def save_settings(user, choices: dict[str, str]) -> None:
    """Store {kind: channel}; raises ValidationError for an unknown kind or channel. Commits."""
    bad = {k: _("Unknown choice.") for k, v in choices.items() if k not in KINDS or v not in CHANNELS}
    if bad:
        raise ValidationError(_("Please correct the highlighted fields."), bad)
    for kind, channel in choices.items():
        row = db.session.get(NotificationSetting, (user.id, kind))
        if row is None:
            db.session.add(NotificationSetting(user_id=user.id, kind=kind, channel=channel))
        else:
            row.channel = channel
    db.session.commit()


# ---- digests ----

def _local_day(now: datetime, zone: str | None) -> date:
    try:
        tz = ZoneInfo(zone or current_app.config["DEFAULT_TIMEZONE"])
    except Exception:
        tz = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    return now.astimezone(tz).date()


def build_digests(now: datetime | None = None, batch: int = 500) -> int:
    """Write at most one digest e-mail per user per local day into the outbox; returns how many.

    Only users with undigested, visible digest-channel notifications get one (never an empty
    digest). The notifications are marked digested in the same transaction as the outbox row; the
    unique (user, day) constraint makes a second run the same day a no-op.
    """
    from community.accounts.models import User

    now = now or utcnow()
    written, last_user = 0, 0
    while True:
        user_ids = list(db.session.scalars(
            select(Notification.user_id).where(Notification.channel == "digest", Notification.digested_at.is_(None),
                                               Notification.user_id > last_user)
            .group_by(Notification.user_id).order_by(Notification.user_id).limit(batch)))
        if not user_ids:
            return written
        last_user = user_ids[-1]
        for user in User.query.filter(User.id.in_(user_ids)).all():
            written += _digest_for(user, now)


def _digest_for(user, now: datetime) -> int:
    day = _local_day(now, user.timezone)
    if OutboxEmail.query.filter_by(user_id=user.id, day=day).first():
        return 0
    pending = _visible(Notification.query.filter(Notification.user_id == user.id, Notification.channel == "digest",
                                                 Notification.digested_at.is_(None))).order_by(Notification.id).all()
    if not pending:
        return 0
    lang = user.locale or "zh"
    with force_locale(lang):
        lines = []
        for n in pending:
            lines.append(f"- {_describe(n.event, lang)}")
            if link := _event_url(n.event):
                lines.append(f"  {link}")
        subject = _("Cocreate: %(n)d updates on proposals you follow", n=len(pending))
        body = "\n".join([_("Hello %(name)s,", name=user.display_name), "", *lines, "",
                          _("Change what you receive: %(url)s", url=settings_url())])
    db.session.add(OutboxEmail(user_id=user.id, day=day, to_address=user.email, subject=subject, body=body))
    db.session.execute(update(Notification).where(Notification.id.in_([n.id for n in pending]))
                       .values(digested_at=now))
    try:
        db.session.commit()
    except Exception:  # a concurrent run wrote today's digest first: its unique row wins
        db.session.rollback()
        return 0
    return 1


def settings_url() -> str:
    """The absolute address of the notification settings page (digest footer, List-Unsubscribe)."""
    return public_url("notifications.settings")


def _event_url(event: Event) -> str | None:
    """Where a digest line leads: the proposal's page (at its milestone), else the event's own link."""
    if event.proposal_id is not None:
        anchor = f"m{event.milestone_id}" if event.milestone_id else None
        return public_url("proposals.detail", proposal_id=event.proposal_id, _anchor=anchor)
    return absolute(event.link) if event.link else None


def _describe(event: Event, lang: str) -> str:
    text = (event.text_en or event.text_zh) if lang == "en" else (event.text_zh or event.text_en)
    title = event.proposal.title if event.proposal is not None else ""
    colon = "：" if lang == "zh" else ": "  # docs/copy-guide.zh.md: full-width punctuation after Chinese
    return f"{KINDS[event.kind]}{colon}" + " ".join(part for part in (title, text) if part)


def describe(event: Event) -> str:
    """One line for the in-app list, in the viewer's language."""
    from flask_babel import get_locale

    return _describe(event, str(get_locale() or "zh")[:2])


def send_digests(now: datetime | None = None) -> tuple[int, int, int]:
    """The daily job: fan out what is pending, write today's digests, send the outbox.

    Returns (digests written, e-mails sent, e-mails failed). Idempotent (one digest per user per day).
    """
    fan_out_pending()
    written = build_digests(now)
    sent, failed = deliver_outbox()
    return written, sent, failed


def deliver_outbox(limit: int = 200) -> tuple[int, int]:
    """Send unsent outbox e-mails through Flask-Mailman (console/file backend in dev, SMTP in production).

    Returns (sent, failed). A failure is recorded on the row and retried next run. Commits per mail.
    """
    from flask_mailman import EmailMessage

    sent = failed = 0
    for mail in OutboxEmail.query.filter(OutboxEmail.sent_at.is_(None), OutboxEmail.attempts < 5) \
            .order_by(OutboxEmail.id).limit(limit).all():
        mail.attempts += 1
        try:
            # RFC 2369: mail clients offer an "unsubscribe" button leading to the settings page.
            EmailMessage(mail.subject, mail.body, to=[mail.to_address],
                         headers={"List-Unsubscribe": f"<{settings_url()}>"}).send()
        except Exception as exc:  # SMTP errors vary; keep the row and the reason for the next run
            mail.last_error = str(exc)[:1000]
            failed += 1
        else:
            mail.sent_at = utcnow()
            sent += 1
        db.session.commit()
    return sent, failed
