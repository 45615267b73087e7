"""Stores, mystery-shopper reports with one rubric line per pledge item, their photos and findings.

A rubric line's ``score`` is 1..5, or NULL for "not observed". A report's ``score`` (0..100) and
``visit_month`` (YYYY-MM of the visit in DEFAULT_TIMEZONE) are fixed when it is submitted; see
community.shopper.rubric for the arithmetic.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text

from community.dbtypes import UTCDateTime, utcnow
from community.extensions import db

STORE_KINDS = {"sales": _l("Sales store"), "service": _l("Service centre"), "delivery": _l("Delivery centre")}
VISIT_KINDS = {"test_drive": _l("Test drive"), "purchase": _l("Purchase consultation"),
               "service": _l("Service visit"), "delivery": _l("Delivery")}
REPORT_STATUSES = {"draft": _l("Draft"), "submitted": _l("Submitted")}
FINDING_ROUTES = ("pledge_item", "router")
MAX_PHOTOS = 5
_in = lambda values: ",".join(f"'{v}'" for v in values)  # noqa: E731


class Store(db.Model):
    """A sales or service location. ``staff_names`` (list of str) are redacted from reports' text."""

    __tablename__ = "stores"
    __table_args__ = (
        CheckConstraint(f"kind in ({_in(STORE_KINDS)})", name="kind"),
        CheckConstraint("name <> '' and city <> ''", name="named"),
        UniqueConstraint("city", "name", name="uq_stores_city_name"),
    )

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(120), nullable=False)
    city = db.Column(db.String(60), nullable=False, index=True)
    kind = db.Column(db.String(16), nullable=False)
    staff_names = db.Column(db.JSON, nullable=False, default=list)
    is_active = db.Column(db.Boolean, nullable=False, default=True, server_default=text("true"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    @property
    def kind_label(self) -> str:
        return str(STORE_KINDS.get(self.kind, self.kind))


class ShopperReport(db.Model):
    """A mystery-shopper report: a draft its author may edit, then submitted and read-only."""

    __tablename__ = "shopper_reports"
    __table_args__ = (
        CheckConstraint(f"status in ({_in(REPORT_STATUSES)})", name="status"),
        CheckConstraint(f"visit_kind is null or visit_kind in ({_in(VISIT_KINDS)})", name="visit_kind"),
        CheckConstraint("score is null or (score >= 0 and score <= 100)", name="score"),
        CheckConstraint("status = 'draft' or (visited_at is not null and visit_kind is not null "
                        "and submitted_at is not null and visit_month is not null)", name="submitted_complete"),
        # Scorecards group submitted reports by store and month; the internal list pages newest first.
        Index("ix_shopper_reports_store_month", "store_id", "status", "visit_month"),
        Index("ix_shopper_reports_submitted", "status", "submitted_at", "id"),
        Index("ix_shopper_reports_author", "shopper_id", "updated_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    store_id = db.Column(db.Integer, db.ForeignKey("stores.id"), nullable=False)
    shopper_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    status = db.Column(db.String(16), nullable=False, default="draft")
    visited_at = db.Column(UTCDateTime)
    visit_kind = db.Column(db.String(16))
    narrative = db.Column(db.Text, nullable=False, default="")
    score = db.Column(db.Float)
    visit_month = db.Column(db.String(7))
    submitted_at = db.Column(UTCDateTime)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    store = db.relationship("Store", lazy="joined")
    shopper = db.relationship("User", lazy="joined")
    lines = db.relationship("RubricLine", back_populates="report", cascade="all, delete-orphan",
                            order_by="RubricLine.id", lazy="selectin")
    photos = db.relationship("ReportPhoto", back_populates="report", order_by="ReportPhoto.id", lazy="selectin")
    findings = db.relationship("Finding", back_populates="report", order_by="Finding.id", lazy="selectin")

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def visit_kind_label(self) -> str:
        return str(VISIT_KINDS.get(self.visit_kind, self.visit_kind or ""))

    @property
    def status_label(self) -> str:
        return str(REPORT_STATUSES.get(self.status, self.status))


class RubricLine(db.Model):
    """One line of a report: a pledge item's score (NULL = not observed), or, with ``pledge_item_id``
    NULL, the general line for observations no pledge item covers (never scored)."""

    __tablename__ = "shopper_rubric_lines"
    __table_args__ = (
        CheckConstraint("score is null or (score >= 1 and score <= 5)", name="score"),
        CheckConstraint("pledge_item_id is not null or score is null", name="general_unscored"),
        UniqueConstraint("report_id", "pledge_item_id", name="uq_rubric_line_item"),
        Index("ix_rubric_lines_item", "pledge_item_id", "report_id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    report_id = db.Column(db.Integer, db.ForeignKey("shopper_reports.id", ondelete="CASCADE"), nullable=False)
    pledge_item_id = db.Column(db.Integer, db.ForeignKey("pledge_items.id"))
    score = db.Column(db.SmallInteger)
    comment = db.Column(db.Text, nullable=False, default="")
    is_issue = db.Column(db.Boolean, nullable=False, default=False, server_default=text("false"))

    report = db.relationship("ShopperReport", back_populates="lines")
    pledge_item = db.relationship("PledgeItem", lazy="joined")


class ReportPhoto(db.Model):
    """A photo re-encoded without metadata, stored under instance/ (never under static/)."""

    __tablename__ = "shopper_photos"
    __table_args__ = (CheckConstraint("content_type in ('image/jpeg','image/png')", name="content_type"),)

    id = db.Column(db.Integer, primary_key=True)
    report_id = db.Column(db.Integer, db.ForeignKey("shopper_reports.id", ondelete="CASCADE"), nullable=False,
                          index=True)
    stored_name = db.Column(db.String(64), nullable=False, unique=True)
    content_type = db.Column(db.String(16), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    width = db.Column(db.Integer, nullable=False)
    height = db.Column(db.Integer, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    report = db.relationship("ShopperReport", back_populates="photos")


class Finding(db.Model):
    """A rubric line that became a feedback item (scored 1-2, or marked as an issue): the link both ways.

    Written before the feedback item (``feedback_id`` NULL) so a retry after a crash files what is missing
    exactly once per line.
    """

    __tablename__ = "shopper_findings"
    __table_args__ = (
        CheckConstraint(f"routed_by in ({_in(FINDING_ROUTES)})", name="routed_by"),
        UniqueConstraint("rubric_line_id", name="uq_finding_line"),
    )

    id = db.Column(db.Integer, primary_key=True)
    report_id = db.Column(db.Integer, db.ForeignKey("shopper_reports.id", ondelete="CASCADE"), nullable=False,
                          index=True)
    rubric_line_id = db.Column(db.Integer, db.ForeignKey("shopper_rubric_lines.id", ondelete="CASCADE"),
                               nullable=False)
    feedback_id = db.Column(db.Integer, db.ForeignKey("feedback_items.id"), unique=True)
    routed_by = db.Column(db.String(16), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    report = db.relationship("ShopperReport", back_populates="findings")
    line = db.relationship("RubricLine", lazy="joined")
    feedback = db.relationship("FeedbackItem", lazy="joined")
