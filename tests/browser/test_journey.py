"""The main journey as people walk it, in zh and en, at 1280 px and at 390 px (a phone).

A newcomer registers and adds a car with a photo of its licence; a moderator sees the photo beside the full VIN
and the model year it encodes, verifies it, and the newcomer is told; the newcomer
proposes and votes, another owner votes; a moderator moves the status and opens a crowdfunding; the public
timeline and its Atom feed show the change; the newcomer's feedback is routed to a team whose agent answers;
an eligible owner pledges and an ineligible one sees why. Any console error or failed request fails it.
"""
from __future__ import annotations

import random
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from community.accounts.demo import demo_vin, proof_image
from tests.browser.conftest import WIDTHS, new_page
from tests.browser.walk import Walk

MODERATOR = "moderator@cocreate.example"
OWNER = "owner@cocreate.example"  # a verified 2024 001 with lidar: eligible for the crowdfunding below
INELIGIBLE = "owner2023@cocreate.example"  # a 2023 001
CHARGING_AGENT = "agent.charging@cocreate.example"
NEW_PASSWORD = "a-long-password"
PROPOSAL = {
    "zh": ("充电桩地图显示实时空闲状态{n}", "希望 App 里的充电地图能显示**实时空闲**的桩数，节假日出行更安心。"),
    "en": ("Show live charger availability on the map {n}",
           "Please show **live** free charger counts in the app's map, so holiday trips are less stressful."),
}
FEEDBACK = {
    "zh": "昨晚在超充站充电，充到一半就断了，重新插枪也充不上，希望尽快排查这个充电桩。",
    "en": "The supercharger stopped halfway through charging last night and would not restart after re-plugging.",
}


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_main_journey(browser, live_server, screenshots, watch, lang, width):
    page = new_page(browser, live_server, lang, width, watch)
    w = Walk(page, lang, width, screenshots, watch, "journey")
    n = f"{lang}{width}{int(time.time() * 1000) % 100000}"
    email = f"newcomer-{n}@example.com"
    # Display names are unique among active owners: each width registers its own newcomer.
    zh_name, en_name = ("新车主小林", "Robin Lee") if width > 500 else ("新车主小周", "Robin Chen")

    # A newcomer arrives, reads the list in their language and registers.
    w.go("/")
    w.choose_language()
    w.shot("home", w.t("提案", "Proposals"))
    w.go("/register")
    page.fill("#email", email)
    page.fill("#display_name", w.t(zh_name, en_name))
    page.fill("#password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    w.submit("#submit")

    # ... adds a car with a photo of its vehicle licence ...
    w.go("/vehicles")
    page.select_option("#model", "009")
    page.fill("#model_year", "2024")
    page.check("input[name=hardware][value=lidar]")
    vin = demo_vin(random.Random(n), 2024)
    page.fill("#vin", vin)
    page.check("input[name=evidence_kind][value=licence]")
    page.set_input_files("#evidence", files=[{"name": "licence.jpg", "mimeType": "image/jpeg",
                                              "buffer": proof_image("licence", vin, en_name, "009", 2024)}])
    w.submit("#submit")
    w.shot("vehicle-added", w.t("待认证", "Waiting for verification"))
    w.sees(w.t("证明已收到", "Proof received"))
    w.axe()

    # ... a moderator compares the photo with the full VIN and the year it encodes, and verifies it ...
    w.login(MODERATOR)
    w.go("/moderation/vehicles")
    card = page.locator(".review-item", has_text=email)
    card.scroll_into_view_if_needed()
    photo = card.locator("img.evidence-photo")
    photo.wait_for()
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0"), "the proof photo did not load"
    assert vin in card.inner_text() and w.t("与填写一致", "matches the claim") in card.inner_text()
    card.screenshot(path=str(w.out / f"journey-{lang}-{width}-proof-beside-vin.png"))
    w.shot("verification-queue", email)
    w.axe()
    with page.expect_navigation():
        card.locator("button[name=verify]").click()
    w.shot("vehicle-verified", w.t("车辆已通过认证", "Vehicle verified"))

    # ... and the owner is told: on the car and in the notifications.
    w.login(email, NEW_PASSWORD)
    w.go("/vehicles")
    w.sees(w.t("已认证", "Verified"))
    w.go("/notifications")
    w.shot("owner-told", w.t("已通过认证", "is verified"))

    # The new owner proposes and supports the proposal.
    w.go("/proposals/new")
    title, body = PROPOSAL[lang]
    title = title.format(n=n[-4:])
    page.fill("#title", title)
    page.select_option("#category", "charging")
    page.fill("#body", body)
    w.submit("#submit")
    w.shot("proposal-posted", w.t("你的提案已发布", "Your proposal is published"))
    proposal_path = re.sub(r"^https?://[^/]+", "", page.url).split("#")[0]
    w.submit("#vote")
    w.sees(w.t("已支持", "You support this"))

    # Another owner supports it too.
    w.login(OWNER)
    w.go(proposal_path)
    w.submit("#vote")
    w.shot("second-vote", w.t("已支持", "You support this"))

    # A moderator accepts it with a note and opens a crowdfunding on it.
    w.login(MODERATOR)
    w.go(proposal_path)
    for status, note in (("under_review", w.t("已提交理事共创会评审。", "Sent to the council session.")),
                         ("accepted", w.t("理事共创会评审通过，已立项。", "Approved at the council session."))):
        page.select_option("#st-status", status)
        page.fill("#st-text_zh" if lang == "zh" else "#st-text_en", note)
        w.submit("#st-submit")
    w.shot("accepted", w.t("状态已变更为", "Status changed to"))
    w.axe()
    proposal_id = proposal_path.rstrip("/").split("/")[-1]
    w.go(f"/proposals/{proposal_id}/campaigns/new")
    today = datetime.now(ZoneInfo("Asia/Shanghai"))
    page.fill("#title_zh" if lang == "zh" else "#title_en", title)
    page.fill("#price_cny", "980")
    page.fill("#target", "50")
    page.fill("#opens_at", (today - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#closes_on", (today + timedelta(days=30)).strftime("%Y-%m-%d"))
    for model in ("001", "009"):
        page.check(f"input[name=models][value='{model}']")
    page.check("input[name=model_years][value='2024']")
    page.check("input[name=hardware_required][value=lidar]")
    page.check("#publish")
    w.submit("#submit")
    campaign_path = re.sub(r"^https?://[^/]+", "", page.url).split("#")[0]
    w.shot("campaign-open", title)

    # The public timeline and its feed show the change.
    w.go("/timeline")
    w.shot("timeline", title)
    feed = page.request.get("/timeline.atom")
    assert feed.ok and title in feed.text()

    # Feedback about a charger is routed to the charging team, whose agent answers.
    w.login(email, NEW_PASSWORD)
    w.go("/feedback/new")
    page.fill("#text", FEEDBACK[lang])
    w.submit("#submit")
    w.shot("feedback-sent")
    feedback_path = re.sub(r"^https?://[^/]+", "", page.url).split("#")[0]
    w.login(CHARGING_AGENT)
    w.go("/feedback/queue")
    w.sees(FEEDBACK[lang][:20])
    w.go(feedback_path)
    reply = w.t("你好，我们已联系该站点排查，今天内回电。",
                "We have asked the station to check it and will call you today.")
    page.fill("#rp-body", reply)
    w.submit("#rp-submit")
    w.login(email, NEW_PASSWORD)
    w.go(feedback_path)
    w.shot("feedback-answered", reply)

    # An eligible owner pledges; an ineligible one sees why not.
    w.login(OWNER)
    w.go(campaign_path)
    w.shot("campaign-eligible", w.t("符合条件", "Eligible"))
    w.submit("#my-vehicles form button.btn-primary")
    w.shot("pledged", w.t("取消认筹", "Cancel pledge"))
    w.login(INELIGIBLE)
    w.go(campaign_path)
    w.shot("campaign-ineligible", w.t("不符合条件", "Not eligible"))

    assert watch.problems == [], "\n".join(watch.problems)
