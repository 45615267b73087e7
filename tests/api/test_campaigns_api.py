"""/api/v1 crowdfunding: the web's rules and refusals through the API, scopes, one error shape, ETags, cursors."""
from datetime import date, datetime

import pytest

from community.api import tokens
from community.campaigns import pledges, service
from community.campaigns.eligibility import ineligibility_reasons
from community.campaigns.models import Pledge
from community.dbtypes import utcnow
from community.extensions import db
from community.notifications import service as notifications
from tests import factories as f
from tests.campaigns import sh


def bearer(secret, lang="en"):
    return {"Authorization": f"Bearer {secret}", "Accept-Language": lang}


def token(user, scope="write"):
    return tokens.create_token(user, "phone", scope, None)[1]


def refused(resp, status, code, text=None):
    """The one error shape, with ``status``, ``code`` and (a part of) the web's message."""
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert set(resp.json) == {"error"} and set(resp.json["error"]) == {"code", "message", "fields"}
    assert resp.json["error"]["code"] == code
    if text:
        assert text in resp.json["error"]["message"]
    return resp.json["error"]


@pytest.fixture
def live(app):
    return f.open_campaign()


@pytest.fixture
def owner(app):
    user = f.eligible_owner()
    return user, token(user)


def _pledge_url(campaign):
    return f"/api/v1/campaigns/{campaign.id}/pledges"


# ---- reading ----

def test_list_filters_by_open_and_proposal_and_pages_by_cursor(client, app):
    mod = f.moderator()
    live = f.open_campaign(actor=mod)
    past = f.campaign(actor=mod)
    later = f.campaign(actor=mod, opens=datetime(2031, 1, 1), closes_on=date(2031, 1, 31), now=utcnow())
    f.open_campaign(actor=mod, publish=False, proposal=live.proposal)  # a draft: moderators only
    everything = client.get("/api/v1/campaigns").json
    assert [c["id"] for c in everything["items"]] == [later.id, live.id, past.id]
    assert {c["status"] for c in everything["items"]} == {"scheduled", "open", "failed"}
    assert [c["id"] for c in client.get("/api/v1/campaigns?status=open").json["items"]] == [live.id]
    mine = client.get(f"/api/v1/campaigns?proposal_id={past.proposal_id}").json["items"]
    assert [c["id"] for c in mine] == [past.id]
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/campaigns", query_string={"limit": 2, "cursor": cursor}).json
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [later.id, live.id, past.id]
    refused(client.get("/api/v1/campaigns?status=closed"), 422, "validation_failed")
    assert "proposal_id" in refused(client.get("/api/v1/campaigns?proposal_id=0"), 422, "validation_failed")["fields"]


def test_detail_shows_the_campaign_and_answers_304_until_it_changes(client, live, owner):
    user, secret = owner
    resp = client.get(f"/api/v1/campaigns/{live.id}", headers={"Accept-Language": "en"})
    body = resp.json
    assert body["price_cny"] == "12800.00" and body["status"] == "open" and body["target"] == 10
    assert body["title"] == "Assisted-driving upgrade" and "Required: Lidar" in body["rule"]
    etag = resp.headers["ETag"]
    again = client.get(f"/api/v1/campaigns/{live.id}", headers={"If-None-Match": etag, "Accept-Language": "en"})
    assert again.status_code == 304
    client.post(_pledge_url(live), headers=bearer(secret), json={"vehicle_id": user.vehicles[0].id})
    changed = client.get(f"/api/v1/campaigns/{live.id}", headers={"If-None-Match": etag, "Accept-Language": "en"})
    assert changed.status_code == 200 and changed.json["pledge_count"] == 1


def test_drafts_missing_and_hidden_campaigns_are_404(client, app):
    draft = f.open_campaign(publish=False)
    refused(client.get(f"/api/v1/campaigns/{draft.id}"), 404, "not_found", "No such campaign")
    refused(client.get("/api/v1/campaigns/999999"), 404, "not_found")
    live = f.open_campaign()
    live.proposal.hidden_at = utcnow()
    db.session.commit()
    refused(client.get(f"/api/v1/campaigns/{live.id}"), 404, "not_found")
    assert client.get("/api/v1/campaigns").json["items"] == []


