"""Roadmap items (产品更新计划): announced product updates with a planned window, a state and a public history."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Index

from community.dbtypes import UTCDateTime, utcnow
from community.extensions import db
from community.util import in_viewer_language as _pick

KINDS = {"ota": _l("OTA software update"), "hardware": _l("Hardware"), "new_model": _l("New model"),
         "service": _l("Service")}
STATES = {"planned": _l("Planned"), "in_development": _l("In development"), "released": _l("Released"),
          "postponed": _l("Postponed"), "cancelled": _l("Cancelled")}
_in = lambda values: ",".join(f"'{v}'" for v in values)  # noqa: E731


class RoadmapItem(db.Model):
    """One announced update. The window is a quarter ("2026-Q1") or a month ("2026-03"), never a day;
    ``window_sort`` (YYYYMM of its first month) orders and groups items. ``original_window`` is the
    window first announced and is never changed: a postponement moves ``window`` only."""

    __tablename__ = "roadmap_items"
    __table_args__ = (
        CheckConstraint(f"kind in ({_in(KINDS)})", name="kind"),
        CheckConstraint(f"state in ({_in(STATES)})", name="state"),
        CheckConstraint("title_zh is not null or title_en is not null", name="has_title"),
        Index("ix_roadmap_items_window", "window_sort", "id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    title_zh = db.Column(db.String(120))
    title_en = db.Column(db.String(120))
    description_zh = db.Column(db.Text)
    description_en = db.Column(db.Text)
    description_zh_html = db.Column(db.Text)  # rendered + sanitised at write time
    description_en_html = db.Column(db.Text)
    kind = db.Column(db.String(16), nullable=False)
    models = db.Column(db.JSON, nullable=False, default=list)  # empty: every model
    model_years = db.Column(db.JSON, nullable=False, default=list)  # empty: every model year
    window = db.Column(db.String(7), nullable=False)
    window_sort = db.Column(db.Integer, nullable=False)
    original_window = db.Column(db.String(7), nullable=False)
    state = db.Column(db.String(16), nullable=False, default="planned")
    state_reason = db.Column(db.String(500))  # why postponed / cancelled (the latest entry's reason)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    entries = db.relationship("RoadmapEntry", order_by="RoadmapEntry.occurred_at.desc(), RoadmapEntry.id.desc()",
                              lazy="selectin", back_populates="item")
    links = db.relationship("RoadmapLink", lazy="selectin", cascade="all, delete-orphan")

    @property
    def title(self) -> str:
        return _pick(self.title_zh, self.title_en)

    @property
    def description_html(self) -> str:
        return _pick(self.description_zh_html, self.description_en_html)

    @property
    def kind_label(self) -> str:
        return str(KINDS.get(self.kind, self.kind))

    @property
    def state_label(self) -> str:
        return str(STATES.get(self.state, self.state))

    @property
    def moved(self) -> bool:
        return self.window != self.original_window

    def __repr__(self) -> str:
        return f"<RoadmapItem {self.id} {self.state} {self.window}>"


class RoadmapEntry(db.Model):
    """A dated public entry of an item's history: created, or a state change (with the window it left
    the item in and, for postponed/cancelled, the reason). Never edited."""

    __tablename__ = "roadmap_entries"
    __table_args__ = (
        CheckConstraint(f"state_to in ({_in(STATES)})", name="state_to"),
        CheckConstraint("state_to not in ('postponed','cancelled') or reason is not null", name="reason"),
        Index("ix_roadmap_entries_item", "item_id", "occurred_at", "id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    item_id = db.Column(db.Integer, db.ForeignKey("roadmap_items.id", ondelete="CASCADE"), nullable=False)
    state_from = db.Column(db.String(16))  # null: the item was published
    state_to = db.Column(db.String(16), nullable=False)
    window_from = db.Column(db.String(7))
    window_to = db.Column(db.String(7), nullable=False)
    reason = db.Column(db.String(500))
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    occurred_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    item = db.relationship("RoadmapItem", back_populates="entries")
    actor = db.relationship("User", lazy="joined")

    @property
    def state_label(self) -> str:
        return str(STATES.get(self.state_to, self.state_to))


class RoadmapLink(db.Model):
    """An item answers a proposal (many to many)."""

    __tablename__ = "roadmap_links"

    item_id = db.Column(db.Integer, db.ForeignKey("roadmap_items.id", ondelete="CASCADE"), primary_key=True)
    proposal_id = db.Column(db.Integer, db.ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True,
                            index=True)

    proposal = db.relationship("Proposal", lazy="joined")
