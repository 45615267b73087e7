"""A person's walk through the pages: go, fill, submit, screenshot, accessibility check.

Kept apart from the tests so each test reads as the journey it walks.
"""
from __future__ import annotations

from pathlib import Path

from axe_playwright_python.sync_playwright import Axe

PASSWORD = "cocreate-demo"
# WCAG 2.1 A and AA rules only; best practices are advice, not the bar.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"]}
_axe = Axe()


class Walk:
    """One person in one language at one width. ``shot`` names files ``<walk>-<lang>-<width>-<nn>-<name>.png``."""

    def __init__(self, page, lang: str, width: int, out: Path, watch, name: str):
        self.page, self.lang, self.width, self.out, self.watch, self.name = page, lang, width, out, watch, name
        self.step = 0

    @property
    def phone(self) -> bool:
        return self.width < 600

    def t(self, zh: str, en: str) -> str:
        """The text a person reading this walk's language expects."""
        return zh if self.lang == "zh" else en

    def go(self, path: str):
        response = self.page.goto(path)
        assert response is not None and response.status < 400, f"GET {path} answered {response and response.status}"
        return response

    def submit(self, selector: str) -> None:
        with self.page.expect_navigation():
            self.page.locator(selector).first.click()

    def sees(self, text: str) -> None:
        body = self.page.locator("body").inner_text()
        assert text in body, f"{text!r} not shown on {self.page.url}"

    def shot(self, name: str, must_show: str | None = None, full_page: bool = True) -> None:
        if must_show:
            self.sees(must_show)
        self.step += 1
        path = self.out / f"{self.name}-{self.lang}-{self.width}-{self.step:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)

    def axe(self) -> None:
        """Serious or critical WCAG 2.1 AA violations on the page as it is now become problems (the test fails at
        its end, after walking the rest, so one run shows them all)."""
        results = _axe.run(self.page, options=AXE_OPTIONS)
        bad = [f"{v['id']} ({v['impact']}): {v['help']} at "
               + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                           for n in v["nodes"][:3])
               for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        if bad:
            self.watch.problems.append(f"accessibility on {self.page.url}:\n  " + "\n  ".join(bad))

    def choose_language(self) -> None:
        """Press the language switch when the page is not already in this walk's language (zh is the default)."""
        if self.page.locator("html").get_attribute("lang", timeout=5000).startswith(self.lang):
            return
        self.open_menu()
        self.submit("#lang-switch")

    def open_menu(self) -> None:
        toggler = self.page.locator(".navbar-toggler")
        if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
            toggler.click()
            self.page.locator("#nav.show").wait_for()

    def login(self, email: str, password: str = PASSWORD) -> None:
        self.page.context.clear_cookies()
        self.go("/login")
        self.choose_language()
        self.page.fill("#email", email)
        self.page.fill("#password", password)
        self.submit("#submit")
        assert "/login" not in self.page.url, f"login as {email} failed"

    def logout(self) -> None:
        self.open_menu()
        self.page.click("#nav-user")
        self.submit("form[action$='/logout'] button")
