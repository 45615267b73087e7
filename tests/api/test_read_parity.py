"""Read parity with the web through /api/v1: the roadmap with its history and "my cars" filter, announcements
with the proposals they answer, my entitlements with balances and ledger, the pledge and store scorecards,
public council decisions and the global timeline, with the web's rules (hidden content, language, time zone)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from community.announcements import service as announcements
from community.api import tokens
from community.council import sessions
from community.dbtypes import utcnow
from community.entitlements import service as entitlements
from community.extensions import db
from community.roadmap import service as roadmap
from tests import factories as f
from tests.shopper import factories as sf


def _bearer(user, scope="read"):
    _, secret = tokens.create_token(user, "app", scope, None)
    return {"Authorization": f"Bearer {secret}"}


def _item(mod, window="2026-Q1", models=("001",), years=(2024,), proposals=(), title="City navigation assist"):
    data = roadmap.ItemInput(title_en=title, title_zh="城市领航辅助", description_en="**Soon**<script>x</script>",
                             kind="ota", window=window, models=list(models), model_years=list(years),
                             proposal_ids=[p.id for p in proposals])
    return roadmap.create_item(mod, data)


def _hide(obj):
    obj.hidden_at = utcnow()
    db.session.commit()


def test_roadmap_groups_filters_mine_and_shows_history_without_hidden_proposals(client):
    mod, owner = f.moderator(), f.owner()  # owner: a verified 2024 001
    shown, hidden = f.proposal(title="Visible idea"), f.proposal(title="Secret idea")
    mine = _item(mod, proposals=[shown, hidden])
    other = _item(mod, window="2026-05", models=("009",), title="For the 009")
    _hide(hidden)
    roadmap.change_state(mine, mod, "postponed", "Supplier delay", "2026-Q3")

    body = client.get("/api/v1/roadmap?lang=en").json
    assert [q["quarter"] for q in body["quarters"]] == ["2026-Q2", "2026-Q3"]
    [item] = body["quarters"][1]["items"]
    assert item["id"] == mine.id and item["window"] == "2026-Q3" and item["original_window"] == "2026-Q1"
    assert item["moved"] and item["state"] == "postponed" and item["state_reason"] == "Supplier delay"
    assert item["window_label"] == "Q3 2026" and item["affects_my_cars"] is None
    assert [p["title"] for p in item["proposals"]] == ["Visible idea"]
    assert "<script" not in item["description_html"] and "<strong>Soon</strong>" in item["description_html"]
    assert [(e["state_from"], e["state_to"], e["reason"]) for e in item["history"]] == [
        ("planned", "postponed", "Supplier delay"), (None, "planned", None)]
    assert item["history"][0]["occurred_at"].endswith("+08:00")  # the platform zone for anonymous callers

    assert [i["id"] for q in client.get("/api/v1/roadmap?model=009").json["quarters"] for i in q["items"]] == [
        other.id]
    assert client.get("/api/v1/roadmap?mine=true").status_code == 401
    body = client.get("/api/v1/roadmap?mine=true", headers=_bearer(owner)).json
    assert [i["id"] for q in body["quarters"] for i in q["items"]] == [mine.id]
    assert body["quarters"][0]["items"][0]["affects_my_cars"] is True
    assert client.get("/api/v1/roadmap?model=xyz").status_code == 422

    zh = client.get(f"/api/v1/roadmap/{mine.id}", headers={"Accept-Language": "zh"}).json
    assert zh["title"] == "城市领航辅助" and zh["window_label"] == "2026年第3季度"
    assert client.get("/api/v1/roadmap/999999").status_code == 404


def test_announcements_page_and_leave_hidden_proposals_out(client):
    mod = f.moderator()
    shown, hidden = f.proposal(title="Visible idea"), f.proposal(title="Secret idea")
    posted = [announcements.post_announcement(mod, announcements.AnnouncementInput(
        title_en=f"Answer {i}", body_en="We **will**<script>x</script>", proposal_ids=[shown.id, hidden.id]))
        for i in range(3)]
    _hide(hidden)
    page = client.get("/api/v1/announcements?limit=2").json
    assert [a["title"] for a in page["items"]] == ["Answer 2", "Answer 1"] and page["next_cursor"]
    rest = client.get(f"/api/v1/announcements?limit=2&cursor={page['next_cursor']}").json
    assert [a["title"] for a in rest["items"]] == ["Answer 0"] and rest["next_cursor"] is None
    one = client.get(f"/api/v1/announcements/{posted[0].id}").json
    assert [p["id"] for p in one["proposals"]] == [shown.id]
    assert "<script" not in one["body_html"] and "<strong>will</strong>" in one["body_html"]
    assert client.get("/api/v1/announcements/999999").status_code == 404


def test_my_entitlements_show_balance_and_ledger_and_nobody_elses(client):
    admin, mod, owner, other = f.admin(), f.moderator(), f.owner(), f.owner()
    kind = entitlements.create_kind(admin, "charging_credit", "免费充电额度", "Free charging credit", "kwh", "owner")
    first = entitlements.grant(mod, kind, "500", "purchase", user=owner, note="With the car")
    entitlements.use(mod, first.entitlement, "120.5", "Supercharger")
    theirs = entitlements.grant(mod, kind, "10", "goodwill", user=other)
    headers = _bearer(owner)

    [holding] = client.get("/api/v1/me/entitlements", headers=headers).json
    assert holding["balance"] == "379.50" and holding["kind"]["code"] == "charging_credit"
    assert holding["kind"]["follows"] == "owner" and holding["vehicle"]["masked_vin"].startswith("LZ")
    assert [(e["seq"], e["kind"], e["amount"], e["balance_after"]) for e in holding["ledger"]] == [
        (1, "grant", "500.00", "500.00"), (2, "use", "-120.50", "379.50")]
    assert holding["ledger"][0]["note"] == "With the car"
    one = client.get(f"/api/v1/me/entitlements/{holding['id']}", headers=headers).json
    assert one["ledger"] == holding["ledger"]
    assert client.get(f"/api/v1/me/entitlements/{theirs.entitlement_id}", headers=headers).status_code == 404
    assert client.get("/api/v1/me/entitlements").status_code == 401
    zh = client.get("/api/v1/me/entitlements?lang=zh", headers=headers).json
    assert zh[0]["kind"]["name"] == "免费充电额度"


def test_times_follow_the_callers_zone(client):
    owner = f.owner()
    owner.timezone = "Europe/Berlin"
    db.session.commit()
    f.milestone(f.proposal())
    at = client.get("/api/v1/timeline", headers=_bearer(owner)).json["items"][0]["occurred_at"]
    assert at.endswith(("+01:00", "+02:00"))
    assert client.get("/api/v1/timeline").json["items"][0]["occurred_at"].endswith("+08:00")


def test_timeline_filters_pages_and_leaves_hidden_out(client):
    visible, hidden = f.proposal(title="Visible idea"), f.proposal(title="Secret idea")
    for i in range(3):
        f.milestone(visible, text_en=f"Step {i}")
    f.milestone(hidden, text_en="Hush")
    _hide(hidden)
    page = client.get("/api/v1/timeline?kind=progress_update&limit=2&lang=en").json
    assert [m["text"] for m in page["items"]] == ["Step 2", "Step 1"]
    assert page["items"][0]["proposal_title"] == "Visible idea" and page["items"][0]["kind_label"] == "Progress update"
    rest = client.get(f"/api/v1/timeline?kind=progress_update&limit=2&cursor={page['next_cursor']}").json
    assert [m["text"] for m in rest["items"]] == ["Step 0"] and rest["next_cursor"] is None
    assert client.get("/api/v1/timeline?kind=nonsense").status_code == 422


def test_council_decisions_are_public_only_once_published_and_never_for_hidden_proposals(client):
    mod, member = f.moderator(), f.council_member()
    session = sessions.create_session(mod, "理事共创会", utcnow() - timedelta(days=2), place="丽江")
    shown, hidden = f.proposal(title="Visible idea"), f.proposal(title="Secret idea")
    for p, decision in ((shown, "accept"), (hidden, "decline")):
        sessions.decide(mod, sessions.add_to_agenda(member, session, p), decision, "Because")
    assert client.get("/api/v1/council/decisions").json["items"] == []  # a draft's decisions are not public
    sessions.publish(mod, session)
    _hide(hidden)
    [decision] = client.get("/api/v1/council/decisions?lang=en").json["items"]
    assert (decision["proposal_id"], decision["decision"], decision["decision_label"]) == (shown.id, "accept",
                                                                                           "Accept")
    assert decision["session_title"] == "理事共创会"
    assert client.get(f"/api/v1/council/decisions?proposal_id={hidden.id}").json["items"] == []
    [agenda] = client.get(f"/api/v1/council/sessions/{session.id}").json["items"]
    assert agenda["proposal_id"] == shown.id and agenda["decision_label"]


def test_pledge_scorecard_has_30_and_90_days_and_weeks(client):
    f.pledge_item("after_sales")
    f.feedback(team="after_sales")
    [card] = [c for c in client.get("/api/v1/pledge/scorecard").json if c["team"] == "after_sales"]
    assert [w["days"] for w in card["windows"]] == [30, 90] and len(card["weekly"]) == 13


def test_store_scorecards_show_aggregates_only(client):
    sales, care = sf.items()
    shop, closed = sf.store(), sf.store(name="Closed store")
    closed.is_active = False
    db.session.commit()
    shopper = sf.shopper(display_name="Secret Shopper")
    sf.submitted(shopper, shop, {sales.id: (5, "Clear prices from Wang"), care.id: (3, "ok")},
                 narrative="Met 王小明 who was kind")
    body = client.get("/api/v1/scorecards").json
    [card] = body["stores"]
    assert card["store_id"] == shop.id and card["current"] is not None and card["reports"] == 1
    assert len(card["monthly"]) == len(body["months"]) == 6 and body["cities"][0]["city"] == "上海"
    one = client.get(f"/api/v1/scorecards/stores/{shop.id}").json
    assert {p["pledge_item_id"] for p in one["promises"]} == {sales.id, care.id}
    assert one["promises"][0]["monthly"][-1] in (100.0, 50.0)
    text = client.get(f"/api/v1/scorecards/stores/{shop.id}").get_data(as_text=True)
    assert not any(secret in text for secret in ("Secret Shopper", "王小明", "who was", "Clear prices"))
    assert client.get(f"/api/v1/scorecards/stores/{closed.id}").status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/roadmap", "/api/v1/announcements", "/api/v1/scorecards",
                                  "/api/v1/council/decisions", "/api/v1/timeline"])
def test_read_parity_paths_are_documented(client, path):
    assert path in client.get("/api/v1/openapi.json").json["paths"]
