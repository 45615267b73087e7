"""The OpenAPI document declares what the server enforces (issue 14): each constraint below is read from the
served document and then tried against the server, so the two cannot drift apart unnoticed."""
import re

import pytest

from community.api import tokens
from tests import factories as f


def bearer(user, scope="write"):
    _, secret = tokens.create_token(user, "contract", scope, None)
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").json


def component(spec, name):
    return spec["components"]["schemas"][name]


def body_schema(spec, path, method="post"):
    ref = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return component(spec, ref.rsplit("/", 1)[1])


def refused(resp, field):
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert field in resp.json["error"]["fields"], resp.json
    return resp.json


def test_a_vin_is_17_characters_of_its_alphabet(client, spec):
    pattern = component(spec, "Vehicle")["properties"]["vin"]["pattern"]
    good = f.make_vin(4242)
    for vin in (good, good.lower()):
        assert re.fullmatch(pattern, vin)
    headers = bearer(f.UserFactory())
    for vin in (good[:16], good + "1", good[:16] + "O", f"{good[:8]} {good[8:16]}"):
        assert not re.fullmatch(pattern, vin)
        refused(client.post("/api/v1/me/vehicles", headers=headers,
                            json={"model": "001", "model_year": 2024, "vin": vin}), "vin")
    assert client.post("/api/v1/me/vehicles", headers=headers,
                       json={"model": "001", "model_year": 2024, "vin": good.lower()}).status_code == 201


def test_reasons_and_texts_may_not_be_blank(client, spec, app):
    mod = f.moderator()
    proposal = f.proposal()
    for name in ("Reason", "CancelCampaign", "Comment", "Proposal", "Note", "FeedbackIn"):
        props = component(spec, name)["properties"]
        text = next(props[k] for k in ("reason", "body", "text", "title") if k in props)
        assert not re.search(text["pattern"], "  \n ") and re.search(text["pattern"], " x ")
    headers = bearer(mod)
    refused(client.post(f"/api/v1/reports/proposal/{proposal.id}", headers=headers, json={"reason": "   "}), "reason")
    refused(client.post(f"/api/v1/moderation/proposal/{proposal.id}/hide", headers=headers, json={"reason": "\t"}),
            "reason")
    refused(client.post(f"/api/v1/proposals/{proposal.id}/comments", headers=headers, json={"body": " "}), "body")
    campaign = f.open_campaign()
    refused(client.post(f"/api/v1/campaigns/{campaign.id}/cancel", headers=headers, json={"reason": " "}), "reason")


def test_rules_across_fields_are_declared_and_enforced(client, spec, app):
    review = component(spec, "Review")
    assert review["if"]["properties"]["approve"] == {"enum": [False]} and review["then"]["required"] == ["reason"]
    titles = component(spec, "CampaignIn")["anyOf"]
    assert [branch["required"] for branch in titles] == [["title_zh"], ["title_en"]]
    mod = f.moderator()
    car = f.owner().vehicles[0]
    refused(client.post(f"/api/v1/moderation/vehicles/{car.id}", headers=bearer(mod),
                        json={"approve": False, "reason": "  "}), "reason")


def test_campaign_dates_and_price_have_declared_bounds(client, spec, app):
    schema = component(spec, "CampaignIn")["properties"]
    assert schema["opens_at"]["pattern"] == schema["closes_on"]["pattern"] == "^20[0-9]{2}-"
    price = schema["price_cny"]["pattern"]
    assert [p for p in ("12800", "12,800.5", "0.01", "999999.99") if not re.fullmatch(price, p)] == []
    assert [p for p in ("0", "0.00", "12.345", "1000000", "-5", "1e3", "12800\n") if re.fullmatch(price, p)] == []
    mod = f.moderator()
    url = f"/api/v1/proposals/{f.accepted_proposal(mod).id}/campaigns"
    body = {"title_en": "Retrofit", "price_cny": "100", "target": 1, "opens_at": "2030-01-01T00:00:00+08:00",
            "closes_on": "2030-01-31"}
    refused(client.post(url, headers=bearer(mod), json={**body, "opens_at": "1999-12-31T00:00:00+08:00"}),
            "opens_at")
    refused(client.post(url, headers=bearer(mod), json={**body, "closes_on": "2100-01-01"}), "closes_on")
    refused(client.post(url, headers=bearer(mod), json={**body, "price_cny": "100.001"}), "price_cny")
    assert client.post(url, headers=bearer(mod), json=body).status_code == 201


def test_bodies_documented_optional_are_optional(client, spec, app):
    headers = bearer(f.owner())
    for path, method in (("/api/v1/notifications/read", "post"), ("/api/v1/me/notification-settings", "put")):
        assert spec["paths"][path][method]["requestBody"]["required"] is False
        assert client.open(path, method=method.upper(), headers=headers).status_code == 200


def test_a_query_value_given_twice_is_refused(client, spec):
    params = {p["name"]: p for p in spec["paths"]["/api/v1/proposals"]["get"]["parameters"] if "name" in p}
    assert params["limit"]["schema"]["type"] == "integer"
    refused(client.get("/api/v1/proposals?limit=5&limit=7"), "limit")
    refused(client.get("/api/v1/proposals?limit=5&limit=5"), "limit")
    refused(client.get("/api/v1/proposals?q=a&q=b"), "q")
    assert client.get("/api/v1/proposals?limit=5").status_code == 200


def test_a_search_may_be_a_long_number(client):
    """Huge numbers are refused in web forms; in the API an integer field refuses them itself (422) and a
    text field may hold one."""
    assert client.get("/api/v1/proposals", query_string={"q": "9" * 100}).status_code == 200
    refused(client.get("/api/v1/proposals", query_string={"limit": "9" * 100}), "limit")


def test_405_names_the_allowed_methods(client):
    resp = client.delete("/api/v1/proposals")
    assert resp.status_code == 405 and resp.json["error"]["code"] == "method_not_allowed"
    assert set(resp.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}


def test_who_may_act_and_what_exists_are_answered_before_the_body(client, app):
    """403 and 404 come before a 422 about the body: a caller learns nothing from validating a body here."""
    owner = f.owner()
    proposal = f.proposal()
    assert client.post(f"/api/v1/moderation/proposal/{proposal.id}/hide", headers=bearer(owner),
                       json={}).status_code == 403
    assert client.post("/api/v1/moderation/proposal/999999/hide", headers=bearer(f.moderator()),
                       json={}).status_code == 404
    assert client.post("/api/v1/proposals/999999/comments", headers=bearer(owner), json={}).status_code == 404
    other_car = f.owner().vehicles[0]
    assert client.post(f"/api/v1/me/vehicles/{other_car.id}/evidence", headers=bearer(owner),
                       data={}, content_type="multipart/form-data").status_code == 404