def test_eligibility_gives_the_webs_reasons_per_vehicle(client, live):
    user = f.eligible_owner()
    old = f.VehicleFactory(owner=user, model_year=2023, hardware=["adas_gen1"])
    waiting = f.VehicleFactory(owner=user, status="pending")
    secret = token(user, "read")
    url = f"/api/v1/campaigns/{live.id}/eligibility"
    refused(client.get(url), 401, "unauthorized")
    body = client.get(url, headers=bearer(secret)).json
    assert body["can_pledge"] is True and body["status"] == "open"
    by_id = {v["vehicle_id"]: v for v in body["vehicles"]}
    assert by_id[user.vehicles[0].id]["eligible"] is True and by_id[user.vehicles[0].id]["reasons"] == []
    assert by_id[old.id]["reasons"] == ["model year 2023 is not in 2024", "no Lidar (required)"]
    assert by_id[old.id]["reasons"] == ineligibility_reasons(live, old)  # the very strings the web renders
    assert by_id[waiting.id]["reasons"] == ["the vehicle is not verified yet"]
    assert by_id[waiting.id]["verification"] == "pending" and by_id[waiting.id]["eligible"] is False
    zh = client.get(url, headers=bearer(secret, "zh-CN")).json["vehicles"]
    assert next(v for v in zh if v["vehicle_id"] == old.id)["reasons"][0] != "model year 2023 is not in 2024"
    refused(client.get("/api/v1/campaigns/999999/eligibility", headers=bearer(secret)), 404, "not_found")


# ---- pledging ----

def test_pledge_then_second_pledge_for_the_same_vehicle_is_409(client, live, owner):
    user, secret = owner
    car = user.vehicles[0].id
    made = client.post(_pledge_url(live), headers=bearer(secret), json={"vehicle_id": car})
    assert made.status_code == 201
    assert made.json["status"] == "active" and made.json["campaign_pledge_count"] == 1
    assert made.json["masked_vin"] == user.vehicles[0].masked_vin
    refused(client.post(_pledge_url(live), headers=bearer(secret), json={"vehicle_id": car}), 409, "conflict",
            "already has a pledge")
    assert Pledge.query.count() == 1
    standing = client.get(f"/api/v1/campaigns/{live.id}/eligibility", headers=bearer(secret)).json["vehicles"]
    assert standing[0]["pledge_id"] == made.json["id"]


def test_pledge_needs_a_token_with_write_scope_and_a_well_formed_body(client, live, owner):
    user, _secret = owner
    body = {"vehicle_id": user.vehicles[0].id}
    refused(client.post(_pledge_url(live), json=body), 401, "unauthorized")
    refused(client.post(_pledge_url(live), headers=bearer(token(user, "read")), json=body), 403, "forbidden", "write")
    write = bearer(token(user))
    assert "vehicle_id" in refused(client.post(_pledge_url(live), headers=write, json={}), 422,
                                   "validation_failed")["fields"]
    refused(client.post(_pledge_url(live), headers=write, json={"vehicle_id": "one"}), 422, "validation_failed")
    refused(client.post("/api/v1/campaigns/999999/pledges", headers=write, json=body), 404, "not_found")
    assert Pledge.query.count() == 0


def test_ineligible_unverified_and_someone_elses_vehicles_are_refused(client, live, owner):
    user, secret = owner
    old = f.VehicleFactory(owner=user, model_year=2023)
    waiting = f.VehicleFactory(owner=user, status="pending")
    other = f.eligible_owner().vehicles[0]
    err = refused(client.post(_pledge_url(live), headers=bearer(secret), json={"vehicle_id": old.id}),
                  403, "forbidden")
    assert err["message"] == "This vehicle cannot pledge: model year 2023 is not in 2024."
    refused(client.post(_pledge_url(live), headers=bearer(secret), json={"vehicle_id": waiting.id}), 403,
            "forbidden", "the vehicle is not verified yet")
    refused(client.post(_pledge_url(live), headers=bearer(secret), json={"vehicle_id": other.id}), 404,
            "not_found", "No such vehicle among yours")
    no_car = f.UserFactory()
    refused(client.post(_pledge_url(live), headers=bearer(token(no_car)), json={"vehicle_id": other.id}), 403,
            "forbidden", "Only verified owners can pledge")
    assert Pledge.query.count() == 0


