"""The public pledge scorecard: per team, how often its first-response promise was kept.

Definitions (items routed to the team and submitted in the window, seen at ``now``):
  decided       answered, or unanswered with the first-response due instant already past
  within_sla    answered no later than the first-response due instant
  share         within_sla / decided (None when nothing is decided yet; pending items are not counted)
  open_breaches not resolved, and either unanswered past the first-response due instant or
                unresolved past the resolution due instant
  median_hours  median of (first reply - submission) in hours over the answered items

Everything is aggregated in the database (conditional sums, and window functions for the median), so
the page costs a handful of grouped queries, not one Python object per item (bench/feedback.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import and_, case, func, or_, select

from community.dbtypes import utcnow
from community.extensions import db
from community.feedback.models import FeedbackItem as FI

WINDOWS = (30, 90)
WEEKS = 13


@dataclass
class Figures:
    decided: int = 0
    within_sla: int = 0
    open_breaches: int = 0
    median_hours: float | None = None

    @property
    def share(self) -> float | None:
        return self.within_sla / self.decided if self.decided else None


@dataclass
class TeamCard:
    team_id: int
    windows: dict[int, Figures]
    weekly: list[Figures] = field(default_factory=list)  # oldest first, WEEKS weeks ending at ``now``


def _sums(now: datetime):
    answered, first_due = FI.first_responded_at, FI.first_response_due_at
    one = lambda cond: func.sum(case((cond, 1), else_=0))  # noqa: E731
    return (one(or_(answered.is_not(None), first_due < now)),
            one(and_(answered.is_not(None), answered <= first_due)),
            one(and_(FI.resolved_at.is_(None),
                     or_(and_(answered.is_(None), first_due < now), FI.resolution_due_at < now))))


def _hours_to_answer():
    """(first reply - submission) in hours, as SQL (instants are stored as naive UTC on both backends)."""
    if db.engine.dialect.name == "sqlite":
        return (func.julianday(FI.first_responded_at) - func.julianday(FI.created_at)) * 24.0
    return func.extract("epoch", FI.first_responded_at - FI.created_at) / 3600.0


def _in_window(team_ids: list[int], since: datetime, now: datetime):
    return and_(FI.team_id.in_(team_ids), FI.created_at > since, FI.created_at <= now, FI.hidden_at.is_(None))


def _medians(team_ids: list[int], since: datetime, now: datetime) -> dict[int, float]:
    """Median hours to the first reply per team: the middle row (or the mean of the middle two)."""
    hours = _hours_to_answer()
    ranked = (select(FI.team_id, hours.label("h"),
                     func.row_number().over(partition_by=FI.team_id, order_by=hours).label("rn"),
                     func.count().over(partition_by=FI.team_id).label("n"))
              .where(_in_window(team_ids, since, now), FI.first_responded_at.is_not(None)).subquery())
    middle = and_(ranked.c.rn >= (ranked.c.n + 1) // 2, ranked.c.rn <= (ranked.c.n + 2) // 2)
    rows = db.session.execute(select(ranked.c.team_id, func.avg(ranked.c.h)).where(middle)
                              .group_by(ranked.c.team_id))
    # Rounded to 3.6 s: SQLite's julianday arithmetic is floating-point days.
    return {team_id: round(float(h), 3) for team_id, h in rows}


def team_cards(team_ids: list[int], now: datetime | None = None) -> dict[int, TeamCard]:
    """Figures for each team id over the last 30 and 90 days, plus 13 weekly buckets for the chart."""
    now = now or utcnow()
    cards = {tid: TeamCard(tid, {w: Figures() for w in WINDOWS}, [Figures() for _ in range(WEEKS)])
             for tid in team_ids}
    if not team_ids:
        return cards
    for window in WINDOWS:
        since = now - timedelta(days=window)
        rows = db.session.execute(select(FI.team_id, *_sums(now)).where(_in_window(team_ids, since, now))
                                  .group_by(FI.team_id))
        for team_id, decided, within, breaches in rows:
            cards[team_id].windows[window] = Figures(int(decided or 0), int(within or 0), int(breaches or 0))
        for team_id, median in _medians(team_ids, since, now).items():
            cards[team_id].windows[window].median_hours = median
    # Week k (0 = oldest) holds items submitted in (now - (13-k) weeks, now - (12-k) weeks].
    week = case(*[(FI.created_at > now - timedelta(weeks=WEEKS - k), k - 1) for k in range(WEEKS, 1, -1)],
                else_=0).label("week")
    rows = db.session.execute(select(FI.team_id, week, *_sums(now))
                              .where(_in_window(team_ids, now - timedelta(weeks=WEEKS), now))
                              .group_by(FI.team_id, week))
    for team_id, k, decided, within, breaches in rows:
        cards[team_id].weekly[int(k)] = Figures(int(decided or 0), int(within or 0), int(breaches or 0))
    return cards


def cached_team_cards(team_ids: list[int]) -> dict[int, TeamCard]:
    """``team_cards`` as of now, reused for config PLEDGE_SCORECARD_CACHE_SECONDS (default 60) per worker.

    The public page is the hot path and a minute-old figure is still true; at 100k items in 90 days the
    grouped queries take a second or more (bench/feedback.py), which no visitor should wait for each time.
    """
    ttl = float(current_app.config.get("PLEDGE_SCORECARD_CACHE_SECONDS", 60))
    cache = current_app.extensions.setdefault("pledge_scorecard", {})
    key, now = tuple(team_ids), utcnow()
    hit = cache.get(key)
    if hit and (now - hit[0]).total_seconds() < ttl:
        return hit[1]
    cards = team_cards(team_ids, now)
    cache.clear()  # one entry: the active teams change rarely
    cache[key] = (now, cards)
    return cards


SHARE_COLOURS = (("#198754", 0.9), ("#ffc107", 0.7), ("#dc3545", 0.0))  # the legend on /pledge names these
NO_DECISION = "#adb5bd"


def share_colour(share: float | None) -> str:
    """The bar colour for a week's share: green from 90 %, amber from 70 %, red below; grey: nothing decided."""
    if share is None:
        return NO_DECISION
    return next(colour for colour, floor in SHARE_COLOURS if share >= floor)


