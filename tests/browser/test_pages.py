"""Every public page and the main owner and moderator pages, in zh and en, at 1280 px and 390 px.

Each page must load without console errors or failed requests and show only the viewer's language in its
headings; at 1280 px axe-core finds no serious or critical WCAG 2.1 AA violation; at 390 px the page never
scrolls sideways (wide tables scroll inside their own box). Screenshots of each page land in
screenshots/browser/.
"""
from __future__ import annotations

import pytest

from tests.browser.conftest import WIDTHS, new_page
from tests.browser.walk import Walk

PUBLIC = ["/", "/timeline", "/roadmap", "/announcements", "/campaigns", "/council", "/pledge", "/scorecards",
          "/feedback/new", "/login", "/register"]
# Detail pages reached by following the first link of a kind on a listing page: (listing, link selector).
FOLLOW = [("/", "a.list-group-item[href^='/proposals/']"), ("/roadmap", "a[href^='/roadmap/']"),
          ("/announcements", "a[href^='/announcements/']"), ("/campaigns", "a[href^='/campaigns/']"),
          ("/council", "a[href^='/council/sessions/']"), ("/scorecards", "a[href^='/scorecards/stores/']")]
OWNER = ("owner@cocreate.example", ["/vehicles", "/settings", "/settings/notifications", "/notifications",
                                    "/campaigns/mine", "/feedback/mine", "/entitlements", "/proposals/new"])
MODERATOR = ("moderator@cocreate.example", ["/moderation/vehicles", "/moderation", "/moderation/users",
                                            "/moderation/hidden", "/feedback/triage", "/council/queue",
                                            "/entitlements/manage", "/roadmap/new", "/announcements/new"])


def _detail_paths(w: Walk) -> list[str]:
    found = []
    for listing, selector in FOLLOW:
        w.go(listing)
        link = w.page.locator(selector).first
        href = link.get_attribute("href") if link.count() else None
        assert href, f"no {selector} on {listing}"
        found.append(href.split("#")[0])
    return found


def _check(w: Walk, path: str) -> None:
    w.go(path)
    name = path.strip("/").replace("/", "-") or "home"
    if w.phone:
        overflow = w.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 1:
            w.watch.problems.append(f"{path} scrolls sideways by {overflow}px at {w.width}px")
        w.shot(name, full_page=False)
    else:
        w.shot(name)
        w.axe()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pages(browser, live_server, screenshots, watch, lang, width):
    w = Walk(new_page(browser, live_server, lang, width, watch), lang, width, screenshots, watch, "pages")
    w.go("/")
    w.choose_language()
    for path in PUBLIC + _detail_paths(w):
        _check(w, path)
    for email, paths in (OWNER, MODERATOR):
        w.login(email)
        for path in paths:
            _check(w, path)
    assert watch.problems == [], "\n".join(watch.problems)
