"""No input gives a 5xx: hostile JSON and form bodies are a 400/422 in the error shape, and nothing is written.

The named cases come from the attack report (lone surrogates in every JSON text field, JSON nested 100,000
deep, a 5,000-digit integer, NaN, bodies that are not UTF-8); the property tests then throw Hypothesis-made
bodies at every POST operation of the API and at the main web forms.
"""
from __future__ import annotations

import json
import os
import re
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from community.api import tokens
from community.extensions import db
from tests import factories as f


def _counts() -> dict[str, int]:
    """Rows in every table but the token's own bookkeeping: "nothing written" is checked against these."""
    return {t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables if t.name not in ("api_tokens",)}


def _assert_error_shape(resp, statuses=(400, 422)) -> None:
    assert resp.status_code in statuses, (resp.status_code, resp.get_data(as_text=True)[:300])
    error = resp.json["error"]
    assert error["code"] and error["message"] and isinstance(error["fields"], dict)


@pytest.fixture
def world(app):
    """A moderator who is also a verified owner (so every operation gets past its role check), with a
    proposal, a comment, a feedback item and an open campaign for path parameters to name."""
    user = f.owner(roles=["moderator", "admin"])
    proposal = f.proposal(user)
    comment = f.comment(proposal, user)
    f.teams()
    item = f.feedback(user)
    campaign = f.open_campaign()
    _, secret = tokens.create_token(user, "fuzz", "write", None)
    ids = {"proposal_id": proposal.id, "target_id": proposal.id, "campaign_id": campaign.id, "item_id": item.id,
           "user_id": user.id, "comment_id": comment.id, "vehicle_id": user.vehicles[0].id, "pledge_id": 1,
           "session_id": 1, "target_type": "proposal", "id": proposal.id}
    return {"headers": {"Authorization": f"Bearer {secret}"}, "ids": ids}


SURROGATE = '"\\ud800 lone"'


@pytest.mark.parametrize("path,body", [
    ("/api/v1/proposals", '{"title": %s, "body": "b", "category": "other"}'),
    ("/api/v1/proposals", '{"title": "Heated seats", "body": %s, "category": "other"}'),
    ("/api/v1/proposals/{proposal_id}/comments", '{"body": %s}'),
    ("/api/v1/feedback", '{"text": %s, "channel": "app"}'),
    ("/api/v1/reports/proposal/{proposal_id}", '{"reason": %s}'),
    ("/api/v1/proposals", '{%s: "key", "title": "t", "body": "b", "category": "other"}'),
])
def test_lone_surrogates_are_refused_not_a_500(client, world, path, body):
    before = _counts()
    resp = client.post(path.format(**world["ids"]), data=body % SURROGATE, headers=world["headers"],
                       content_type="application/json")
    _assert_error_shape(resp, (422,))
    assert "surrogate" in resp.json["error"]["message"]
    assert _counts() == before


@pytest.mark.parametrize("body,why", [
    ("[" * 100_000 + "]" * 100_000, "nested"),
    ('{"title": "t", "body": "b", "category": "other", "x": ' + "[" * 40 + "]" * 40 + "}", "nested"),
    ('{"title": "t", "body": "b", "category": "other", "x": ' + "9" * 5000 + "}", "large"),
    ('{"title": "t", "body": "b", "category": "other", "x": 1e99999}', "large"),
    ('{"title": NaN, "body": "b", "category": "other"}', "JSON"),
    ('{"title": "t", "body": "b", "category": "other"', "JSON"),
])
def test_malformed_json_is_a_400(client, world, body, why):
    before = _counts()
    resp = client.post("/api/v1/proposals", data=body, headers=world["headers"], content_type="application/json")
    _assert_error_shape(resp, (400,))
    assert why in resp.json["error"]["message"]
    assert _counts() == before


@pytest.mark.parametrize("data", [
    '{"title": "Heated seats", "body": "b", "category": "other"}'.encode("utf-16"),
    '{"title": "Sièges", "body": "b", "category": "other"}'.encode("latin-1"),
    b'\xef\xbb\xbf{"title": "BOM", "body": "b", "category": "other"}',
    b'{"title": "\xed\xa0\x80", "body": "b", "category": "other"}',  # a surrogate encoded as UTF-8 bytes
])
def test_bodies_that_are_not_utf8_are_a_400(client, world, data):
    before = _counts()
    for content_type in ("application/json", "application/json; charset=utf-16"):
        resp = client.post("/api/v1/proposals", data=data, headers=world["headers"], content_type=content_type)
        _assert_error_shape(resp, (400,))
    assert _counts() == before


def test_a_clean_body_still_works(client, world):
    resp = client.post("/api/v1/proposals", headers=world["headers"],
                       json={"title": "Heated rear seats, please", "body": "Winter is cold. 🚗", "category": "comfort"})
    assert resp.status_code == 201


# ---- properties over every API POST operation ----

# A bounded, repeatable draw in the suite (CI must not flake on a new random case); raise FUZZ_EXAMPLES and
# unset FUZZ_DERANDOMIZE locally to hunt further.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
DERANDOMIZE = os.environ.get("FUZZ_DERANDOMIZE", "1") == "1"

