"""Phones (390 px), measured rather than only photographed: on a campaign the owner's cars (eligibility) and the
pledge action come before the long description; the /pledge scorecard scrolls inside its box with the team column
fixed and no column squeezed to a character or two; every weekly chart has a legend, axis labels and a table of
the same figures."""
from __future__ import annotations

import pytest

from tests.browser.conftest import new_page
from tests.browser.walk import Walk

PHONE = 390
NARROWEST_COLUMN = 40  # px: about three Chinese characters at the table's font size


def _box(page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not laid out on {page.url}"
    return box


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_campaign_puts_the_cars_and_the_pledge_first(browser, live_server, screenshots, watch, lang):
    w = Walk(new_page(browser, live_server, lang, PHONE, watch), lang, PHONE, screenshots, watch, "phone-campaign")
    w.login("owner@cocreate.example")
    w.go("/campaigns")
    links = w.page.locator("a[href^='/campaigns/']:not([href$='/mine'])")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    for href in hrefs:  # the demo's campaign; other tests of the suite add campaigns without a description
        w.go(href)
        if w.page.locator(".proposal-body").count() and w.page.locator("#my-vehicles form button").count():
            break
    else:
        raise AssertionError(f"no campaign with a description and a pledge action among {hrefs}")
    cars, action = _box(w.page, "#my-vehicles"), _box(w.page, "#my-vehicles form button")
    description = _box(w.page, ".proposal-body")
    assert cars["y"] + cars["height"] <= description["y"], (cars, description)
    assert action["y"] < description["y"] and action["y"] < 2 * 844, action  # within two screens of the top
    assert cars["width"] >= PHONE - 40  # the panel takes the phone's width, not a squeezed side column
    w.shot("campaign", full_page=False)
    assert watch.problems == [], "\n".join(watch.problems)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pledge_scorecard_scrolls_with_the_team_column_fixed(browser, live_server, screenshots, watch, lang):
    w = Walk(new_page(browser, live_server, lang, PHONE, watch), lang, PHONE, screenshots, watch, "phone-pledge")
    w.go("/pledge")
    w.choose_language()
    page = w.page
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    scroller = page.locator("#scorecard").locator("xpath=..")
    widths = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[0] > widths[1], "the scorecard should scroll inside its box"
    columns = page.evaluate("""() => [...document.querySelectorAll('#scorecard > tbody > tr:first-child > *')]
                               .map(c => Math.round(c.getBoundingClientRect().width))""")
    assert min(columns) >= NARROWEST_COLUMN, columns
    team = page.locator("#scorecard > tbody > tr:first-child > th").first
    assert team.evaluate("e => getComputedStyle(e).position") == "sticky"
    before = team.bounding_box()["x"]
    scroller.evaluate("e => { e.scrollLeft = 300; }")
    page.wait_for_timeout(100)
    assert abs(team.bounding_box()["x"] - before) <= 1, "the team column should stay in view"
    scroller.scroll_into_view_if_needed()
    w.shot("scorecard-scrolled", full_page=False)

    legend = page.locator("#chart-legend")
    assert legend.is_visible() and legend.locator("svg rect").count() == 4
    charts = page.locator("svg.pledge-chart")
    assert charts.count() >= 1
    for i in range(charts.count()):
        chart = charts.nth(i)
        labels = chart.evaluate("s => [...s.querySelectorAll('text')].map(t => t.textContent)")
        assert "100%" in labels and "0%" in labels and len(labels) == 4, labels
        table_id = chart.get_attribute("aria-describedby")
        assert table_id and page.locator(f"table#{table_id} tbody tr").count() == 13
    page.locator("#scorecard details summary").first.click()
    page.locator("#scorecard details table").first.scroll_into_view_if_needed()
    assert page.locator("#scorecard details table").first.is_visible()
    w.shot("scorecard-weekly-figures", full_page=False)
    assert watch.problems == [], "\n".join(watch.problems)