def chart_svg(weekly: list[Figures], label: str, first_week: str = "", last_week: str = "",
              described_by: str | None = None) -> Markup:
    """A 13-bar inline SVG: each week's share answered within SLA (bar height, y axis 0-100 %), grey when
    nothing was decided that week; the x axis names the first and the last week (``first_week``,
    ``last_week``). ``label`` is the accessible name, ``described_by`` the id of the table that gives the same
    figures as text. Server-rendered, no script; every text escaped."""
    width, height, left, top, bottom, gap = 210, 66, 32, 6, 16, 2
    plot_w, plot_h = width - left, height - top - bottom
    bar = (plot_w - gap * (len(weekly) - 1)) / max(len(weekly), 1)
    described = f' aria-describedby="{escape(described_by)}"' if described_by else ""
    base = top + plot_h
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="pledge-chart" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}"{described}>'
             f'<title>{escape(label)}</title>',
             f'<text x="{left - 4}" y="{top + 8}" font-size="10" text-anchor="end" fill="#495057">100%</text>',
             f'<text x="{left - 4}" y="{base}" font-size="10" text-anchor="end" fill="#495057">0%</text>',
             f'<line x1="{left}" y1="{top}" x2="{width}" y2="{top}" stroke="#e9ecef"/>',
             f'<line x1="{left}" y1="{base - 0.5}" x2="{width}" y2="{base - 0.5}" stroke="#ced4da"/>',
             f'<text x="{left}" y="{height - 3}" font-size="10" fill="#495057">{escape(first_week)}</text>',
             f'<text x="{width}" y="{height - 3}" font-size="10" text-anchor="end" fill="#495057">'
             f'{escape(last_week)}</text>']
    for i, fig in enumerate(weekly):
        x = round(left + i * (bar + gap), 1)
        if fig.share is None:
            parts.append(f'<rect x="{x}" y="{base - 3}" width="{bar:.1f}" height="3" fill="{NO_DECISION}"/>')
            continue
        h = max(2.0, round(fig.share * plot_h, 1))
        parts.append(f'<rect x="{x}" y="{round(base - h, 1)}" width="{bar:.1f}" height="{h}" '
                     f'fill="{share_colour(fig.share)}">'
                     f'<title>{round(fig.share * 100)}% ({fig.within_sla}/{fig.decided})</title></rect>')
    parts.append("</svg>")
    return Markup("".join(parts))
