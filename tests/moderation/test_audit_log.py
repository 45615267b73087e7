import csv
import io

from community.audit import service as audit
from community.extensions import db
from community.moderation import service
from tests import factories as f


def test_admin_browses_and_filters(client, auth, app):
    mod, admin, p = f.moderator(email="mod@example.com"), f.admin(), f.proposal()
    service.set_hidden(mod, "proposal", p.id, True, "spam")
    service.set_hidden(mod, "proposal", p.id, False, "fine")
    audit.record(None, "vehicle.verify", "vehicle", 7)
    db.session.commit()
    auth.login(admin)
    html = client.get("/admin/audit?action=moderation.").get_data(as_text=True)
    assert "<code>moderation.hide</code>" in html and "<code>moderation.restore</code>" in html
    assert "<code>vehicle.verify</code>" not in html
    html = client.get("/admin/audit?actor=mod@").get_data(as_text=True)
    assert "<code>moderation.hide</code>" in html and "<code>vehicle.verify</code>" not in html
    html = client.get("/admin/audit?target_type=vehicle&target_id=7").get_data(as_text=True)
    assert "<code>vehicle.verify</code>" in html and "<code>moderation.hide</code>" not in html
    assert "No entries match" in client.get("/admin/audit?since=2000-01-01&until=2000-01-02").get_data(as_text=True)


def test_audit_is_paged(app):
    for i in range(5):
        audit.record(None, "x.test", "thing", i)
    db.session.commit()
    page, before = audit.browse(audit.AuditFilter(), limit=3)
    assert [e.target_id for e in page] == [4, 3, 2]
    page, before = audit.browse(audit.AuditFilter(), before, limit=3)
    assert [e.target_id for e in page] == [1, 0] and before is None


def test_csv_export_is_filtered_and_formula_safe(client, auth, app):
    mod = f.moderator()
    p = f.proposal()
    service.set_hidden(mod, "proposal", p.id, True, "=HYPERLINK(\"http://evil\")")
    audit.record(None, "other.thing", "x", 1)
    db.session.commit()
    auth.login(f.admin())
    resp = client.get("/admin/audit.csv?action=moderation.")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == audit.CSV_HEADER
    assert [r[4] for r in rows[1:]] == ["moderation.hide"]
    assert rows[1][9].startswith("'=")  # a spreadsheet shows it as text, never runs it


def test_audit_log_is_admin_only(client, auth, app):
    assert client.get("/admin/audit").status_code == 302
    auth.login(f.moderator())
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit.csv").status_code == 403