def test_full_campaign_is_409(client, app):
    live = f.open_campaign(target=1, cap=1)
    first, second = f.eligible_owner(), f.eligible_owner()
    assert client.post(_pledge_url(live), headers=bearer(token(first)),
                       json={"vehicle_id": first.vehicles[0].id}).status_code == 201
    refused(client.post(_pledge_url(live), headers=bearer(token(second)), json={"vehicle_id": second.vehicles[0].id}),
            409, "conflict", "full: all 1 places")
    assert Pledge.query.count() == 1


def test_before_opening_is_409_after_closing_or_cancelling_is_410(client, owner):
    user, secret = owner
    body = {"vehicle_id": user.vehicles[0].id}
    later = f.campaign(opens=datetime(2031, 1, 1), closes_on=date(2031, 1, 31), now=utcnow())
    refused(client.post(_pledge_url(later), headers=bearer(secret), json=body), 409, "conflict", "not open yet")
    past = f.campaign()
    err = refused(client.post(_pledge_url(past), headers=bearer(secret), json=body), 410, "gone")
    assert err["message"] == "This campaign has closed."
    mod = f.moderator()
    cancelled = f.open_campaign(actor=mod)
    service.cancel_campaign(cancelled, mod, "Supplier withdrew")
    refused(client.post(_pledge_url(cancelled), headers=bearer(secret), json=body), 410, "gone", "cancelled")
    assert Pledge.query.count() == 0


def test_pledgers_follow_the_proposal(client, live, owner):
    user, secret = owner
    assert not notifications.is_following(user, live.proposal_id)
    client.post(_pledge_url(live), headers=bearer(secret), json={"vehicle_id": user.vehicles[0].id})
    assert notifications.is_following(user, live.proposal_id)