POISON = ["\ud800", "\udfff", "a\udc80b", "\x00", "\u202e", "𝔘𝔫𝔦", "ｆｕｌｌ", "e\u0301", "\ufeff", "%s%n",
          "' OR 1=1 --", "<script>alert(1)</script>", "9" * 400, " ", "", "\r\n" * 50]
texts = st.one_of(st.sampled_from(POISON), st.text(st.characters(codec=None, categories=["Cs", "L", "Zs"]),
                                                   max_size=40), st.text(max_size=300))
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=-10**60, max_value=10**60),
                    st.floats(), texts)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(texts, inner, max_size=4), max_leaves=12)


def _post_operations(app) -> list[tuple[str, dict]]:
    """(path, body properties) of every POST in the served OpenAPI document."""
    spec = app.test_client().get("/api/v1/openapi.json").json
    schemas = spec["components"]["schemas"]
    ops = []
    for path, methods in spec["paths"].items():
        if "post" not in methods:
            continue
        ref = (methods["post"].get("requestBody", {}).get("content", {}).get("application/json", {})
               .get("schema", {}).get("$ref", ""))
        props = schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
        ops.append((path, props))
    return ops


def _encode(value) -> bytes:
    # json.dumps escapes lone surrogates as \udXXX, as a hostile client would send them
    return json.dumps(value, allow_nan=True).encode()


def _field(prop: dict, ids: list[int]):
    """Mostly a plausible value for one body property (so the body gets past its other checks and reaches
    the service and the database), with hostile text wherever text goes, and sometimes anything at all."""
    kind = prop.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if "enum" in prop:
        plausible = st.sampled_from([v for v in prop["enum"] if v is not None] or [None])
    elif kind == "integer":
        plausible = st.sampled_from(ids) | st.integers()
    elif kind == "array":
        plausible = st.lists(_field(prop.get("items", {}), ids), max_size=3)
    elif kind == "string" and prop.get("format") == "date":
        plausible = st.dates().map(str)
    elif kind == "string" and prop.get("format") == "date-time":
        plausible = st.datetimes().map(lambda d: d.isoformat() + "Z")
    elif kind == "string":
        plausible = texts | st.tuples(st.text("abcdefghij 车", min_size=3, max_size=30), texts).map("".join)
    else:
        plausible = values
    return st.one_of(plausible, plausible, plausible, values)


@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=DERANDOMIZE,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def _fuzz_operation(client, world, path, props, data):
    ids = sorted({v for v in world["ids"].values() if isinstance(v, int)})
    known = st.fixed_dictionaries({name: _field(prop, ids) for name, prop in props.items()})
    body = data.draw(st.one_of(known, known, known, values, known.map(lambda d: {**d, "extra": "x"})))
    before = _counts()
    resp = client.post(path, data=_encode(body), headers=world["headers"], content_type="application/json")
    assert resp.status_code < 500, (path, body, resp.get_data(as_text=True)[:300])
    if resp.status_code >= 400:
        _assert_error_shape(resp, tuple(range(400, 500)))
        db.session.rollback()
        assert _counts() == before, (path, body)


def test_no_api_post_answers_5xx_or_writes_on_refusal(app, client, world):
    ops = _post_operations(app)
    assert len(ops) >= 20
    for path, props in ops:
        concrete = re.sub(r"\{(\w+)\}", lambda m: str(world["ids"].get(m.group(1), 1)), path)
        _fuzz_operation(client, world, concrete, props)


# ---- properties over the web forms ----

FORMS = {
    "/proposals/new": ["title", "body", "category"],
    "/proposals/{proposal_id}/comments": ["body"],
    "/feedback/new": ["text", "channel", "contact", "vehicle_id"],
    "/report/proposal/{proposal_id}": ["reason", "details"],
    "/register": ["email", "display_name", "password", "confirm"],
    "/login": ["email", "password"],
    "/vehicles": ["vin", "model", "model_year", "hardware"],
    "/settings": ["pref-locale", "pref-timezone", "pref-submit"],
    "/proposals/{proposal_id}/status": ["status", "note_en", "note_zh"],
    "/roadmap/new": ["title_en", "title_zh", "kind", "window", "models", "model_years"],
}
raw_bytes = st.binary(max_size=40).map(quote_from_bytes)  # any bytes, percent-encoded: invalid UTF-8 included
form_values = st.one_of(raw_bytes, texts.map(lambda t: quote_from_bytes(t.encode("utf-8", "surrogatepass"))))


@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=DERANDOMIZE,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def _fuzz_form(client, path, names, data):
    pairs = data.draw(st.lists(st.tuples(st.sampled_from(names), form_values), max_size=8))
    body = "&".join(f"{name}={value}" for name, value in pairs)
    before = _counts()
    resp = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
    assert resp.status_code < 500, (path, body, resp.get_data(as_text=True)[:300])
    if resp.status_code >= 400:
        db.session.rollback()
        assert _counts() == before, (path, body)


def test_no_web_form_answers_5xx_or_writes_on_refusal(app, client, auth, world):
    from community.accounts.models import User

    auth.login_as(db.session.get(User, world["ids"]["user_id"]))
    for path, names in FORMS.items():
        _fuzz_form(client, path.format(**world["ids"]), names)
