"""The zh catalogue is complete, and the UI speaks zh by default and en after the language switch.

A string wrapped in ``_()`` without a zh translation fails here: the test extracts the catalogue from
the sources in memory (same map and keywords as ``make translations-update``) and looks each id up.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from sqlalchemy import select

from community import create_app
from community.accounts.models import User
from community.extensions import db
from tests import factories as f

ROOT = Path(__file__).resolve().parent.parent
ZH_PO = ROOT / "community" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
# Same keywords and skipped directories as the Makefile's translations-update target.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]")


def _skip_dir(path: str) -> bool:
    name = os.path.basename(path)
    return not (name.startswith(".") or name == "__pycache__")


def _zh_catalog():
    with ZH_PO.open("rb") as fh:
        return read_po(fh)


def _source_ids() -> dict[str, str]:
    """Every message id in the sources -> the first file it appears in."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found: dict[str, str] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, directory_filter=_skip_dir):
        found.setdefault(message if isinstance(message, str) else message[0], filename)
    return found


def test_zh_catalogue_has_no_empty_or_fuzzy_entries():
    catalog = _zh_catalog()
    assert len(catalog) > 100
    problems = []
    for msg in catalog:
        if not msg.id:
            continue
        strings = [msg.string] if isinstance(msg.string, str) else list(msg.string)
        if msg.fuzzy or not all(s.strip() for s in strings):
            problems.append(msg.id)
    assert problems == []


def test_zh_placeholders_survive_translation():
    mismatched = []
    for msg in _zh_catalog():
        ids = [msg.id] if isinstance(msg.id, str) else list(msg.id)
        strings = [msg.string] if isinstance(msg.string, str) else list(msg.string)
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        mismatched += [msg.id for s in strings if set(PLACEHOLDER.findall(s)) != wanted]
    assert mismatched == []


def test_every_string_in_the_sources_is_translated_to_zh():
    catalog = _zh_catalog()
    source = _source_ids()
    assert "Proposals" in source and "Public timeline" in source  # extraction really ran (templates too)
    assert any(name.startswith(os.path.join("templates", "_macros")) for name in source.values())
    missing = {msgid: where for msgid, where in source.items()
               if msgid not in catalog or not catalog[msgid].string}
    assert missing == {}, "run `make translations-update` and translate these in the zh .po"


