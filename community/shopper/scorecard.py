"""Store and city scorecards from submitted reports (arithmetic: community.shopper.rubric).

Aggregated in the database (grouped averages over the indexed store/status/month columns), so a page
costs a few grouped queries whatever the number of reports. Only aggregates leave this module: no
narrative, comment, photo or shopper is ever read here, which is what makes the public pages safe.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import func, select

from community import csvexport
from community.dbtypes import utcnow
from community.extensions import db
from community.pledge import service as pledge
from community.shopper import rubric
from community.shopper.models import RubricLine, ShopperReport, Store

MONTHS = 6

R, L = ShopperReport, RubricLine


def months(now: datetime | None = None, n: int = MONTHS) -> list[str]:
    """The last ``n`` calendar months (YYYY-MM, platform zone), oldest first, ending with the current one."""
    local = (now or utcnow()).astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"]))
    year, month = local.year, local.month
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


@dataclass
class Card:
    """One store's or city's figures. ``monthly`` and each ``items`` list align with the page's months."""

    key: object
    monthly: list[float | None]
    items: dict[int, list[float | None]] = field(default_factory=dict)
    current: float | None = None
    reports: int = 0
    trend: float | None = None
    rank: int | None = None


def _points(avg_score) -> float | None:
    return None if avg_score is None else round((float(avg_score) - 1) * 25, 1)


def _cards(group, keys: list, span: list[str]) -> dict:
    """Figures per key of ``group`` (Store.id or Store.city) over the months ``span``."""
    index = {m: i for i, m in enumerate(span)}
    cards = {k: Card(k, [None] * len(span)) for k in keys}
    submitted = (R.status == "submitted", R.visit_month.in_(span))
    rows = db.session.execute(select(group, R.visit_month, func.avg(R.score)).join(Store, Store.id == R.store_id)
                              .where(*submitted, R.score.is_not(None)).group_by(group, R.visit_month))
    for key, month, avg in rows:
        if key in cards:
            cards[key].monthly[index[month]] = round(float(avg), 1)
    rows = db.session.execute(select(group, R.visit_month, L.pledge_item_id, func.avg(L.score))
                              .join(R, R.id == L.report_id).join(Store, Store.id == R.store_id)
                              .where(*submitted, L.score.is_not(None))
                              .group_by(group, R.visit_month, L.pledge_item_id))
    for key, month, item_id, avg in rows:
        if key in cards:
            cards[key].items.setdefault(item_id, [None] * len(span))[index[month]] = _points(avg)
    recent = span[-rubric.CURRENT_MONTHS:]
    rows = db.session.execute(select(group, func.avg(R.score), func.count(R.id)).join(Store, Store.id == R.store_id)
                              .where(R.status == "submitted", R.visit_month.in_(recent)).group_by(group))
    for key, avg, count in rows:
        if key in cards:
            cards[key].current = None if avg is None else round(float(avg), 1)
            cards[key].reports = int(count)
    for card in cards.values():
        card.trend = rubric.trend(card.monthly)
    for key, rank in rubric.ranks({k: c.current for k, c in cards.items()}).items():
        cards[key].rank = rank
    return cards


def store_cards(now: datetime | None = None, span: list[str] | None = None) -> dict[int, Card]:
    """{store id: Card} for every active store; ranks are among active stores."""
    stores = db.session.scalars(select(Store.id).where(Store.is_active.is_(True)))
    return _cards(Store.id, list(stores), span or months(now))


def city_cards(now: datetime | None = None, span: list[str] | None = None) -> dict[str, Card]:
    cities = db.session.scalars(select(Store.city).where(Store.is_active.is_(True)).distinct())
    return _cards(Store.city, sorted(cities), span or months(now))


def ranked(cards: dict) -> list[Card]:
    """Cards by rank (unranked last, then by key)."""
    return sorted(cards.values(), key=lambda c: (c.rank is None, c.rank or 0, str(c.key)))


