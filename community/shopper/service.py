"""Mystery-shopper report rules: drafts, photos, submission, redaction for readers, and findings.

Who sees what (one set of predicates for views, templates and the API-to-be):
  the author        their drafts (editable) and their submitted reports (read-only), as written
  moderators        every submitted report as written, photos included
  team agents       every submitted report with personal data redacted, photos included
  everyone else     only the public scorecards' aggregates (community.shopper.scorecard)
Findings go through community.feedback.service.submit, so the feedback rules (SLA clock, triage when
unsure) are written once. Each write commits its own unit of work.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, update

from community.dates import format_date
from community.dbtypes import utcnow
from community.errors import Conflict, NotFound, ValidationError
from community.extensions import db
from community.feedback import routing_service
from community.feedback import service as feedback
from community.feedback.models import MAX_TEXT
from community.pledge import service as pledge
from community.security import has_role
from community.shopper import photos, rubric
from community.shopper.models import MAX_PHOTOS, VISIT_KINDS, Finding, ReportPhoto, RubricLine, ShopperReport
from community.shopper.redact import redact
from community.util import cursor_values

MAX_NARRATIVE = 20000
MAX_COMMENT = 2000
FUTURE_SLACK = timedelta(minutes=10)
OLDEST_VISIT = timedelta(days=366)  # a typo in the year must not file a report into a long-gone month


# ---- permissions ----

def can_file(user) -> bool:
    return has_role(user, "mystery_shopper")


def can_read_internal(user) -> bool:
    """Moderators and team agents read full submitted reports (agents with personal data redacted)."""
    return has_role(user, "moderator", "team_agent")


def sees_unredacted(user, report: ShopperReport) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        report.shopper_id == user.id or has_role(user, "moderator"))


def can_read(user, report: ShopperReport) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if report.shopper_id == user.id:
        return True
    return not report.is_draft and can_read_internal(user)


def get_report(report_id: int) -> ShopperReport:
    report = db.session.get(ShopperReport, report_id)
    if report is None:
        raise NotFound(_("No such report."))
    return report


def get_readable(report_id: int, user) -> ShopperReport:
    """The report if ``user`` may read it; NotFound otherwise (ids of others' drafts reveal nothing)."""
    report = get_report(report_id)
    if not can_read(user, report):
        raise NotFound(_("No such report."))
    return report


def get_own_draft(report_id: int, user) -> ShopperReport:
    """The author's own report; Conflict once submitted (read-only), NotFound for anyone else's."""
    report = get_report(report_id)
    if report.shopper_id != getattr(user, "id", None):
        raise NotFound(_("No such report."))
    if not report.is_draft:
        raise Conflict(_("This report has been submitted and is read-only."))
    return report


# ---- redaction for readers ----

def redaction_labels() -> dict[str, str]:
    return {"phone": _("[phone]"), "id_number": _("[ID number]"), "plate": _("[licence plate]"),
            "vin": _("[VIN]"), "email": _("[e-mail]"), "wechat": _("[WeChat id]"), "staff": _("[staff]")}


def readable_text(text: str, report: ShopperReport, user) -> str:
    """``text`` of ``report`` as ``user`` may read it: as written for the author and moderators, else redacted."""
    if sees_unredacted(user, report):
        return text or ""
    return redact(text, report.store.staff_names or [], redaction_labels())


# ---- drafts ----

@dataclass
class LineInput:
    score: int | None = None
    comment: str = ""
    is_issue: bool = False


@dataclass
class ReportInput:
    """What a shopper typed. ``visited_at`` is an aware UTC instant; ``lines`` maps a pledge item id
    (None: the general line) to its input."""

    store_id: int | None
    visited_at: datetime | None = None
    visit_kind: str | None = None
    narrative: str = ""
    lines: dict[int | None, LineInput] = field(default_factory=dict)


def rubric_items():
    """The pledge items a new report is scored against: every active one, in the pledge's order."""
    return pledge.pledge_items(active_only=True)


def _validate(data: ReportInput, now: datetime, item_ids: set[int]) -> dict[str, str]:
    from community.shopper.models import Store

    errors = {}
    store = db.session.get(Store, data.store_id) if data.store_id else None
    if store is None or not store.is_active:
        errors["store_id"] = _("Choose a store.")
    if data.visit_kind is not None and data.visit_kind not in VISIT_KINDS:
        errors["visit_kind"] = _("Choose the kind of visit.")
    if data.visited_at is not None and data.visited_at > now + FUTURE_SLACK:
        errors["visited_at"] = _("The visit cannot be in the future.")
    elif data.visited_at is not None and data.visited_at < now - OLDEST_VISIT:
        errors["visited_at"] = _("Reports are for visits of the last 12 months.")
    if len(data.narrative or "") > MAX_NARRATIVE:
        errors["narrative"] = _("At most %(n)d characters.", n=MAX_NARRATIVE)
    for item_id, line in data.lines.items():
        name = f"score_{item_id}" if item_id is not None else "general"
        if item_id is not None and item_id not in item_ids:
            errors[name] = _("This pledge item is no longer in the rubric.")
        elif line.score is not None and (item_id is None or line.score not in rubric.SCORES):
            errors[name] = _("Score 1 to 5, or not observed.")
        if len(line.comment or "") > MAX_COMMENT:
            errors[f"comment_{item_id or 'general'}"] = _("At most %(n)d characters.", n=MAX_COMMENT)
    return errors


def save_draft(report: ShopperReport | None, shopper, data: ReportInput, now: datetime | None = None
               ) -> ShopperReport:
    """Create (``report`` None) or update a draft; commits. Raises PermissionDenied-like NotFound for
    someone else's report, Conflict once submitted, ValidationError with form field names."""
    now = now or utcnow()
    if report is not None:
        report = get_own_draft(report.id, shopper)
    existing = {line.pledge_item_id for line in report.lines} if report else set()
    errors = _validate(data, now, {p.id for p in rubric_items()} | (existing - {None}))
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), errors)
    if report is None:
        report = ShopperReport(shopper_id=shopper.id, status="draft", created_at=now)
        db.session.add(report)
    report.store_id, report.visited_at, report.visit_kind = data.store_id, data.visited_at, data.visit_kind
    report.narrative, report.updated_at = (data.narrative or "").strip(), now
    by_item = {line.pledge_item_id: line for line in report.lines}
    for item_id, given in data.lines.items():
        line = by_item.get(item_id)
        if line is None:
            line = RubricLine(pledge_item_id=item_id)
            report.lines.append(line)
        line.score = given.score if item_id is not None else None
        line.comment, line.is_issue = (given.comment or "").strip(), bool(given.is_issue)
    db.session.commit()
    return report


