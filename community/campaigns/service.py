"""Campaign rules: create, publish, cancel, read; the window; milestones written exactly once.

Pledging lives in ``pledges.py``. Every function takes ``now`` (an aware instant, default the real
clock) so rules can be checked to the second without sleeping. Functions commit their own unit of
work and roll it back whole on failure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from community import events
from community.accounts.vehicles import HARDWARE, MODEL_YEARS, MODELS
from community.audit import service as audit
from community.campaigns.models import Campaign
from community.campaigns.reminders import remind_closing
from community.campaigns.windows import CAMPAIGN_ZONE, _second, beijing_time, open_clause
from community.dbtypes import utcnow
from community.errors import Conflict, DomainError, Gone, NotFound, PermissionDenied, ValidationError
from community.extensions import db
from community.proposals import service as proposals
from community.text import render_markdown
from community.timeline.service import BACKDATE_GRACE, add_milestone
from community.util import cursor_values, one_language

UTC = ZoneInfo("UTC")
# "Accepted" in the workflow sense: approved (立项) and not yet delivered.
CAMPAIGNABLE_STATUSES = ("accepted", "in_progress")
MAX_PRICE = Decimal("1000000.00")
PER_PAGE = 20


# ---- permissions (one predicate for views, services and templates) ----

def can_manage(user) -> bool:
    """Moderators create, publish and cancel campaigns and see the dashboard and export."""
    return bool(user and getattr(user, "is_authenticated", False) and user.has_role("moderator"))


def can_pledge(user) -> bool:
    """Only verified owners (not blocked) pledge; which car may pledge is the eligibility rule's job."""
    return bool(user and getattr(user, "is_authenticated", False) and user.has_role("owner"))


# ---- the window ----

def window_from_local(opens_local: datetime, closes_on: date, zone: ZoneInfo = CAMPAIGN_ZONE
                      ) -> tuple[datetime, datetime]:
    """A window entered as Shanghai wall-clock -> (opens_at, closes_at) as aware UTC instants.

    ``opens_local`` is naive wall-clock (e.g. 2025-11-24 00:00); ``closes_on`` is the last day, inclusive
    of its last second: 24 Dec -> 24 Dec 23:59:59 Asia/Shanghai = 15:59:59 UTC. The server's own zone
    plays no part.
    """
    opens_at = opens_local.replace(tzinfo=zone).astimezone(UTC)
    closes_at = datetime.combine(closes_on, time(23, 59, 59), tzinfo=zone).astimezone(UTC)
    return opens_at, closes_at


def local_day(instant: datetime, zone: ZoneInfo = CAMPAIGN_ZONE) -> date:
    return instant.astimezone(zone).date()


def refusal(campaign: Campaign, now: datetime) -> str | None:
    """Why ``campaign`` takes no pledges (or pledge cancellations) at ``now``, or None while it is open."""
    status = campaign.status_at(now)
    if status == "open":
        return None
    return {
        "draft": _("This campaign is not published yet."),
        "scheduled": _("This campaign is not open yet."),
        "cancelled": _("This campaign was cancelled."),
    }.get(status, _("This campaign has closed."))


def refused(campaign: Campaign, now: datetime) -> DomainError | None:
    """The error for a campaign that takes no pledges at ``now``: Gone (410) once it has closed or was
    cancelled, Conflict (409) before it opens or while a draft; None while open. The message is ``refusal``'s."""
    why = refusal(campaign, now)
    if why is None:
        return None
    return (Gone if campaign.status_at(now) in ("succeeded", "failed", "cancelled") else Conflict)(why)


# ---- reading ----

