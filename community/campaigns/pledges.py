"""Pledging: one active pledge per vehicle per campaign, within the window, eligible cars only, under the cap.

The database decides every race: the campaign's counter moves by a conditional UPDATE (the row lock it
takes serialises pledgers on PostgreSQL; SQLite has one writer), and a partial unique index allows one
active pledge per (campaign, vehicle). Python checks before them only choose the clearer message.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from community import events, metrics
from community.campaigns.eligibility import ineligibility_reasons
from community.campaigns.models import Campaign, Pledge
from community.campaigns.service import can_pledge, open_clause, refused
from community.dbtypes import utcnow
from community.errors import Conflict, Gone, NotFound, PermissionDenied
from community.extensions import db
from community.notifications import service as notifications


def _fail(err: Exception):
    db.session.rollback()
    raise err


def active_by_vehicle(user, campaign: Campaign) -> dict[int, Pledge]:
    """The user's active pledges in ``campaign``, keyed by vehicle id."""
    if not (user and getattr(user, "is_authenticated", False)):
        return {}
    rows = Pledge.query.filter_by(campaign_id=campaign.id, user_id=user.id, status="active").all()
    return {p.vehicle_id: p for p in rows}


def pledge(user, campaign: Campaign, vehicle_id: int, now: datetime | None = None) -> Pledge:
    """Pledge ``vehicle_id`` (one of ``user``'s cars) in ``campaign``; commits, or writes nothing.

    Raises PermissionDenied (not a verified owner; vehicle not eligible, with every reason),
    NotFound (not the user's vehicle), Conflict (not open yet, already pledged, cap reached), Gone (closed
    or cancelled at ``now``). The pledger follows the proposal from then on, as a voter does.
    """
    now = now or utcnow()
    if not can_pledge(user):
        raise PermissionDenied(_("Only verified owners can pledge. Add and verify your car first."))
    vehicle = next((v for v in user.vehicles if v.id == vehicle_id), None)
    if vehicle is None:
        raise NotFound(_("No such vehicle among yours."))
    err = refused(campaign, now)
    if err:
        raise err
    reasons = ineligibility_reasons(campaign, vehicle)
    if reasons:
        raise PermissionDenied(_("This vehicle cannot pledge: %(reasons)s.", reasons="; ".join(reasons)))
    if vehicle.id in active_by_vehicle(user, campaign):
        raise Conflict(_("This vehicle already has a pledge in this campaign."))
    bumped = db.session.execute(
        update(Campaign).where(Campaign.id == campaign.id, *open_clause(now),
                               or_(Campaign.cap.is_(None), Campaign.pledge_count < Campaign.cap))
        .values(pledge_count=Campaign.pledge_count + 1)).rowcount
    if bumped != 1:
        db.session.rollback()
        db.session.refresh(campaign)
        raise (refused(campaign, now)
               or Conflict(_("This campaign is full: all %(n)d places are taken.", n=campaign.cap or 0)))
    notifications.follow(user, campaign.proposal_id)
    row = Pledge(campaign_id=campaign.id, vehicle_id=vehicle.id, user_id=user.id, status="active",
                 model=vehicle.model, model_year=vehicle.model_year, masked_vin=vehicle.masked_vin, created_at=now)
    db.session.add(row)
    try:
        db.session.flush()
        events.emit("pledge.created", row)
        db.session.commit()
    except IntegrityError as exc:  # the partial unique index: a double submit or a racing tab
        db.session.rollback()
        raise Conflict(_("This vehicle already has a pledge in this campaign.")) from exc
    metrics.record_pledge("made")
    return row


def get_own_pledge(user, pledge_id: int) -> Pledge:
    """The pledge if it is ``user``'s, else NotFound (someone else's pledge is not revealed)."""
    found = db.session.get(Pledge, pledge_id)
    if found is None or not getattr(user, "is_authenticated", False) or found.user_id != user.id:
        raise NotFound(_("No such pledge."))
    return found


def cancel_pledge(user, pledge_id: int, now: datetime | None = None) -> Pledge:
    """Cancel one's own active pledge while the campaign is open; commits, or writes nothing.

    Raises NotFound (not the user's), Conflict (already cancelled), Gone (campaign closed or cancelled at ``now``).
    """
    now = now or utcnow()
    found = get_own_pledge(user, pledge_id)
    campaign = found.campaign
    if not found.is_active:
        raise Conflict(_("This pledge is already cancelled."))
    err = refused(campaign, now)
    if err:
        raise type(err)(_("%(why)s Pledges can no longer be cancelled.", why=err.message))
    changed = db.session.execute(update(Pledge).where(Pledge.id == found.id, Pledge.status == "active")
                                 .values(status="cancelled", cancelled_at=now)).rowcount
    if changed != 1:
        _fail(Conflict(_("This pledge is already cancelled.")))
    lowered = db.session.execute(update(Campaign).where(Campaign.id == campaign.id, *open_clause(now))
                                 .values(pledge_count=Campaign.pledge_count - 1)).rowcount
    if lowered != 1:
        _fail(Gone(_("This campaign has closed. Pledges can no longer be cancelled.")))
    db.session.refresh(found)
    db.session.refresh(campaign)
    events.emit("pledge.cancelled", found)
    db.session.commit()
    metrics.record_pledge("cancelled")
    return found


def pledges_of(user, limit: int = 200) -> list[Pledge]:
    """The user's pledges (active and cancelled), newest first; at most ``limit`` (cars x campaigns is small)."""
    return (Pledge.query.filter_by(user_id=user.id).order_by(Pledge.created_at.desc(), Pledge.id.desc())
            .limit(limit).all())


def standing(user, campaign: Campaign) -> list[tuple]:
    """For each of ``user``'s vehicles: (vehicle, reasons it may not pledge ([] if eligible), active pledge or None)."""
    if not (user and getattr(user, "is_authenticated", False)):
        return []
    active = active_by_vehicle(user, campaign)
    return [(v, ineligibility_reasons(campaign, v), active.get(v.id)) for v in user.vehicles]
