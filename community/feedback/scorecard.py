"""The public pledge scorecard: per team, how often its first-response promise was kept.

Definitions (items routed to the team and submitted in the window, seen at ``now``):
  decided       answered, or unanswered with the first-response due instant already past
  within_sla    answered no later than the first-response due instant
  share         within_sla / decided (None when nothing is decided yet; pending items are not counted)
  open_breaches not resolved, and either unanswered past the first-response due instant or
                unresolved past the resolution due instant
  median_hours  median of (first reply - submission) in hours over the answered items
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from markupsafe import Markup, escape
from sqlalchemy import select

from community.dbtypes import utcnow
from community.extensions import db
from community.feedback.models import FeedbackItem

WINDOWS = (30, 90)
WEEKS = 13


@dataclass
class Figures:
    decided: int = 0
    within_sla: int = 0
    open_breaches: int = 0
    answer_hours: list[float] = field(default_factory=list)

    @property
    def share(self) -> float | None:
        return self.within_sla / self.decided if self.decided else None

    @property
    def median_hours(self) -> float | None:
        return statistics.median(self.answer_hours) if self.answer_hours else None


@dataclass
class TeamCard:
    team_id: int
    windows: dict[int, Figures]
    weekly: list[Figures]  # oldest first, WEEKS weeks ending at ``now``


def _add(fig: Figures, row, now: datetime) -> None:
    created, first_due, answered, resolution_due, resolved = row
    if answered is not None:
        fig.decided += 1
        fig.within_sla += answered <= first_due
        fig.answer_hours.append((answered - created).total_seconds() / 3600)
    elif first_due < now:
        fig.decided += 1
    if resolved is None and ((answered is None and first_due < now) or resolution_due < now):
        fig.open_breaches += 1


def team_cards(team_ids: list[int], now: datetime | None = None) -> dict[int, TeamCard]:
    """Figures for each team id over the last 30 and 90 days, plus 13 weekly buckets for the chart."""
    now = now or utcnow()
    since = now - timedelta(days=max(WINDOWS))
    cards = {tid: TeamCard(tid, {w: Figures() for w in WINDOWS}, [Figures() for _ in range(WEEKS)])
             for tid in team_ids}
    rows = db.session.execute(
        select(FeedbackItem.team_id, FeedbackItem.created_at, FeedbackItem.first_response_due_at,
               FeedbackItem.first_responded_at, FeedbackItem.resolution_due_at, FeedbackItem.resolved_at)
        .where(FeedbackItem.team_id.in_(team_ids), FeedbackItem.created_at > since,
               FeedbackItem.created_at <= now))
    for team_id, *row in rows:
        card = cards[team_id]
        age = now - row[0]
        for window in WINDOWS:
            if age < timedelta(days=window):
                _add(card.windows[window], row, now)
        week = WEEKS - 1 - int(age / timedelta(weeks=1))
        if 0 <= week < WEEKS:
            _add(card.weekly[week], row, now)
    return cards


def chart_svg(weekly: list[Figures], label: str) -> Markup:
    """A 13-bar inline SVG: each week's share answered within SLA (bar height), grey when nothing
    was decided that week. ``label`` is the accessible title. Server-rendered, no script."""
    width, height, gap = 156, 40, 2
    bar = (width - gap * (len(weekly) - 1)) / max(len(weekly), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="pledge-chart" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img"><title>{escape(label)}</title>',
             f'<line x1="0" y1="{height - 0.5}" x2="{width}" y2="{height - 0.5}" stroke="#ced4da"/>']
    for i, fig in enumerate(weekly):
        x = round(i * (bar + gap), 1)
        if fig.share is None:
            parts.append(f'<rect x="{x}" y="{height - 3}" width="{bar:.1f}" height="3" fill="#dee2e6"/>')
            continue
        h = max(2.0, round(fig.share * (height - 2), 1))
        color = "#198754" if fig.share >= 0.9 else "#ffc107" if fig.share >= 0.7 else "#dc3545"
        parts.append(f'<rect x="{x}" y="{height - h}" width="{bar:.1f}" height="{h}" fill="{color}">'
                     f'<title>{round(fig.share * 100)}% ({fig.within_sla}/{fig.decided})</title></rect>')
    parts.append("</svg>")
    return Markup("".join(parts))