def get_campaign(campaign_id: int, viewer=None) -> Campaign:
    """The campaign, or NotFound when missing, a draft (unless ``viewer`` manages campaigns) or on a
    hidden proposal."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or (not can_manage(viewer) and (campaign.published_at is None
                                                        or campaign.proposal.hidden_at is not None)):
        raise NotFound(_("No such campaign."))
    return campaign


def _listed(viewer):
    q = Campaign.query
    if not can_manage(viewer):  # drafts and campaigns of hidden proposals stay out of public lists
        q = q.filter(Campaign.published_at.is_not(None), Campaign.proposal.has(hidden_at=None))
    return q


def list_campaigns(viewer=None, after: list | None = None, limit: int = PER_PAGE, proposal_id: int | None = None,
                   open_at: datetime | None = None) -> tuple[list[Campaign], list | None]:
    """One page of campaigns, newest window first, keyset-paged by (opens_at, id); optionally only one
    proposal's, and only those open at ``open_at``.

    Returns (campaigns, next_cursor) where next_cursor is [opens_at iso, id] or None; InvalidCursor when
    ``after`` is not such a cursor.
    """
    q = _listed(viewer)
    if proposal_id is not None:
        q = q.filter(Campaign.proposal_id == proposal_id)
    if open_at is not None:
        q = q.filter(*open_clause(open_at))
    if after is not None:
        at, last_id = cursor_values(after, "instant", "int")
        q = q.filter(or_(Campaign.opens_at < at, (Campaign.opens_at == at) & (Campaign.id < last_id)))
    rows = q.order_by(Campaign.opens_at.desc(), Campaign.id.desc()).limit(limit + 1).all()
    items = rows[:limit]
    cursor = [items[-1].opens_at.isoformat(), items[-1].id] if len(rows) > limit else None
    return items, cursor


def for_proposal(proposal_id: int, viewer=None) -> list[Campaign]:
    """The campaigns of one proposal the viewer may see, newest first."""
    return _listed(viewer).filter(Campaign.proposal_id == proposal_id).order_by(Campaign.id.desc()).all()


# ---- writing ----

@dataclass
class CampaignInput:
    """What a moderator enters. Instants are aware UTC (see ``window_from_local``); price in CNY."""

    title_zh: str = ""
    title_en: str = ""
    description_zh: str = ""
    description_en: str = ""
    price_cny: Decimal | str | None = None
    target: int | None = None
    cap: int | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    models: list[str] = field(default_factory=list)
    model_years: list[int] = field(default_factory=list)
    hardware_required: list[str] = field(default_factory=list)
    hardware_excluded: list[str] = field(default_factory=list)
    verified_only: bool = True


def _price(raw) -> Decimal | None:
    try:
        value = Decimal(str(raw).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value <= 0 or value >= MAX_PRICE or value != value.quantize(Decimal("0.01")):
        return None
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _validate(data: CampaignInput) -> dict:
    errors = {}
    clean = {k: (getattr(data, k) or "").strip() or None
             for k in ("title_zh", "title_en", "description_zh", "description_en")}
    if not (clean["title_zh"] or clean["title_en"]):
        errors["title_zh"] = _("Give the campaign a title in Chinese, English or both.")
    for key in ("title_zh", "title_en"):
        if clean[key] and len(clean[key]) > 120:
            errors[key] = _("At most %(n)d characters.", n=120)
    price = _price(data.price_cny)
    if price is None:
        errors["price_cny"] = _("Enter a price in CNY greater than 0 with at most two decimals.")
    if not data.target or data.target < 1:
        errors["target"] = _("The target is a whole number of pledges, at least 1.")
    if data.cap is not None and data.cap < 1:
        errors["cap"] = _("The cap is at least 1, or leave it empty for no cap.")
    elif data.cap is not None and data.target and data.cap < data.target:
        errors["cap"] = _("The cap cannot be below the target.")
    if data.opens_at is None:
        errors["opens_at"] = _("When does the campaign open?")
    if data.closes_at is None:
        errors["closes_on"] = _("When does the campaign close?")
    elif data.opens_at is not None and data.closes_at <= data.opens_at:
        errors["closes_on"] = _("The campaign must close after it opens.")
    if set(data.models) - set(MODELS):
        errors["models"] = _("Unknown model.")
    if set(data.model_years) - set(MODEL_YEARS):
        errors["model_years"] = _("Unknown model year.")
    for key in ("hardware_required", "hardware_excluded"):
        if set(getattr(data, key)) - set(HARDWARE):
            errors[key] = _("Unknown hardware option.")
    if set(data.hardware_required) & set(data.hardware_excluded):
        errors["hardware_excluded"] = _("Hardware cannot be both required and excluded.")
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), errors)
    return {**clean, "price_cny": price}


def create_campaign(actor, proposal, data: CampaignInput, publish: bool = False,
                    now: datetime | None = None) -> Campaign:
    """Create a campaign on an accepted proposal (a draft unless ``publish``); audited; commits.

    Raises PermissionDenied (not a moderator), ValidationError (fields, or the proposal is not accepted),
    Conflict (publishing a window that has already closed). Published into an open window, the
    ``campaign_opened`` milestone is written at once.
    """
    now = now or utcnow()
    if not can_manage(actor):
        raise PermissionDenied(_("Only moderators create campaigns."))
    if proposal.status not in CAMPAIGNABLE_STATUSES or proposal.hidden_at is not None:
        raise ValidationError(_("Campaigns are only for accepted proposals."))
    clean = _validate(data)
    if publish and data.closes_at < now:
        raise Conflict(_("This window has already closed; correct the dates."), {"closes_on": _("In the past.")})
    campaign = Campaign(
        proposal_id=proposal.id, **clean, target=data.target, cap=data.cap, opens_at=data.opens_at,
        closes_at=data.closes_at, description_zh_html=render_markdown(clean["description_zh"] or ""),
        description_en_html=render_markdown(clean["description_en"] or ""),
        models=sorted(set(data.models)), model_years=sorted(set(data.model_years)),
        hardware_required=sorted(set(data.hardware_required)),
        hardware_excluded=sorted(set(data.hardware_excluded)), verified_only=bool(data.verified_only),
        published_at=now if publish else None, created_by_id=actor.id, created_at=now)
    try:
        db.session.add(campaign)
        db.session.flush()
        audit.record(actor, "campaign.create", "campaign", campaign.id, None, _audit_shape(campaign))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if publish:
        sync_milestones(campaign, now)  # published into an open window: announced at once, as publish() does
    return campaign


def _audit_shape(c: Campaign) -> dict:
    return {"proposal_id": c.proposal_id, "price_cny": str(c.price_cny), "target": c.target, "cap": c.cap,
            "opens_at": c.opens_at.isoformat(), "closes_at": c.closes_at.isoformat(), "models": c.models,
            "model_years": c.model_years, "hardware_required": c.hardware_required,
            "hardware_excluded": c.hardware_excluded, "verified_only": c.verified_only,
            "published": c.published_at is not None}


def publish(campaign: Campaign, actor, now: datetime | None = None) -> Campaign:
    """Make a draft public. Raises PermissionDenied, Conflict (already published, cancelled or closed). Commits."""
    now = now or utcnow()
    if not can_manage(actor):
        raise PermissionDenied(_("Only moderators publish campaigns."))
    changed = db.session.execute(
        update(Campaign).where(Campaign.id == campaign.id, Campaign.published_at.is_(None),
                               Campaign.cancelled_at.is_(None), Campaign.closes_at >= _second(now))
        .values(published_at=now)).rowcount
    if changed != 1:
        db.session.rollback()
        raise Conflict(_("Only an unpublished campaign whose window has not closed can be published."))
    audit.record(actor, "campaign.publish", "campaign", campaign.id, {"published": False}, {"published": True})
    db.session.commit()
    sync_milestones(campaign, now)
    return campaign


def cancel_campaign(campaign: Campaign, actor, reason: str, now: datetime | None = None) -> Campaign:
    """Cancel a campaign before it closes, with a public reason. Audited; a published campaign also gets
    a ``campaign_closed`` milestone carrying the reason. Commits.

    Raises PermissionDenied, ValidationError (no reason), Conflict (already cancelled or closed:
    decided by the conditional UPDATE, so a cancel racing the close cannot both happen).
    """
    now = now or utcnow()
    if not can_manage(actor):
        raise PermissionDenied(_("Only moderators cancel campaigns."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Owners are told why: give a public reason."), {"reason": _("A reason is required.")})
    sync_milestones(campaign, now)  # an open campaign is announced as opened before it is cancelled
    try:
        changed = db.session.execute(
            update(Campaign).where(Campaign.id == campaign.id, Campaign.cancelled_at.is_(None),
                                   Campaign.closes_at >= _second(now))
            .values(cancelled_at=now, cancel_reason=reason[:500], closed_noted_at=now,
                    final_count=Campaign.pledge_count)).rowcount
        if changed != 1:
            raise Conflict(_("This campaign is already cancelled or closed."))
        db.session.refresh(campaign)
        audit.record(actor, "campaign.cancel", "campaign", campaign.id, {"cancelled": False},
                     {"cancelled": True, "pledge_count": campaign.pledge_count}, reason)
        if campaign.published_at is not None:
            add_milestone(campaign.proposal, "campaign_closed", actor=actor, occurred_at=now,
                          text_zh=f"众筹「{campaign.title_zh or campaign.title_en}」已取消："
                                  f"{one_language(reason, 'zh')}",
                          text_en=f"Crowdfunding \"{campaign.title_en or campaign.title_zh}\" cancelled: "
                                  f"{one_language(reason, 'en')}")
            events.emit("campaign.closed", campaign)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return campaign


# ---- milestones, exactly once ----

def _backdate(occurred_at: datetime) -> str | None:
    # add_milestone judges against the real clock, so this does too.
    if utcnow() - occurred_at > BACKDATE_GRACE:
        return "自动记录，按众筹的实际时间标注 / recorded automatically, dated at the campaign's own time"
    return None


def _claim(column, now: datetime, *conditions) -> bool:
    """Set ``column`` (opened/closed_noted_at) if still null; True for the one caller that wins."""
    values = {column.key: now}
    if column is Campaign.closed_noted_at:
        values["final_count"] = Campaign.pledge_count
    return db.session.execute(update(Campaign).where(column.is_(None), Campaign.cancelled_at.is_(None),
                                                     Campaign.published_at.is_not(None), *conditions)
                              .values(**values)).rowcount == 1


def sync_milestones(campaign: Campaign, now: datetime | None = None) -> list[str]:
    """Write ``campaign_opened`` once the window has opened and ``campaign_closed`` (final count and
    outcome) once it has closed, each exactly once however many callers race (page views, close-due).

    Each milestone is claimed by a conditional UPDATE of ``opened_noted_at``/``closed_noted_at`` in the
    same transaction as the milestone: the loser's UPDATE matches no row. Returns the kinds written. Commits.
    """
    now = now or utcnow()
    due_open = campaign.opened_noted_at is None and now >= campaign.opens_at
    due_close = campaign.closed_noted_at is None and now >= campaign.ends_before
    if campaign.published_at is None or campaign.cancelled_at is not None or not (due_open or due_close):
        return []
    written = []
    try:
        if due_open and _claim(Campaign.opened_noted_at, now, Campaign.id == campaign.id,
                               Campaign.opens_at <= now):
            db.session.refresh(campaign)
            at = max(campaign.opens_at, campaign.published_at)
            price = f"{campaign.price_cny:,.2f}"
            opens, closes = beijing_time(campaign.opens_at, "zh"), beijing_time(campaign.closes_at, "zh")
            opens_en, closes_en = beijing_time(campaign.opens_at, "en"), beijing_time(campaign.closes_at, "en")
            add_milestone(campaign.proposal, "campaign_opened", occurred_at=at, backdate_reason=_backdate(at),
                          text_zh=(f"众筹开启：{campaign.title_zh or campaign.title_en}。"
                                   f"{opens} 至 {closes}（北京时间），"
                                   f"每台 ¥{price}，目标 {campaign.target} 台。"),
                          text_en=(f"Crowdfunding opened: {campaign.title_en or campaign.title_zh}. "
                                   f"{opens_en} to {closes_en} (Asia/Shanghai), "
                                   f"CNY {price} per vehicle, target {campaign.target} pledges."))
            events.emit("campaign.opened", campaign)
            written.append("campaign_opened")
        if due_close and _claim(Campaign.closed_noted_at, now, Campaign.id == campaign.id,
                                Campaign.closes_at < _second(now)):
            db.session.refresh(campaign)
            n, target = campaign.final_count, campaign.target
            reached = n >= target
            add_milestone(campaign.proposal, "campaign_closed", occurred_at=campaign.closes_at,
                          backdate_reason=_backdate(campaign.closes_at),
                          text_zh=(f"众筹结束：共 {n} 台认筹，目标 {target} 台，"
                                   f"{'已达成目标，项目启动' if reached else '未达到目标'}。"),
                          text_en=(f"Crowdfunding closed with {n} pledges against a target of {target}: "
                                   f"{'target reached, the upgrade goes ahead' if reached else 'target not reached'}."))
            events.emit("campaign.closed", campaign)
            written.append("campaign_closed")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return written


def close_due(now: datetime | None = None) -> list[tuple[int, list[str]]]:
    """Write every due opened/closed milestone and send every due "closes within 48 hours" notice
    (``reminders.remind_closing``). Idempotent (cron-able): a second run writes nothing.

    Returns [(campaign_id, kinds written)] for the campaigns where something was written
    (``campaign_opened``, ``campaign_closing``, ``campaign_closed``).
    """
    now = now or utcnow()
    due = db.session.scalars(
        select(Campaign.id).where(Campaign.published_at.is_not(None), Campaign.cancelled_at.is_(None),
                                  or_((Campaign.opened_noted_at.is_(None)) & (Campaign.opens_at <= now),
                                      (Campaign.closed_noted_at.is_(None)) & (Campaign.closes_at < _second(now))))
        .order_by(Campaign.id)).all()
    done = []
    for campaign_id in due:
        kinds = sync_milestones(db.session.get(Campaign, campaign_id), now)
        if kinds:
            done.append((campaign_id, kinds))
    written = dict(done)
    for campaign_id in remind_closing(now):  # never with campaign_closed: one needs the window open, one closed
        written.setdefault(campaign_id, []).append("campaign_closing")
    return sorted(written.items())


def record_export(campaign: Campaign, actor) -> None:
    """Audit that ``actor`` exported the pledge list (it names owners). Raises PermissionDenied. Commits."""
    if not can_manage(actor):
        raise PermissionDenied(_("Only moderators export pledges."))
    audit.record(actor, "campaign.export", "campaign", campaign.id, None, {"format": "csv"})
    db.session.commit()


def proposal_for_new_campaign(proposal_id: int):
    """The visible proposal a campaign would belong to (NotFound when missing or hidden)."""
    return proposals.get_visible(proposal_id)


def time_left(campaign: Campaign, now: datetime | None = None) -> timedelta | None:
    """Time until the window ends (None unless open)."""
    now = now or utcnow()
    return campaign.ends_before - now if campaign.status_at(now) == "open" else None
