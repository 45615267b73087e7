"""Walk the main loop in headless Chromium, in zh and in en, and save screenshots (not a test).

    /work/main/.venv/bin/python bench/screenshots.py [--out screenshots] [--lang zh --lang en]

Starts the app with ``flask run`` on a fresh SQLite demo database and a free port, then, per language,
walks it as a newcomer would: the proposal list, registering, adding a car, the moderator verifying it,
posting a proposal and voting, a second owner voting, the moderator moving it to under_review with a
note, the public timeline, the canonical story's page, and the list at phone width (390 px).
PNG files land in ``screenshots/`` (git-ignored) as ``<lang>-<step>-<name>.png``; the script prints
each file and stops at the first step whose page answered an error status or lacked what it expected.

Needs Playwright (pip, not in requirements) and Debian's chromium at /usr/bin/chromium.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from community.accounts.vehicles import with_check_digit  # noqa: E402
from community.demo import PASSWORD, STORY_TITLE  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
MODERATOR = "moderator@cocreate.example"
OWNER = "owner@cocreate.example"
# What each language must show, so a missing translation or a wrong page stops the walk.
EXPECT = {
    "zh": {"home": "提案", "verified": "车辆已通过认证", "published": "你的提案已发布", "voted": "已支持",
           "status": "状态已变更为", "timeline": "公开进展"},
    "en": {"home": "Proposals", "verified": "Vehicle verified", "published": "Your proposal is published",
           "voted": "You support this", "status": "Status changed to", "timeline": "Public timeline"},
}
PROPOSAL = {
    "zh": ("充电桩地图显示实时空闲状态", "希望 App 里的充电地图能显示**实时空闲**的桩数，节假日出行更安心。"),
    "en": ("Show live charger availability on the map",
           "Please show **live** free charger counts in the app's map, so holiday trips are less stressful."),
}
NOTE = {"zh": "已提交理事共创会评审，预计两周内答复。",
        "en": "Sent to the council session; answer expected within two weeks."}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db_path: Path, port: int) -> subprocess.Popen:
    """Migrate and load the demo into ``db_path``, then serve it with ``flask run`` on ``port``."""
    env = {**os.environ, "FLASK_APP": "wsgi.py", "DATABASE_URL": f"sqlite:///{db_path}",
           "COCREATE_ENV": "development"}
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "demo", "load"], cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen([*flask, "run", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the app did not start: " + server.stderr.read().decode()[-2000:])


class Walk:
    """One language's walk through the loop; each ``shot`` is checked and saved."""

    def __init__(self, page: Page, base: str, lang: str, out: Path):
        self.page, self.base, self.lang, self.out, self.step = page, base, lang, out, 0
        self.expect = EXPECT[lang]

    def go(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        if response is None or response.status >= 400:
            raise SystemExit(f"[{self.lang}] GET {path} answered {response and response.status}")

    def shot(self, name: str, must_show: str | None = None, full_page: bool = True) -> None:
        self.step += 1
        if must_show and must_show not in self.page.content():
            raise SystemExit(f"[{self.lang}] step {name}: {must_show!r} not on {self.page.url}")
        path = self.out / f"{self.lang}-{self.step:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)

    def submit(self, selector: str) -> None:
        with self.page.expect_navigation():
            self.page.click(selector)

    def login(self, email: str, password: str) -> None:
        self.go("/login")
        self.page.fill("#email", email)
        self.page.fill("#password", password)
        self.submit("#submit")

    def logout(self) -> None:
        self.page.click("#nav-user")  # log out sits in the menu under the user's name
        self.submit("form[action$='/logout'] button")

    def run(self) -> None:
        page, lang, expect = self.page, self.lang, self.expect
        self.go("/")
        if lang != "zh":  # zh is the default; a newcomer reading English presses the switch
            self.submit("#lang-switch")
        self.shot("home", expect["home"])

        email = f"newcomer-{lang}-{int(time.time())}@example.com"
        page.click("a[href='/register']")
        page.fill("#email", email)
        page.fill("#display_name", "新车主小林" if lang == "zh" else "Robin the newcomer")
        page.fill("#password", "a-long-password")
        page.fill("#confirm", "a-long-password")
        self.shot("register")
        self.submit("#submit")

        page.select_option("#model", "001")
        page.fill("#model_year", "2024")
        page.check("input[name=hardware][value=lidar]")
        page.fill("#vin", with_check_digit(f"LZ5A1B2C0RN{int(time.time()) % 1000000:06d}"))
        self.submit("#submit")
        self.shot("vehicle-added")

        self.logout()
        self.login(MODERATOR, PASSWORD)
        self.go("/moderation/vehicles")
        self.shot("moderation-queue", email)
        self.submit(f".card:has-text('{email}') button[name=verify]")
        self.shot("vehicle-verified", expect["verified"])

        self.logout()
        self.login(email, "a-long-password")
        self.go("/proposals/new")
        title, body = PROPOSAL[lang]
        page.fill("#title", title)
        page.select_option("#category", "charging")
        page.fill("#body", body)
        self.shot("new-proposal")
        self.submit("#submit")
        self.shot("proposal-posted", expect["published"])
        proposal_path = page.url.removeprefix(self.base).split("#")[0]
        self.submit("#vote")
        self.shot("voted", expect["voted"])

        self.logout()
        self.login(OWNER, PASSWORD)
        self.go(proposal_path)
        self.submit("#vote")
        self.shot("second-vote", expect["voted"])

        self.logout()
        self.login(MODERATOR, PASSWORD)
        self.go(proposal_path)
        page.select_option("#st-status", "under_review")
        page.fill("#st-text_zh" if lang == "zh" else "#st-text_en", NOTE[lang])
        self.submit("#st-submit")
        self.shot("under-review", expect["status"])

        self.go("/settings")
        self.page.click("#nav-staff")
        self.shot("moderator-settings", full_page=False)
        self.go("/timeline")
        self.shot("timeline", expect["timeline"])
        self.go("/?q=" + urllib.request.quote("老车主"))
        self.submit(f"a.list-group-item:has-text('{STORY_TITLE}')")
        self.shot("story", STORY_TITLE)

        page.set_viewport_size({"width": 390, "height": 844})
        self.go("/")
        self.shot("phone-list", expect["home"], full_page=False)
        page.click(".navbar-toggler")
        page.wait_for_timeout(400)  # the menu's collapse animation
        self.shot("phone-menu", full_page=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    parser.add_argument("--lang", action="append", choices=["zh", "en"])
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "demo.db", port)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-background-networking",
                                                   "--disable-gpu"])
                for lang in args.lang or ["zh", "en"]:
                    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                                  locale="zh-CN" if lang == "zh" else "en-US")
                    Walk(context.new_page(), f"http://127.0.0.1:{port}", lang, out).run()
                    context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
