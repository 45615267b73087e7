"""Verification when the proof does not hold, in zh and en at 1280 and 390 px: the VIN on an invoice says another
model year than the claim, the moderator sees it and rejects with a reason, the owner reads the reason in their
language, uploads a licence instead, and the car is back in the moderator's queue with the new photo.
"""
from __future__ import annotations

import random
import time

import pytest

from community.accounts.demo import demo_vin, proof_image
from tests.browser.conftest import WIDTHS, new_page
from tests.browser.walk import Walk

MODERATOR = "moderator@cocreate.example"
PASSWORD = "a-long-password"


def _photo(kind: str, vin: str, year: int) -> list[dict]:
    return [{"name": f"{kind}.jpg", "mimeType": "image/jpeg", "buffer": proof_image(kind, vin, "Kai Wu", "007", year)}]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_rejected_owner_uploads_new_proof(browser, live_server, screenshots, watch, lang, width):
    page = new_page(browser, live_server, lang, width, watch)
    w = Walk(page, lang, width, screenshots, watch, "verification")
    n = f"{lang}{width}{int(time.time() * 1000) % 100000}"
    email = f"claimant-{n}@example.com"
    # Display names are unique among active owners: each width registers its own claimant.
    zh_name, en_name = ("车主吴凯", "Kai Wu") if width > 500 else ("车主郑洁", "Jie Zheng")
    w.go("/register")
    w.choose_language()
    page.fill("#email", email)
    page.fill("#display_name", w.t(zh_name, en_name))
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    w.submit("#submit")

    # The car is claimed as a 2024 007, but the invoice's VIN says 2023.
    vin = demo_vin(random.Random(n), 2023)
    w.go("/vehicles")
    page.select_option("#model", "007")
    page.fill("#model_year", "2024")
    page.fill("#vin", vin)
    page.check("input[name=evidence_kind][value=invoice]")
    page.set_input_files("#evidence", files=_photo("invoice", vin, 2023))
    w.submit("#submit")
    w.sees(w.t("证明已收到", "Proof received"))

    # The moderator sees the year differs and rejects with a reason.
    reason = w.t("发票上的车架号是 2023 款，请上传行驶证。",
                 "The invoice's VIN is a 2023 car; please upload the licence.")
    w.login(MODERATOR)
    w.go("/moderation/vehicles")
    card = page.locator(".review-item", has_text=email)
    assert w.t("与填写不符", "differs from the claim") in card.inner_text()
    card.locator("textarea[name=reason]").fill(reason)
    with page.expect_navigation():
        card.locator("button[name=reject]").click()
    w.shot("rejected", w.t("车辆已驳回", "Vehicle rejected"))

    # The owner reads why, in their language, and uploads a licence.
    w.login(email, PASSWORD)
    w.go("/notifications")
    w.shot("owner-told-why", reason)
    w.sees(w.t("未通过认证", "was not verified"))
    w.go("/vehicles")
    w.sees(reason)
    car = page.locator("#my-cars .card", has_text=vin[-4:])
    car.locator("input[type=radio][value=licence]").check()
    car.locator("input[name$='-vin']").fill(vin)
    car.locator("input[type=file]").set_input_files(_photo("licence", vin, 2023))
    w.axe()
    with page.expect_navigation():
        car.locator("button, input[type=submit]").last.click()
    w.shot("proof-sent-again", w.t("证明已收到", "Proof received"))
    w.sees(w.t("待认证", "Waiting for verification"))

    # The car is back in the queue with the new photo.
    w.login(MODERATOR)
    w.go("/moderation/vehicles")
    card = page.locator(".review-item", has_text=email)
    assert card.locator("img.evidence-photo").evaluate("img => img.complete && img.naturalWidth > 0")
    assert w.t("行驶证", "Vehicle licence") in card.inner_text()
    w.shot("back-in-queue", email)

    assert watch.problems == [], "\n".join(watch.problems)
