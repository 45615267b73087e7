"""Paging cursors a client made up (issue 14): a 422 in the API's error shape, a 400 page on the web; never a
500 (a number past 64 bits, ``1e999``) and never a silent page one (a client looping on page one)."""
import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from community.api import tokens
from community.errors import InvalidCursor
from community.util import cursor_values, decode_cursor, encode_cursor
from tests import factories as f


def forge(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


# What a reviewer and a careless client sent: numbers past 64 bits and 32 bits, infinities, NaN, floats, the
# wrong arity and types, a naive or unparseable instant, an instant moved past the calendar, not base64, not
# JSON, not a list, too long.
FORGED = [forge(raw) for raw in (
    "[1,99999999999999999999999999]", "[99999999999999999999999999,1]", "[1e999,1]", "[1,1e999]", "[-1e999]",
    "[NaN,1]", "[Infinity]", "[1.5,2]", "[true,1]", "[null,1]", "[[1],1]", "[{}]", "[]", "[1,2,3,4]",
    '["x"]', "[2147483648]", "[-1,1]", "[4611686018427387904,1]", '["2026-01-01T00:00:00",1]',
    '["not a date",1]', '["0001-01-01T00:00:00+05:00",1]', '["9999-12-31T23:59:59-05:00",1]',
    '{"a":1}', '"text"', "1", "[" * 300 + "]" * 300, "\ud7ff",
)] + ["not-a-cursor", "%%%", "====", "A", "Zm9v\u00e9", "a" * 600, "WyJ4Il0=="]

API_LISTS = ["/api/v1/proposals", "/api/v1/proposals?sort=newest", "/api/v1/proposals?sort=updated",
             "/api/v1/timeline", "/api/v1/announcements", "/api/v1/campaigns", "/api/v1/council/decisions",
             "/api/v1/notifications", "/api/v1/council/queue", "/api/v1/feedback/queue?team=triage"]


@pytest.fixture
def world(app):
    p = f.proposal()
    f.comment(p)
    mod = f.moderator()
    _, secret = tokens.create_token(mod, "cursors", "read", None)
    return {"proposal": p, "moderator": mod, "headers": {"Authorization": f"Bearer {secret}"}}


def _api_lists(world):
    return [*API_LISTS, f"/api/v1/proposals/{world['proposal'].id}/comments"]


def _join(url: str, name: str, value: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{name}={value}"


def test_decoding_refuses_what_we_never_made():
    assert decode_cursor(None) is None and decode_cursor("") is None
    assert decode_cursor(encode_cursor(["2026-01-01T00:00:00+00:00", 7])) == ["2026-01-01T00:00:00+00:00", 7]
    for cursor in FORGED:
        with pytest.raises(InvalidCursor):
            cursor_values(decode_cursor(cursor), "instant", "int")
    with pytest.raises(InvalidCursor):
        cursor_values([5, 1], "instant", "int")  # a "top" cursor given to a list sorted by time
    at, last = cursor_values(["2026-01-01T08:00:00+08:00", 3], "instant", "int")
    assert at.utcoffset().total_seconds() == 0 and at.hour == 0 and last == 3


def test_every_api_list_answers_a_forged_cursor_with_a_422(client, world):
    for url in _api_lists(world):
        good = client.get(url, headers=world["headers"])
        assert good.status_code == 200, (url, good.get_data(as_text=True))
        for cursor in FORGED:
            resp = client.get(_join(url, "cursor", cursor), headers=world["headers"])
            assert resp.status_code == 422, (url, cursor, resp.status_code)
            error = resp.json["error"]
            assert error["code"] == "validation_failed" and "cursor" in error["fields"], (url, cursor, error)


def test_the_reviewers_overflowing_cursors_are_422s_on_the_proposal_list(client):
    for raw in ("[1,99999999999999999999999999]", "[1e999,1]"):
        for sort in ("top", "newest", "updated"):
            resp = client.get(f"/api/v1/proposals?sort={sort}&cursor={forge(raw)}")
            assert resp.status_code == 422 and resp.json["error"]["fields"]["cursor"]


def test_a_real_next_cursor_still_pages(client, world):
    for i in range(3):
        f.proposal(title=f"paged {i}")
    first = client.get("/api/v1/proposals?sort=newest&limit=2").json
    rest = client.get(f"/api/v1/proposals?sort=newest&limit=2&cursor={first['next_cursor']}")
    assert rest.status_code == 200 and rest.json["items"]
    assert not {p["id"] for p in first["items"]} & {p["id"] for p in rest.json["items"]}
    # a cursor of the "top" list given to the "newest" list does not fit: refused, not misread
    top = client.get("/api/v1/proposals?sort=top&limit=2").json["next_cursor"]
    assert client.get(f"/api/v1/proposals?sort=newest&cursor={top}").status_code == 422


WEB_PAGES = [  # (path, query argument, who looks)
    ("/", "after", None), ("/?sort=newest", "after", None), ("/timeline", "before", None),
    ("/announcements", "after", None), ("/campaigns", "after", None),
    ("/feedback/triage", "after", "moderator"), ("/shopper/internal", "after", "moderator"),
    ("/shopper/internal", "store", "moderator"), ("/entitlements/manage", "page", "moderator"),
    ("/council/queue", "page", "moderator"), ("/admin/audit", "before", "admin"),
    ("/notifications", "before", "owner"),
]


@pytest.mark.parametrize(("path", "name", "who"), WEB_PAGES)
def test_web_lists_answer_a_forged_cursor_with_a_clear_400_page(client, auth, world, path, name, who):
    if who:
        auth.login_as({"moderator": world["moderator"], "admin": f.admin(), "owner": f.owner()}[who])
    assert client.get(path).status_code == 200
    values = FORGED if name in ("after", "before") and path not in ("/admin/audit", "/notifications") else \
        ["99999999999999999999999999", "1e999", "-1", "abc", "1.5", "\u0661", "0x10"]
    for value in values:
        resp = client.get(_join(path, name, value))
        assert resp.status_code == 400, (path, name, value, resp.status_code)
        assert "page link is broken" in resp.get_data(as_text=True) or "链接" in resp.get_data(as_text=True)


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(cursor=st.one_of(
    st.text(max_size=80),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=", max_size=80),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
                 lambda inner: st.lists(inner, max_size=4), max_leaves=6).map(
        lambda v: forge(json.dumps(v, allow_nan=True)))))
def test_any_cursor_is_a_200_or_a_4xx_never_a_5xx(client, world, cursor):
    from urllib.parse import quote

    value = quote(cursor, safe="")
    for url in ("/api/v1/proposals", "/api/v1/proposals?sort=newest", "/api/v1/council/decisions",
                f"/api/v1/proposals/{world['proposal'].id}/comments", "/api/v1/notifications"):
        resp = client.get(_join(url, "cursor", value), headers=world["headers"])
        assert resp.status_code in (200, 422), (url, cursor, resp.status_code)
    for path, name in (("/", "after"), ("/?sort=updated", "after"), ("/timeline", "before")):
        resp = client.get(_join(path, name, value))
        assert resp.status_code in (200, 400), (path, cursor, resp.status_code)