def chart_svg(span: list[str], store: list[float | None], city: list[float | None], title: str,
              store_label: str, city_label: str, *, labels: list[str] | None = None, axes: tuple[str, str] = ("", ""),
              described_by: str = "") -> Markup:
    """The store's monthly score (solid) against its city's (dashed) on a 0-100 scale. Server-side SVG,
    no script; every text escaped. Months without a score leave a gap in the line.

    ``labels``: the months as the viewer reads them (default the ``YYYY-MM`` keys); ``axes``: the x and y axis
    titles; ``described_by``: the id of the table with the same figures (the chart's text alternative)."""
    labels = labels or span
    w, h, left, right, top, bottom = 560, 216, 48, 12, 12, 56
    plot_w, plot_h = w - left - right, h - top - bottom
    step = plot_w / max(len(span) - 1, 1)

    def x(i: int) -> float:
        return left + i * step

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / 100

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" class="w-100 shopper-chart" '
             f'aria-label="{escape(title)}"'
             + (f' aria-describedby="{escape(described_by)}"' if described_by else "")
             + f'><title>{escape(title)}</title>']
    x_title, y_title = axes
    if y_title:
        parts.append(f'<text x="12" y="{top + plot_h / 2:.1f}" font-size="11" text-anchor="middle" class="axis-title" '
                     f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{escape(y_title)}</text>')
    if x_title:
        parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{h - bottom + 32}" font-size="11" text-anchor="middle" '
                     f'class="axis-title">{escape(x_title)}</text>')
    for v in (0, 50, 100):
        parts.append(f'<line x1="{left}" y1="{y(v):.1f}" x2="{w - right}" y2="{y(v):.1f}" stroke="#dee2e6"/>'
                     f'<text x="{left - 4}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end">{v}</text>')
    for i, label in enumerate(labels):
        # The outermost labels hang inwards so they are not clipped at the chart's edges.
        anchor = "start" if i == 0 and len(span) > 1 else "end" if i == len(span) - 1 and i else "middle"
        parts.append(f'<text x="{x(i):.1f}" y="{h - bottom + 16}" font-size="11" text-anchor="{anchor}">'
                     f'{escape(label)}</text>')

    def line(values, colour, dash=""):
        segments, current = [], []
        for i, v in enumerate(values):
            if v is None:
                if current:
                    segments.append(current)
                current = []
            else:
                current.append(f"{x(i):.1f},{y(v):.1f}")
        if current:
            segments.append(current)
        for seg in segments:
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{" ".join(seg)}"/>')
        for i, v in enumerate(values):
            if v is not None:
                parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}">'
                             f'<title>{escape(labels[i])}: {v}</title></circle>')

    line(city, "#adb5bd", ' stroke-dasharray="5 4"')
    line(store, "#0d6efd")
    parts.append(f'<text x="{left}" y="{h - 6}" font-size="11" fill="#0d6efd">— {escape(store_label)}</text>'
                 f'<text x="{left + 200}" y="{h - 6}" font-size="11" fill="#6c757d">- - {escape(city_label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


CSV_HEADER = ["store_id", "store", "city", "kind", "month", "pledge_item_id", "pledge_item", "observations",
              "score_0_100"]


def csv_lines(locale: str = "zh") -> Iterator[str]:
    """Every store's score per month: one overall row (pledge item empty; observations = scored reports)
    and one row per pledge item (observations = observed lines), all months, oldest first."""
    texts = {p.id: p.text(locale) for p in pledge.pledge_items(active_only=False)}
    stores = {s.id: s for s in db.session.scalars(select(Store))}
    overall = db.session.execute(select(R.store_id, R.visit_month, func.count(R.score), func.avg(R.score))
                                 .where(R.status == "submitted", R.score.is_not(None))
                                 .group_by(R.store_id, R.visit_month))
    items = db.session.execute(select(R.store_id, R.visit_month, L.pledge_item_id, func.count(L.score),
                                      func.avg(L.score)).join(R, R.id == L.report_id)
                               .where(R.status == "submitted", L.score.is_not(None))
                               .group_by(R.store_id, R.visit_month, L.pledge_item_id))
    rows = [(sid, month, None, n, round(float(avg), 1)) for sid, month, n, avg in overall]
    rows += [(sid, month, item, n, _points(avg)) for sid, month, item, n, avg in items]
    rows.sort(key=lambda r: (r[0], r[1], r[2] is not None, r[2] or 0))
    return csvexport.csv_lines(CSV_HEADER, ([sid, stores[sid].name, stores[sid].city, stores[sid].kind, month, item,
                                             texts.get(item, "") if item else "", n, score]
                                            for sid, month, item, n, score in rows), bom=True)
