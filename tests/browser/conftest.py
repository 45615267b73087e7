"""The browser suite: Debian's chromium driven by pytest-playwright against a live demo server.

The server is the real app (``flask run``) on a fresh SQLite demo database in a temporary folder, started
once per session by ``live_server`` and stopped by its PID. Every page a test opens is watched: a console
error, an uncaught exception, a failed request or an answer >= 400 fails the test (``watched``), unless the
test names the answer it expects. Screenshots go to ``screenshots/browser/`` (git-ignored).

Chromium and the CJK fonts come from Debian (``make browser-deps`` installs them with apt-get when absent);
outside CI a machine without /usr/bin/chromium skips the suite, in CI (``CI`` set) it fails.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("COCREATE_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "screenshots" / "browser"
WIDTHS = {"desktop": 1280, "phone": 390}


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install chromium "
                                "fonts-noto-cjk) before the browser suite")
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed (make browser-deps)")
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> str:
    """The demo app served on a free port: migrated, router trained, demo loaded. Yields its base URL.

    ``COCREATE_BROWSER_BASE=http://127.0.0.1:PORT`` points the suite at a demo server already running
    instead (quicker while writing a test; each test makes its own users, so a used demo is fine).
    """
    if os.environ.get("COCREATE_BROWSER_BASE"):
        yield os.environ["COCREATE_BROWSER_BASE"].rstrip("/")
        return
    folder = tmp_path_factory.mktemp("live")
    env = {**os.environ, "FLASK_APP": "wsgi.py", "DATABASE_URL": f"sqlite:///{folder / 'demo.db'}",
           "COCREATE_ENV": "development", "ROUTER_MODELS_DIR": str(folder / "models"),
           "SECRET_KEY": "browser-suite", "MAIL_BACKEND": "locmem",
           # one address logs in ~80 times a minute here; the limits have tests of their own
           "RATELIMIT_ENABLED": "0"}
    for key in ("REDIS_URL", "RATELIMIT_STORAGE_URI"):  # the embedded defaults: nothing shared with others
        env.pop(key, None)
    flask = [sys.executable, "-m", "flask"]
    for args in (["db", "upgrade"], ["routing", "train", "--if-missing"], ["demo", "load"]):
        done = subprocess.run([*flask, *args], cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    port = _free_port()
    log = (folder / "server.log").open("w")
    server = subprocess.Popen([*flask, "run", "--port", str(port), "--with-threads"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError("the server stopped:\n" + (folder / "server.log").read_text()[-3000:]) from None
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not answer /healthz within 30 s")
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking"]}


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


class Watch:
    """Collects what a person would see go wrong: console errors, page errors, failed requests, 4xx/5xx."""

    def __init__(self):
        self.problems: list[str] = []
        self.expected_status: set[int] = set()

    def attach(self, page) -> None:
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text} ({page.url})"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e} ({page.url})"))
        page.on("requestfailed", lambda r: self._failed(r))
        page.on("response", lambda r: r.status >= 400 and r.status not in self.expected_status
                and self.problems.append(f"HTTP {r.status}: {r.request.method} {r.url}"))

    def _failed(self, request) -> None:
        # A navigation that replaces a page cancels its pending requests; that is not a failure.
        if request.failure and "ERR_ABORTED" in request.failure:
            return
        self.problems.append(f"request failed: {request.method} {request.url} ({request.failure})")


@pytest.fixture
def watch() -> Watch:
    return Watch()


def new_page(browser, base: str, lang: str, width: int, watch: Watch):
    """A fresh context (no cookies) in ``lang`` at ``width`` px, its language chosen on the server."""
    context = browser.new_context(viewport={"width": width, "height": 900 if width > 600 else 844},
                                  locale="zh-CN" if lang == "zh" else "en-US", base_url=base,
                                  is_mobile=width < 600, has_touch=width < 600)
    context.set_default_timeout(15_000)
    page = context.new_page()
    watch.attach(page)
    return page


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