def add_photo(report: ShopperReport, shopper, filename: str, stream, now: datetime | None = None) -> ReportPhoto:
    """Check, clean and keep one photo of a draft; commits. Raises ValidationError (field ``photos``):
    too many, too large, not a JPEG/PNG by content."""
    report = get_own_draft(report.id, shopper)
    message = _("At most %(n)d photos per report; %(name)s was not added.", n=MAX_PHOTOS, name=filename or "")
    # Parallel uploads must not pass the limit together: on PostgreSQL a row lock on the report
    # serialises them; on SQLite the single writer does, with the count taken after our insert.
    db.session.execute(select(ShopperReport.id).where(ShopperReport.id == report.id).with_for_update())
    if _photo_count(report.id) >= MAX_PHOTOS:
        db.session.rollback()
        raise ValidationError(message, {"photos": message})
    image = photos.clean(filename, stream)
    try:
        stored = photos.store(image)
    except Exception:  # storage unreachable: give the row lock back before the error page
        db.session.rollback()
        raise
    photo = ReportPhoto(report_id=report.id, stored_name=stored, content_type=image.content_type,
                        size=len(image.data), width=image.width, height=image.height, created_at=now or utcnow())
    db.session.add(photo)
    try:
        db.session.flush()
        if _photo_count(report.id) > MAX_PHOTOS:
            raise ValidationError(message, {"photos": message})
        db.session.commit()
    except Exception:
        db.session.rollback()
        photos.remove(stored)
        raise
    return photo


def _photo_count(report_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(ReportPhoto).where(ReportPhoto.report_id == report_id))


def delete_photo(report: ShopperReport, shopper, photo_id: int) -> None:
    report = get_own_draft(report.id, shopper)
    photo = next((p for p in report.photos if p.id == photo_id), None)
    if photo is None:
        raise NotFound(_("No such photo."))
    stored = photo.stored_name
    db.session.delete(photo)
    db.session.commit()
    photos.remove(stored)


def get_photo(photo_id: int, user) -> ReportPhoto:
    """A photo for the author, moderators and team agents (of a submitted report); NotFound for anyone else."""
    photo = db.session.get(ReportPhoto, photo_id)
    if photo is None or not can_read(user, photo.report):
        raise NotFound(_("No such photo."))
    return photo


# ---- submission and findings ----

def visit_month(instant: datetime) -> str:
    """YYYY-MM of ``instant`` in the platform's zone (DEFAULT_TIMEZONE): the scorecards' month."""
    return instant.astimezone(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])).strftime("%Y-%m")


