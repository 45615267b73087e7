from datetime import datetime, timedelta

from flask import render_template, request, url_for

from community.audit import bp, service
from community.csvexport import csv_response
from community.security import role_required
from community.timezones import local_to_utc
from community.util import int_arg


def _filter_from_args(args) -> service.AuditFilter:
    """Query-string filters; ``since``/``until`` are days (YYYY-MM-DD) in the viewer's zone, ``until`` inclusive."""
    def day(name, shift=0):
        try:
            return local_to_utc(datetime.strptime(args.get(name, ""), "%Y-%m-%d") + timedelta(days=shift))
        except ValueError:
            return None

    target_id = args.get("target_id", "")
    return service.AuditFilter(action=(args.get("action") or "").strip()[:64] or None,
                               actor=(args.get("actor") or "").strip()[:254] or None,
                               target_type=(args.get("target_type") or "").strip()[:32] or None,
                               target_id=int(target_id) if target_id.isdigit() else None,
                               since=day("since"), until=day("until", 1))


def _clean_args(args) -> dict:
    return {k: args[k] for k in ("action", "actor", "target_type", "target_id", "since", "until") if args.get(k)}


@bp.route("/audit")
@role_required("admin")
def index():
    f = _filter_from_args(request.args)
    entries, next_before = service.browse(f, int_arg("before"))
    args = _clean_args(request.args)
    next_url = url_for("audit.index", before=next_before, **args) if next_before else None
    return render_template("audit/index.html", entries=entries, args=args, next_url=next_url,
                           actions=service.action_names(), csv_url=url_for("audit.export", **args))


@bp.route("/audit.csv")
@role_required("admin")
def export():
    """The filtered audit log as CSV (UTF-8 with BOM so spreadsheet programs read Chinese correctly)."""
    return csv_response(service.csv_lines(_filter_from_args(request.args)), "audit.csv")
