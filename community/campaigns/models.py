"""Crowdfunding campaigns tied to accepted proposals, and the owners' pledges (one active per vehicle)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, text

from community.dbtypes import UTCDateTime, utcnow
from community.extensions import db

STATUS_LABELS = {
    "draft": _l("Draft"), "scheduled": _l("Scheduled"), "open": _l("Open"), "succeeded": _l("Succeeded"),
    "failed": _l("Did not reach its target"), "cancelled": _l("Cancelled"),
}
PLEDGE_STATUSES = ("active", "cancelled")


class Campaign(db.Model):
    """A time-boxed crowdfunding with an eligibility rule.

    The window is ``opens_at <= t < closes_at + 1 s``: ``closes_at`` is the last second that still
    counts (24 Dec 23:59:59 Asia/Shanghai), so a pledge at 23:59:59.7 is in and one at 00:00:00 is out.
    ``pledge_count`` is the number of active pledges, moved only by conditional UPDATEs in the service;
    the CHECK constraints make an over-cap or negative count impossible even for a buggy writer.
    """

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("target > 0", name="target"),
        CheckConstraint("cap is null or cap > 0", name="cap"),
        CheckConstraint("pledge_count >= 0 and (cap is null or pledge_count <= cap)", name="pledge_count"),
        CheckConstraint("price_cny > 0", name="price"),
        CheckConstraint("closes_at > opens_at", name="window"),
        Index("ix_campaigns_listing", "opens_at", "id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    proposal_id = db.Column(db.Integer, db.ForeignKey("proposals.id"), nullable=False, index=True)
    title_zh = db.Column(db.String(120))
    title_en = db.Column(db.String(120))
    description_zh = db.Column(db.Text)
    description_en = db.Column(db.Text)
    description_zh_html = db.Column(db.Text)  # rendered + sanitised at write time
    description_en_html = db.Column(db.Text)
    price_cny = db.Column(db.Numeric(12, 2), nullable=False)
    target = db.Column(db.Integer, nullable=False)
    cap = db.Column(db.Integer)
    opens_at = db.Column(UTCDateTime, nullable=False)
    closes_at = db.Column(UTCDateTime, nullable=False)  # inclusive: the last second pledges are accepted
    # Eligibility rule; an empty list means "any".
    models = db.Column(db.JSON, nullable=False, default=list)
    model_years = db.Column(db.JSON, nullable=False, default=list)
    hardware_required = db.Column(db.JSON, nullable=False, default=list)
    hardware_excluded = db.Column(db.JSON, nullable=False, default=list)
    verified_only = db.Column(db.Boolean, nullable=False, default=True, server_default=text("true"))
    pledge_count = db.Column(db.Integer, nullable=False, default=0, server_default=text("0"))
    published_at = db.Column(UTCDateTime)  # null: a draft only moderators see
    cancelled_at = db.Column(UTCDateTime)
    cancel_reason = db.Column(db.String(500))
    # Claimed by a conditional UPDATE before the milestone is written: what makes "exactly once" hold.
    opened_noted_at = db.Column(UTCDateTime)
    closed_noted_at = db.Column(UTCDateTime)
    # Claimed the same way before the "closes within 48 hours" notice goes to the proposal's followers.
    closing_noted_at = db.Column(UTCDateTime)
    final_count = db.Column(db.Integer)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    proposal = db.relationship("Proposal", lazy="joined")

    @property
    def ends_before(self) -> datetime:
        """The first instant that is no longer in the window (closes_at + 1 s)."""
        return self.closes_at + timedelta(seconds=1)

    def status_at(self, now: datetime) -> str:
        """draft | scheduled | open | succeeded | failed | cancelled, derived from ``now`` and the count."""
        if self.cancelled_at is not None:
            return "cancelled"
        if self.published_at is None:
            return "draft"
        if now < self.opens_at:
            return "scheduled"
        if now < self.ends_before:
            return "open"
        return "succeeded" if self.pledge_count >= self.target else "failed"

    def _pick(self, zh, en):
        lang = str(get_locale() or "zh")[:2]
        first, second = (en, zh) if lang == "en" else (zh, en)
        return first or second or ""

    @property
    def title(self) -> str:
        return self._pick(self.title_zh, self.title_en)

    @property
    def description_html(self) -> str:
        return self._pick(self.description_zh_html, self.description_en_html)

    @property
    def progress_percent(self) -> int:
        return min(100, round(100 * self.pledge_count / self.target)) if self.target else 0

    def __repr__(self) -> str:
        return f"<Campaign {self.id} proposal={self.proposal_id} pledges={self.pledge_count}/{self.target}>"


class Pledge(db.Model):
    """One owner's pledge for one vehicle. Cancelling keeps the row (status ``cancelled``) for the
    dashboard; pledging again inserts a new row. Only one *active* pledge per (campaign, vehicle):
    a partial unique index, so a double submit or a race ends in an IntegrityError, never two rows.

    Model, model year and masked VIN are copied at pledge time: the export shows the car as pledged.
    """

    __tablename__ = "pledges"
    __table_args__ = (
        CheckConstraint("status in ('active','cancelled')", name="status"),
        CheckConstraint("(status = 'cancelled') = (cancelled_at is not null)", name="cancelled_at"),
        Index("uq_pledges_active_vehicle", "campaign_id", "vehicle_id", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
        Index("ix_pledges_campaign", "campaign_id", "created_at"),
        # The pledging user must own the vehicle (vehicles has a unique (id, owner_id) for this).
        ForeignKeyConstraint(["vehicle_id", "user_id"], ["vehicles.id", "vehicles.owner_id"],
                             name="fk_pledges_vehicle_owner"),
    )

    id = db.Column(db.Integer, primary_key=True)
    campaign_id = db.Column(db.Integer, db.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)
    vehicle_id = db.Column(db.Integer, db.ForeignKey("vehicles.id"), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    status = db.Column(db.String(16), nullable=False, default="active")
    model = db.Column(db.String(16), nullable=False)
    model_year = db.Column(db.Integer, nullable=False)
    masked_vin = db.Column(db.String(17), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    cancelled_at = db.Column(UTCDateTime)

    campaign = db.relationship("Campaign", lazy="joined")
    user = db.relationship("User", lazy="joined", foreign_keys=[user_id])

    @property
    def is_active(self) -> bool:
        return self.status == "active"
