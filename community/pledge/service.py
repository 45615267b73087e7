"""Pledge rules: the nine teams, their agents, the pledge items and the SLA hours a team promises.

Functions that write commit their own unit of work and roll it back whole on failure.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from community.accounts import service as accounts
from community.audit import service as audit
from community.errors import Conflict, NotFound, ValidationError
from community.extensions import db
from community.pledge.models import PledgeItem, Team, TeamAgent

#: The nine pledge teams' slugs and display names (zh, en). The slugs are the router's labels and never change.
DEFAULT_NAMES: dict[str, tuple[str, str]] = {
    "sales": ("销售", "Sales"),
    "delivery": ("交付", "Delivery"),
    "after_sales": ("售后服务", "After-sales"),
    "charging": ("补能充电", "Charging"),
    "app_connectivity": ("App 与车联", "App & connectivity"),
    "assisted_driving": ("辅助驾驶", "Assisted driving"),
    "vehicle_quality": ("整车质量", "Vehicle quality"),
    "finance_insurance": ("金融保险", "Finance & insurance"),
    "community_events": ("社区活动", "Community & events"),
}
TEAMS: tuple[str, ...] = tuple(DEFAULT_NAMES)
MAX_SLA_HOURS = 24 * 90


# ---- teams ----

def ensure_teams() -> list[Team]:
    """Create any of the nine pledge teams that is missing (idempotent); commits. Returns all teams."""
    have = set(db.session.scalars(select(Team.slug)))
    missing = [{"slug": s, "name_zh": DEFAULT_NAMES[s][0], "name_en": DEFAULT_NAMES[s][1], "position": i}
               for i, s in enumerate(TEAMS) if s not in have]
    if missing:
        try:
            db.session.execute(insert(Team), missing)
            db.session.commit()
        except IntegrityError:  # another process created them first: fine, they exist now
            db.session.rollback()
    return all_teams()


def all_teams(active_only: bool = False) -> list[Team]:
    query = select(Team).order_by(Team.position, Team.id)
    if active_only:
        query = query.where(Team.is_active.is_(True))
    return list(db.session.scalars(query))


def team_by_slug(slug: str | None, active_only: bool = True) -> Team | None:
    """The team with ``slug`` (None when unknown, or inactive and ``active_only``)."""
    if not slug:
        return None
    team = db.session.scalar(select(Team).where(Team.slug == slug))
    if team is None or (active_only and not team.is_active):
        return None
    return team


def get_team(team_id: int) -> Team:
    team = db.session.get(Team, team_id)
    if team is None:
        raise NotFound(_("No such team."))
    return team


def update_team(team: Team, actor, name_zh: str, name_en: str, is_active: bool) -> Team:
    """Rename or (de)activate a team (its slug never changes); audited; commits.

    An inactive team gets no new items from the router or the triage queue. Raises ValidationError
    for empty names.
    """
    name_zh, name_en = (name_zh or "").strip(), (name_en or "").strip()
    errors = {}
    if not name_zh or len(name_zh) > 60:
        errors["name_zh"] = _("A name of 1 to 60 characters is required.")
    if not name_en or len(name_en) > 60:
        errors["name_en"] = _("A name of 1 to 60 characters is required.")
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), errors)
    before = {"name_zh": team.name_zh, "name_en": team.name_en, "is_active": team.is_active}
    team.name_zh, team.name_en, team.is_active = name_zh, name_en, bool(is_active)
    audit.record(actor, "team.update", "team", team.id, before,
                 {"name_zh": name_zh, "name_en": name_en, "is_active": team.is_active})
    db.session.commit()
    return team


# ---- agents ----

def agent_team_ids(user) -> set[int]:
    """Ids of the teams ``user`` works for (empty for anonymous users and non-agents)."""
    if not (user and getattr(user, "is_authenticated", False)) or not user.has_role("team_agent"):
        return set()
    return set(db.session.scalars(select(TeamAgent.team_id).where(TeamAgent.user_id == user.id)))


def agent_teams(user) -> list[Team]:
    ids = agent_team_ids(user)
    return [t for t in all_teams() if t.id in ids]


def is_agent_of(user, team_id: int | None) -> bool:
    return team_id is not None and team_id in agent_team_ids(user)


def add_agent(team: Team, email: str, actor) -> None:
    """Link the user with ``email`` to ``team`` as an agent, granting ``team_agent`` if needed; commits.

    Raises NotFound for an unknown e-mail, Conflict when already an agent of this team.
    """
    user = accounts.find_by_email(email)
    if user is None:
        raise NotFound(_("No user with that e-mail."), {"email": _("No user with that e-mail.")})
    accounts.grant_role(user, "team_agent", actor)
    try:
        db.session.execute(insert(TeamAgent).values(team_id=team.id, user_id=user.id))
        audit.record(actor, "team.agent_add", "team", team.id, None, {"user_id": user.id})
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(_("%(name)s already works for this team.", name=user.display_name),
                       {"email": _("Already an agent of this team.")}) from exc


def remove_agent(team: Team, user_id: int, actor) -> None:
    """Unlink an agent from ``team`` (their role stays: they may work for another team); commits."""
    removed = db.session.execute(delete(TeamAgent).where(TeamAgent.team_id == team.id,
                                                         TeamAgent.user_id == user_id)).rowcount
    if not removed:
        db.session.rollback()
        raise NotFound(_("That user is not an agent of this team."))
    audit.record(actor, "team.agent_remove", "team", team.id, {"user_id": user_id}, None)
    db.session.commit()


# ---- pledge items ----

def pledge_items(active_only: bool = True) -> list[PledgeItem]:
    query = select(PledgeItem).join(Team).order_by(Team.position, PledgeItem.position, PledgeItem.id)
    if active_only:
        query = query.where(PledgeItem.is_active.is_(True))
    return list(db.session.scalars(query))


def get_pledge_item(item_id: int) -> PledgeItem:
    item = db.session.get(PledgeItem, item_id)
    if item is None:
        raise NotFound(_("No such pledge item."))
    return item


def _validate_item(team_id, text_zh, text_en, first_hours, resolution_hours) -> tuple[str, str]:
    text_zh, text_en = (text_zh or "").strip(), (text_en or "").strip()
    errors = {}
    if db.session.get(Team, team_id or 0) is None:
        errors["team_id"] = _("Choose a team.")
    if not text_zh or len(text_zh) > 500:
        errors["text_zh"] = _("Write the promise in Chinese (at most 500 characters).")
    if not text_en or len(text_en) > 500:
        errors["text_en"] = _("Write the promise in English (at most 500 characters).")
    if not isinstance(first_hours, int) or not 0 < first_hours <= MAX_SLA_HOURS:
        errors["first_response_hours"] = _("Between 1 and %(n)d hours.", n=MAX_SLA_HOURS)
    if not isinstance(resolution_hours, int) or not 0 < resolution_hours <= MAX_SLA_HOURS:
        errors["resolution_hours"] = _("Between 1 and %(n)d hours.", n=MAX_SLA_HOURS)
    elif isinstance(first_hours, int) and resolution_hours < first_hours:
        errors["resolution_hours"] = _("Resolution cannot be promised sooner than the first response.")
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), errors)
    return text_zh, text_en


def save_pledge_item(item: PledgeItem | None, actor, *, team_id: int, text_zh: str, text_en: str,
                     first_response_hours: int, resolution_hours: int, is_active: bool = True,
                     position: int = 0) -> PledgeItem:
    """Create (``item`` None) or edit a pledge item; audited; commits. Raises ValidationError.

    SLAs are whole hours; a changed SLA applies to feedback assigned from now on, not retroactively.
    """
    text_zh, text_en = _validate_item(team_id, text_zh, text_en, first_response_hours, resolution_hours)
    before = None
    if item is None:
        item = PledgeItem()
        db.session.add(item)
    else:
        before = {"team_id": item.team_id, "first_response_hours": item.first_response_hours,
                  "resolution_hours": item.resolution_hours, "is_active": item.is_active}
    item.team_id, item.text_zh, item.text_en = team_id, text_zh, text_en
    item.first_response_hours, item.resolution_hours = first_response_hours, resolution_hours
    item.is_active, item.position = bool(is_active), position
    db.session.flush()
    audit.record(actor, "pledge_item.save", "pledge_item", item.id, before,
                 {"team_id": team_id, "first_response_hours": first_response_hours,
                  "resolution_hours": resolution_hours, "is_active": item.is_active})
    db.session.commit()
    return item


def sla_hours(team: Team | None) -> tuple[int, int]:
    """(first-response hours, resolution hours) a feedback item assigned to ``team`` is promised.

    The team's strictest active pledge items apply; a team without any (and the triage queue, ``team``
    None) gets config FEEDBACK_DEFAULT_SLA_HOURS (default 24 h and 168 h).
    """
    default = tuple(current_app.config.get("FEEDBACK_DEFAULT_SLA_HOURS", (24, 168)))
    items = [p for p in (team.pledge_items if team else []) if p.is_active]
    if not items:
        return int(default[0]), int(default[1])
    return min(p.first_response_hours for p in items), min(p.resolution_hours for p in items)