def test_production_default_language_is_zh():
    app = create_app({"COCREATE_ENV": "testing", "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["BABEL_DEFAULT_LOCALE"] == "zh"


@pytest.fixture
def zh_app(make_app):
    """An app with the production default language (conftest switches tests to en)."""
    return make_app(BABEL_DEFAULT_LOCALE="zh")


@pytest.fixture
def zh_client(zh_app):
    return zh_app.test_client()


def test_home_is_zh_by_default_and_en_after_the_switch(zh_client):
    page = zh_client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "提案" in page and "公开进展" in page and "Public timeline" not in page

    resp = zh_client.post("/lang/en", data={"next": "/"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    page = zh_client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Public timeline" in page and "公开进展" not in page

    zh_client.post("/lang/zh", data={"next": "/"})
    assert "公开进展" in zh_client.get("/").get_data(as_text=True)


def test_switch_offers_the_current_page_and_returns_to_it(zh_client):
    page = zh_client.get("/timeline?kind=approval").get_data(as_text=True)
    assert 'name="next" value="/timeline?kind=approval"' in page
    resp = zh_client.post("/lang/en", data={"next": "/timeline?kind=approval"})
    assert resp.headers["Location"] == "/timeline?kind=approval"


def test_switch_drops_a_lang_parameter_that_would_override_it(zh_client):
    resp = zh_client.post("/lang/en", data={"next": "/timeline?lang=zh&kind=approval"})
    assert resp.headers["Location"] == "/timeline?kind=approval"
    assert "Public timeline" in zh_client.get(resp.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/proposals/1/vote", "/nowhere"])
def test_switch_refuses_foreign_or_non_page_targets(zh_client, target):
    resp = zh_client.post("/lang/en", data={"next": target})
    assert resp.headers["Location"] == "/"


def test_unknown_language_changes_nothing(zh_client):
    zh_client.post("/lang/fr", data={"next": "/"})
    assert "公开进展" in zh_client.get("/").get_data(as_text=True)


def test_logged_in_choice_is_kept_on_the_account(zh_app, zh_client):
    with zh_app.app_context():
        email = f.UserFactory().email
    zh_client.post("/login", data={"email": email, "password": f.PASSWORD})
    zh_client.post("/lang/en", data={"next": "/"})
    with zh_app.app_context():
        assert db.session.scalar(select(User.locale).where(User.email == email)) == "en"
    other_browser = zh_app.test_client()
    other_browser.post("/login", data={"email": email, "password": f.PASSWORD})
    assert "Public timeline" in other_browser.get("/").get_data(as_text=True)


def test_stored_keys_are_shown_as_labels_in_zh(zh_app, zh_client):
    from community.proposals import service

    with zh_app.app_context():
        proposal = f.proposal()
        service.change_status(proposal, "under_review", f.moderator(), note_en="Looking at it")
        url = f"/proposals/{proposal.id}"
    page = zh_client.get(url).get_data(as_text=True)
    assert "已提交 → 评审中" in page and "under_review" not in page


@pytest.mark.parametrize(("method", "path", "status", "text"), [
    ("get", "/nowhere", 404, "这个地址没有内容"),
    ("post", "/", 405, "该地址不支持这种请求方式"),
])
def test_error_pages_speak_zh_not_werkzeug_english(zh_client, method, path, status, text):
    resp = getattr(zh_client, method)(path)
    page = resp.get_data(as_text=True)
    assert resp.status_code == status and text in page and "requested URL" not in page


def test_expired_form_says_so_in_zh(make_app):
    client = make_app(BABEL_DEFAULT_LOCALE="zh", WTF_CSRF_ENABLED=True).test_client()
    resp = client.post("/lang/en", data={"next": "/"})
    assert resp.status_code == 400 and "表单已过期" in resp.get_data(as_text=True)


def test_atom_feed_declares_the_language_its_titles_are_in(zh_client):
    feed = zh_client.get("/timeline.atom").get_data(as_text=True)
    assert 'xml:lang="zh-CN"' in feed and "共创 · 公开进展" in feed
    feed = zh_client.get("/timeline.atom?lang=en").get_data(as_text=True)
    assert 'xml:lang="en"' in feed and "Cocreate public timeline" in feed


# docs/copy-guide.zh.md: one voice (你, never 您) and full-width punctuation in Chinese sentences.
CJK = r"[\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]"
ASCII_BESIDE_CJK = re.compile(rf"{CJK}[:,()!?]|[:,()!?]{CJK}")
OUR_ZH_SOURCES = [ROOT / "templates", ROOT / "community" / "templates"]


def _zh_strings():
    for msg in _zh_catalog():
        if msg.id:
            yield from ([msg.string] if isinstance(msg.string, str) else list(msg.string))


def _our_zh_files():
    """Templates (pages and e-mails) and the demo data: the Chinese we write ourselves. The router's
    generated corpus imitates owners' own words and is left as they would write."""
    files = [p for root in OUR_ZH_SOURCES if root.exists() for p in root.rglob("*") if p.suffix in (".html", ".txt")]
    return files + sorted((ROOT / "community").glob("demo*.py")) + sorted((ROOT / "community").glob("*/demo.py"))


def test_zh_copy_uses_one_voice():
    formal = [s for s in _zh_strings() if "您" in s]
    formal += [str(p.relative_to(ROOT)) for p in _our_zh_files() if "您" in p.read_text(encoding="utf-8")]
    assert formal == [], "the copy guide picks 你: write 你 / 你的"


def test_zh_copy_has_full_width_punctuation_beside_chinese():
    ascii_marks = [s for s in _zh_strings() if ASCII_BESIDE_CJK.search(s)]
    assert ascii_marks == [], "use ：，（）！？ next to Chinese characters"


def test_the_punctuation_check_catches_ascii_marks():
    assert ASCII_BESIDE_CJK.search("原因:多地审批延后") and ASCII_BESIDE_CJK.search("支持(3)")
    assert not ASCII_BESIDE_CJK.search("原因：多地审批延后（3）") and not ASCII_BESIDE_CJK.search("t=<时间戳>,v1")


# A template that writes punctuation after a translated label or a name writes ASCII after Chinese in zh:
# "{{ _('Proposal') }}: {{ title }}" reads 提案: ... Use the colon filter (提案： / Proposal: ) instead.
ASCII_AFTER_TEXT = re.compile(r"(_\((['\"])[^'\"]*\2\)|\w)\s*\}\}\s*[:,]\s*(\{\{|<)|\{\{ ?', ' if")


def test_templates_put_no_ascii_colon_after_translated_or_user_text():
    found = [f"{p.relative_to(ROOT)}:{n}" for p in (ROOT / "templates").rglob("*.html")
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if ASCII_AFTER_TEXT.search(line)]
    assert found == []


def test_the_colon_follows_the_language(zh_app):
    from community.util import with_colon

    assert with_colon("提案", "zh") == "提案：" and with_colon("Proposal", "en") == "Proposal: "
    assert ASCII_AFTER_TEXT.search("{{ _('Proposal') }}: {{ x }}") and ASCII_AFTER_TEXT.search("{{ name }}: {{ r }}")
    assert not ASCII_AFTER_TEXT.search("{{ _('Proposal')|colon }}{{ x }}")
