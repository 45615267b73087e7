"""Text helpers: what counts as routable text, normalisation, and a quiet, lazy jieba."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from community.routing.text import has_content, normalize

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "text", [None, "", "   \n\t", "\u3000", "😡😡👍", "🚗💨", "？！。。。", "...!!!", "—— ~ ——", 42]
)
def test_nothing_to_route(text: object) -> None:
    assert not has_content(text)


@pytest.mark.parametrize("text", ["充电", "app", "OTA 升级后 app 连不上车", "001", "😡 退款"])
def test_something_to_route(text: str) -> None:
    assert has_content(text)


def test_normalize_folds_full_width_and_case() -> None:
    assert normalize("ＡＰＰ连不上，ＯＴＡ失败") == "app连不上,ota失败"


def test_jieba_is_lazy_and_quiet() -> None:
    """Importing the package must not load jieba; first use must print nothing (no "Building prefix dict") and
    must not load jieba's own big dict (the compact one, ``jieba_dict``, serves)."""
    code = (
        "import sys, community.routing\n"
        "assert 'jieba' not in sys.modules, 'jieba imported eagerly'\n"
        "from community.routing.text import jieba_tokens\n"
        "tokens = jieba_tokens('ota 升级后 app 连不上车')\n"
        "assert {'ota', 'app', '升级'} <= set(tokens), tokens\n"
        "assert ' ' not in tokens\n"
        "import jieba\n"
        "assert not jieba.dt.initialized, 'the global jieba loaded its big dict'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
