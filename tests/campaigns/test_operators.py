"""Moderators create, publish and cancel campaigns; the dashboard and the CSV export."""
import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

from community.audit.models import AuditEntry
from community.campaigns import pledges, service
from community.campaigns.models import Campaign
from community.extensions import db
from tests import factories as f
from tests.campaigns import sh

FORM = {"title_zh": "升级众筹", "title_en": "Upgrade", "description_en": "**Lidar** cars only",
        "price_cny": "12,800.50", "target": "1000", "cap": "", "opens_at": "2031-11-24T00:00",
        "closes_on": "2031-12-24", "models": ["001", "009"], "model_years": ["2024"],
        "hardware_required": ["lidar"], "hardware_excluded": ["adas_latest"], "verified_only": "y", "publish": "y"}


def test_moderator_creates_a_campaign_with_shanghai_dates_and_exact_price(client, auth, app, server_tz):
    mod = f.moderator()
    p = f.accepted_proposal(mod)
    auth.login(mod)
    resp = client.post(f"/proposals/{p.id}/campaigns/new", data=FORM)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    c = Campaign.query.one()
    assert c.opens_at == datetime(2031, 11, 23, 16, 0, tzinfo=UTC)
    assert c.closes_at == datetime(2031, 12, 24, 15, 59, 59, tzinfo=UTC)
    assert c.price_cny == Decimal("12800.50") and c.target == 1000 and c.cap is None
    assert (c.models, c.model_years, c.hardware_required, c.hardware_excluded) == (
        ["001", "009"], [2024], ["lidar"], ["adas_latest"])
    assert "<strong>Lidar</strong>" in c.description_en_html
    assert c.status_at(service.utcnow()) == "scheduled"
    entry = AuditEntry.query.filter_by(action="campaign.create").one()
    assert entry.actor_id == mod.id and entry.after["price_cny"] == "12800.50"
    page = client.get(f"/campaigns/{c.id}?lang=en").get_data(as_text=True)
    assert "¥12,800.50" in page and "Scheduled" in page


def test_bad_input_is_shown_beside_the_fields_and_kept(client, auth, app):
    mod = f.moderator()
    p = f.accepted_proposal(mod)
    auth.login(mod)
    bad = {**FORM, "title_zh": "", "title_en": "", "price_cny": "12.345", "cap": "10", "closes_on": "2031-11-01",
           "hardware_required": ["lidar"], "hardware_excluded": ["lidar"]}
    resp = client.post(f"/proposals/{p.id}/campaigns/new?lang=en", data=bad)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and Campaign.query.count() == 0
    for message in ("Give the campaign a title", "at most two decimals", "The cap cannot be below the target",
                    "must close after it opens", "both required and excluded"):
        assert message in page
    assert 'value="1000"' in page  # typed input kept


def test_only_accepted_proposals_get_campaigns(client, auth, app):
    mod = f.moderator()
    p = f.proposal()
    auth.login(mod)
    resp = client.post(f"/proposals/{p.id}/campaigns/new?lang=en", data=FORM)
    assert resp.status_code == 422 and "only for accepted proposals" in resp.get_data(as_text=True)
    assert Campaign.query.count() == 0


def test_cancel_needs_a_public_reason_shown_to_owners(client, auth, app):
    mod = f.moderator()
    c = f.open_campaign(actor=mod)
    auth.login(mod)
    resp = client.post(f"/campaigns/{c.id}/cancel?lang=en", data={"reason": ""})
    assert resp.status_code == 422 and db.session.get(Campaign, c.id).cancelled_at is None
    resp = client.post(f"/campaigns/{c.id}/cancel", data={"reason": "Parts are not certified yet."})
    assert resp.status_code == 302
    auth.logout()
    page = client.get(f"/campaigns/{c.id}?lang=en").get_data(as_text=True)
    assert "Cancelled" in page and "Parts are not certified yet." in page
    resp = client.post(f"/campaigns/{c.id}/cancel", data={"reason": "again"})
    assert resp.status_code == 302 and "/login" in resp.location


def test_publish_a_draft(client, auth, app):
    mod = f.moderator()
    c = f.campaign(publish=False, actor=mod, opens=datetime(2031, 1, 1), closes_on=date(2031, 1, 31))
    auth.login(mod)
    assert client.post(f"/campaigns/{c.id}/publish").status_code == 302
    assert db.session.get(Campaign, c.id).published_at is not None
    assert client.post(f"/campaigns/{c.id}/publish").status_code == 302  # refused with a flash, not a crash
    assert AuditEntry.query.filter_by(action="campaign.publish").count() == 1


def _pledged_campaign():
    c = f.campaign(target=5)
    owners = [f.eligible_owner(), f.eligible_owner(model="009"),
              f.eligible_owner(user={"display_name": "=HYPERLINK(1)"})]
    made = [pledges.pledge(o, c, o.vehicles[0].id, now=sh(2025, 11, 24 + i)) for i, o in enumerate(owners)]
    pledges.cancel_pledge(owners[0], made[0].id, now=sh(2025, 11, 28))
    return c, owners


def test_dashboard_shows_chart_models_and_cancellations(client, auth, app):
    c, _ = _pledged_campaign()
    auth.login(f.moderator())
    page = client.get(f"/campaigns/{c.id}/dashboard?lang=en").get_data(as_text=True)
    chart = page[page.index('id="chart"'):page.index("</svg>")]
    assert "<svg" in chart and "<polyline" in chart and "<script" not in chart  # drawn on the server, no JS
    assert 'id="cancelled-total">1<' in page
    by_model = page[page.index('id="by-model"'):page.index("</table>", page.index('id="by-model"'))]
    assert "<td>001</td><td>2024</td><td>1</td>" in by_model and "<td>009</td><td>2024</td><td>1</td>" in by_model

    # Days in the viewer's language, never ISO (the same format as every page: community/dates.py)
    assert re.search(r">\d{1,2} [A-Z][a-z]{2} \d{4}<", chart) and not re.search(r"\d{4}-\d{2}-\d{2}", chart)
    zh = client.get(f"/campaigns/{c.id}/dashboard?lang=zh").get_data(as_text=True)
    assert re.search(r">\d{4}年\d{1,2}月\d{1,2}日<", zh) and "<th>新增认筹</th>" in zh and "<th>有效认筹</th>" in zh


def test_csv_export_masks_vins_and_defuses_formulas(client, auth, app):
    c, owners = _pledged_campaign()
    auth.login(f.moderator())
    resp = client.get(f"/campaigns/{c.id}/pledges.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [r["status"] for r in rows] == ["cancelled", "active", "active"]
    for row, owner in zip(rows, owners, strict=True):
        vehicle = owner.vehicles[0]
        assert row["vin_masked"] == f"LZ{'*' * 11}{vehicle.vin_last4}" and len(row["vin_masked"]) == 17
    assert rows[0]["pledged_at"] == "2025-11-24 00:00:00" and rows[0]["cancelled_at"] == "2025-11-28 00:00:00"
    assert rows[2]["owner"] == "'=HYPERLINK(1)"
    assert AuditEntry.query.filter_by(action="campaign.export").count() == 1
