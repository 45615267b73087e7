"""API errors in one language: the top-level message and every field message in the caller's language
(the account's choice, else Accept-Language), never English field messages under a Chinese message."""
from __future__ import annotations

import re

import pytest
from flask_babel import refresh

from community.api import tokens
from community.extensions import db
from community.fieldmessages import translate
from tests import factories as f

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}
LATIN_WORDS = re.compile(r"[A-Za-z]{3,}")
# Values a message quotes (enum choices, the caller's own input) may stay as they are.
QUOTED_VALUES = re.compile(r"：.*。$|“.*”")


def bearer(user, scope="write"):
    _, secret = tokens.create_token(user, "phone", scope, 30)
    return {"Authorization": f"Bearer {secret}"}


def _chinese_only(text: str) -> bool:
    return not LATIN_WORDS.search(QUOTED_VALUES.sub("", text).replace("Bearer", "").replace("UTF-8", ""))


def test_a_zh_caller_reads_zh_field_messages(app, client):
    headers = {**ZH, **bearer(f.owner())}
    error = client.post("/api/v1/proposals", json={"title": 1, "body": "  ", "x": 3}, headers=headers).json["error"]
    assert error["message"] == "请根据提示修改表单内容。"
    assert error["fields"]["title"] == "不是有效的字符串。"
    assert error["fields"]["category"] == "必填字段缺失。"
    assert error["fields"]["x"] == "未知字段。"
    assert error["fields"]["body"].startswith("不能为空。")
    assert all(_chinese_only(m) for m in error["fields"].values()), error["fields"]
    limit = client.get("/api/v1/proposals?limit=abc", headers=ZH).json["error"]
    assert limit["fields"] == {"limit": "不是有效的整数。"}


def test_an_en_caller_reads_marshmallows_english(app, client):
    headers = {**EN, **bearer(f.owner())}
    error = client.post("/api/v1/proposals", json={"title": 1, "x": 3}, headers=headers).json["error"]
    assert error["message"] == "Please correct the highlighted fields."
    assert error["fields"]["title"] == "Not a valid string."
    assert error["fields"]["x"] == "Unknown field."
    assert client.get("/api/v1/proposals?limit=abc", headers=EN).json["error"]["fields"] == \
        {"limit": "Not a valid integer."}


def test_the_accounts_language_wins_over_accept_language(app, client):
    user = f.owner()
    user.locale = "zh"
    db.session.commit()
    error = client.post("/api/v1/proposals", json={"title": 1}, headers={**EN, **bearer(user)}).json["error"]
    assert error["message"] == "请根据提示修改表单内容。" and error["fields"]["title"] == "不是有效的字符串。"


@pytest.mark.parametrize("method, path, status", [
    ("get", "/api/v1/me", 401),
    ("get", "/api/v1/proposals/12345", 404),
    ("put", "/api/v1/proposals", 405),
    ("get", "/api/v1/no-such-thing", 404),
])
def test_status_messages_follow_the_callers_language(client, method, path, status):
    zh = getattr(client, method)(path, headers=ZH)
    en = getattr(client, method)(path, headers=EN)
    assert zh.status_code == en.status_code == status
    assert _chinese_only(zh.json["error"]["message"]) and zh.json["error"]["message"] != en.json["error"]["message"]
    assert not re.search(r"[\u4e00-\u9fff]", en.json["error"]["message"])


def test_a_bad_token_and_a_missing_scope_are_told_in_zh(app, client):
    refused = client.get("/api/v1/me", headers={**ZH, "Authorization": "Bearer nope"})
    assert refused.status_code == 401 and _chinese_only(refused.json["error"]["message"])
    read_only = client.post("/api/v1/proposals", json={}, headers={**ZH, **bearer(f.owner(), "read")})
    assert read_only.status_code == 403 and "write" in read_only.json["error"]["message"]
    assert _chinese_only(read_only.json["error"]["message"])


@pytest.mark.parametrize("english, chinese", [
    ("Length must be between 1 and 120.", "长度必须在 1 到 120 之间。"),
    ("Must be greater than or equal to 1 and less than or equal to 100.", "必须在 1 到 100 之间。"),
    ("Must be greater than or equal to 0.", "不能小于 0。"),
    ("Must be one of: a, b.", "必须是以下之一：a, b。"),
    ("Not a valid aware datetime.", "不是带时区偏移（如 +08:00）的有效日期时间。"),
    ("Must be in the years 2000-2099.", "年份必须在 2000 到 2099 之间。"),
    ("Something our service said.", "Something our service said."),
])
def test_marshmallow_templates_are_matched_with_their_values(app, english, chinese):
    for headers, expected in ((ZH, chinese), (EN, english)):
        with app.test_request_context(headers=headers, path="/api/v1/x"):
            refresh()  # the app fixture's context keeps the first locale it computed
            assert translate(english) == expected


@pytest.mark.parametrize("headers,bad_choice,not_a_string", [
    (EN, "Must be one of:", "Not a valid string."), (ZH, "必须是以下之一：", "不是有效的字符串。")])
def test_messages_about_list_items_name_each_item(app, client, headers, bad_choice, not_a_string):
    """Messages about items of a list are clean sentences under the list's name, never a printed dict."""
    resp = client.post("/api/v1/webhooks/endpoints", headers={**headers, **bearer(f.admin())},
                       json={"url": "https://hooks.example.com/x", "event_types": ["nope", 5]})
    fields = resp.json["error"]["fields"]
    assert resp.status_code == 422
    assert fields["event_types"].startswith(bad_choice) and fields["event_types"].endswith(not_a_string), fields
    assert not any("{" in m or "[" in m for m in fields.values()), fields