def submit(report: ShopperReport, shopper, now: datetime | None = None) -> list[Finding]:
    """Submit a complete draft: its score and month are fixed, it becomes read-only, and its findings
    are filed as routed feedback. Returns the findings. Raises NotFound (not the author), Conflict
    (already submitted), ValidationError (no visit time or kind; an issue mark without a comment)."""
    now = now or utcnow()
    report = get_own_draft(report.id, shopper)
    errors = {}
    if report.visited_at is None:
        errors["visited_at"] = _("When was the visit?")
    if report.visit_kind is None:
        errors["visit_kind"] = _("Choose the kind of visit.")
    for line in report.lines:
        if line.is_issue and not line.comment:
            errors[f"comment_{line.pledge_item_id or 'general'}"] = _("Say what the issue is.")
    if errors:
        raise ValidationError(_("The report is not complete yet."), errors)
    score = rubric.report_score(line.score for line in report.lines if line.pledge_item_id is not None)
    done = db.session.execute(
        update(ShopperReport).where(ShopperReport.id == report.id, ShopperReport.status == "draft")
        .values(status="submitted", submitted_at=now, updated_at=now, score=score,
                visit_month=visit_month(report.visited_at))
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        db.session.rollback()
        raise Conflict(_("This report has been submitted and is read-only."))
    for line in report.lines:
        if rubric.is_finding(line.score, line.is_issue):
            routed_by = "pledge_item" if _owning_team(line) else "router"
            db.session.add(Finding(report_id=report.id, rubric_line_id=line.id, routed_by=routed_by, created_at=now))
    db.session.commit()
    db.session.refresh(report)
    file_findings(report, now)
    return list(report.findings)


def _owning_team(line: RubricLine):
    item = line.pledge_item
    return pledge.team_by_slug(item.team.slug) if item is not None else None


def _finding_text(report: ShopperReport, line: RubricLine) -> str:
    zone = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    labels = redaction_labels()
    head = _("Mystery-shopper finding, report #%(id)d: %(store)s (%(city)s), visit on %(day)s",
             id=report.id, store=report.store.name, city=report.store.city,
             day=format_date(report.visited_at, str(_locale()), zone.key))
    parts = [head]
    if line.pledge_item is not None:
        parts.append(_("Pledge item: %(text)s", text=line.pledge_item.text(str(_locale()))))
    if line.score is not None:
        parts.append(_("Score: %(s)d of 5", s=line.score))
    if line.comment:
        parts.append(redact(line.comment, report.store.staff_names or [], labels))
    parts.append(_("Full report: %(path)s", path=report_path(report.id)))
    return "\n".join(parts)[:MAX_TEXT]


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "zh")[:2]


def report_path(report_id: int) -> str:
    """The report's page as a site-relative path (the findings' feedback text links back to it)."""
    return f"/shopper/reports/{report_id}"


def file_findings(report: ShopperReport, now: datetime | None = None) -> int:
    """File every finding of ``report`` not yet filed as feedback; idempotent. Returns how many were filed.

    The owning team is the pledge item's (when it has an active team); otherwise the router decides on the
    redacted comment, and an unsure router leaves the item in triage, as for any feedback.
    """
    filed = 0
    for finding in report.findings:
        if finding.feedback_id is not None:
            continue
        line = finding.line
        text = _finding_text(report, line)
        team = _owning_team(line)
        if team is not None:
            routing = routing_service.Routing(team.slug)
        else:
            basis = redact(line.comment, report.store.staff_names or [], redaction_labels()) or text
            routing = routing_service.route(basis)
        item = feedback.submit(report.shopper, text, "store", routing=routing, now=now or report.submitted_at)
        db.session.execute(update(Finding).where(Finding.id == finding.id, Finding.feedback_id.is_(None))
                           .values(feedback_id=item.id, routed_by="pledge_item" if team else "router"))
        db.session.commit()
        filed += 1
    if filed:
        db.session.refresh(report)
    return filed


def unfiled_reports() -> list[ShopperReport]:
    """Submitted reports with a finding not filed yet (a crash between the two commits)."""
    ids = select(Finding.report_id).where(Finding.feedback_id.is_(None)).distinct()
    return list(db.session.scalars(select(ShopperReport).where(ShopperReport.id.in_(ids))))


def finding_for_feedback(feedback_id: int) -> Finding | None:
    return db.session.scalar(select(Finding).where(Finding.feedback_id == feedback_id))


# ---- lists ----

def my_reports(user, limit: int = 100) -> list[ShopperReport]:
    return list(db.session.scalars(select(ShopperReport).where(ShopperReport.shopper_id == user.id)
                                   .order_by(ShopperReport.updated_at.desc(), ShopperReport.id.desc()).limit(limit)))


def submitted_reports(store_id: int | None = None, after: list | None = None, limit: int = 30
                      ) -> tuple[list[ShopperReport], list | None]:
    """Submitted reports, newest submission first, keyset-paged: (page, cursor of the next page or None)."""
    query = select(ShopperReport).where(ShopperReport.status == "submitted")
    if store_id:
        query = query.where(ShopperReport.store_id == store_id)
    if after is not None:
        at, last_id = cursor_values(after, "instant", "int")
        query = query.where(or_(ShopperReport.submitted_at < at,
                                and_(ShopperReport.submitted_at == at, ShopperReport.id < last_id)))
    rows = list(db.session.scalars(query.order_by(ShopperReport.submitted_at.desc(), ShopperReport.id.desc())
                                   .limit(limit + 1)))
    page = rows[:limit]
    cursor = [page[-1].submitted_at.isoformat(), page[-1].id] if len(rows) > limit else None
    return page, cursor