def test_session_cookie_pledges_keep_csrf(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        live, user = f.open_campaign(), f.eligible_owner()
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = user.get_id(), True
        resp = client.post(_pledge_url(live), json={"vehicle_id": user.vehicles[0].id})
        assert resp.status_code == 400 and Pledge.query.count() == 0


# ---- cancelling and my pledges ----

def test_cancel_own_pledge_once_others_are_404(client, live, owner):
    user, secret = owner
    made = client.post(_pledge_url(live), headers=bearer(secret), json={"vehicle_id": user.vehicles[0].id}).json
    url = f"/api/v1/pledges/{made['id']}/cancel"
    refused(client.post(url), 401, "unauthorized")
    refused(client.post(url, headers=bearer(token(user, "read"))), 403, "forbidden")
    refused(client.post(url, headers=bearer(token(f.eligible_owner()))), 404, "not_found", "No such pledge")
    done = client.post(url, headers=bearer(secret))
    assert done.status_code == 200 and done.json["status"] == "cancelled" and done.json["campaign_pledge_count"] == 0
    refused(client.post(url, headers=bearer(secret)), 409, "conflict", "already cancelled")
    refused(client.post("/api/v1/pledges/999999/cancel", headers=bearer(secret)), 404, "not_found")


def test_cancel_after_close_is_410(client, owner):
    user, secret = owner
    past = f.campaign()
    made = pledges.pledge(user, past, user.vehicles[0].id, now=sh(2025, 12, 1))
    err = refused(client.post(f"/api/v1/pledges/{made.id}/cancel", headers=bearer(secret)), 410, "gone")
    assert err["message"] == "This campaign has closed. Pledges can no longer be cancelled."
    assert db.session.get(Pledge, made.id).status == "active"


def test_my_pledges_lists_active_and_cancelled_newest_first(client, owner):
    user, secret = owner
    refused(client.get("/api/v1/me/pledges"), 401, "unauthorized")
    first, second = f.open_campaign(), f.open_campaign()
    a = pledges.pledge(user, first, user.vehicles[0].id)
    pledges.cancel_pledge(user, a.id)
    b = pledges.pledge(user, second, user.vehicles[0].id)
    f.eligible_owner()  # someone else's pledges stay out
    mine = client.get("/api/v1/me/pledges", headers=bearer(token(user, "read"))).json
    assert [(p["id"], p["status"]) for p in mine] == [(b.id, "active"), (a.id, "cancelled")]


# ---- moderators: create, publish, cancel ----

def _new_campaign(**overrides):
    now = utcnow()
    return {"title_en": "Seat heating retrofit", "title_zh": "座椅加热加装", "price_cny": "3,200.00", "target": 2,
            "cap": 5, "opens_at": now.isoformat(), "closes_on": date(now.year + 1, 1, 31).isoformat(),
            "models": ["001"], "model_years": [2024], "hardware_required": ["lidar"], **overrides}


def test_a_moderator_creates_publishes_and_cancels_through_the_api(client, app):
    mod = f.moderator()
    secret = bearer(token(mod))
    proposal = f.accepted_proposal(mod)
    url = f"/api/v1/proposals/{proposal.id}/campaigns"
    draft = client.post(url, headers=secret, json=_new_campaign())
    assert draft.status_code == 201 and draft.json["status"] == "draft" and draft.json["price_cny"] == "3200.00"
    assert draft.json["closes_at"].startswith(f"{utcnow().year + 1}-01-31T15:59:59")  # 23:59:59 in Shanghai
    assert client.get(f"/api/v1/campaigns/{draft.json['id']}").status_code == 404  # not public yet
    published = client.post(f"/api/v1/campaigns/{draft.json['id']}/publish", headers=secret)
    assert published.status_code == 200 and published.json["status"] == "open"
    refused(client.post(f"/api/v1/campaigns/{draft.json['id']}/publish", headers=secret), 409, "conflict")
    kinds = [m["kind"] for m in client.get(f"/api/v1/proposals/{proposal.id}/timeline").json]
    assert kinds[0] == "campaign_opened"
    cancel = f"/api/v1/campaigns/{draft.json['id']}/cancel"
    assert "reason" in refused(client.post(cancel, headers=secret, json={"reason": " "}), 422,
                               "validation_failed")["fields"]
    done = client.post(cancel, headers=secret, json={"reason": "Supplier withdrew"})
    assert done.status_code == 200 and done.json["status"] == "cancelled"
    assert done.json["cancel_reason"] == "Supplier withdrew"
    refused(client.post(cancel, headers=secret, json={"reason": "again"}), 409, "conflict")


def test_campaign_writes_are_for_moderators_with_write_tokens(client, app):
    mod, live = f.moderator(), f.open_campaign()
    url = f"/api/v1/proposals/{live.proposal_id}/campaigns"
    refused(client.post(url, json=_new_campaign()), 401, "unauthorized")
    refused(client.post(url, headers=bearer(token(mod, "read")), json=_new_campaign()), 403, "forbidden", "write")
    owner = bearer(token(f.eligible_owner()))
    refused(client.post(url, headers=owner, json=_new_campaign()), 403, "forbidden", "Only moderators")
    refused(client.post(f"/api/v1/campaigns/{live.id}/cancel", headers=owner, json={"reason": "x"}), 403, "forbidden")
    refused(client.post(f"/api/v1/campaigns/{live.id}/publish", headers=owner), 403, "forbidden")
    refused(client.post("/api/v1/proposals/999999/campaigns", headers=bearer(token(mod)), json=_new_campaign()),
            404, "not_found")
    refused(client.post("/api/v1/campaigns/999999/publish", headers=bearer(token(mod))), 404, "not_found")


def test_campaign_input_is_validated_by_the_schema_then_the_service(client, app):
    mod = f.moderator()
    secret = bearer(token(mod))
    proposal = f.accepted_proposal(mod)
    url = f"/api/v1/proposals/{proposal.id}/campaigns"
    naive = refused(client.post(url, headers=secret, json=_new_campaign(opens_at="2030-01-01T00:00:00",
                                                                        models=["T1000"])), 422, "validation_failed")
    assert {"opens_at", "models"} <= set(naive["fields"])
    price = refused(client.post(url, headers=secret, json=_new_campaign(price_cny="12.345")), 422,
                    "validation_failed")
    assert set(price["fields"]) == {"price_cny"}  # the pattern the document declares
    rules = refused(client.post(url, headers=secret, json=_new_campaign(cap=1)), 422, "validation_failed")
    assert set(rules["fields"]) == {"cap"}  # below the target: a rule across fields, the service's
    past = _new_campaign(opens_at="2020-01-01T00:00:00+08:00", closes_on="2020-01-31", publish=True)
    refused(client.post(url, headers=secret, json=past), 409, "conflict", "already closed")
    fresh = f.proposal()
    refused(client.post(f"/api/v1/proposals/{fresh.id}/campaigns", headers=secret, json=_new_campaign()), 422,
            "validation_failed", "accepted proposals")
    assert client.get("/api/v1/campaigns").json["items"] == []
