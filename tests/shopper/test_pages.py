"""The pages: the shopper's form, read-only after submission, internal reading with redaction, and public
scorecards that show aggregates only."""
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from community.dbtypes import utcnow
from community.shopper import scorecard, service
from tests import factories as f
from tests.shopper import factories as sf

SECRET_NARRATIVE = "顾问王小明 留了电话 13812345678，车牌沪A12345，VIN LZ9AB2C34D5678901，身份证 110105199003071234"


@pytest.fixture
def world(app):
    author = sf.shopper(display_name="Shopper Secret-Name")
    shop = sf.store()
    sales, after_sales = sf.items()
    report = sf.draft(author, shop, {sales.id: (2, "Comment " + SECRET_NARRATIVE, True),
                                     after_sales.id: (5, "", False)}, narrative=SECRET_NARRATIVE)
    service.add_photo(report, author, "a.jpg", io.BytesIO(sf.image_bytes()))
    service.submit(report, author)
    return author, shop, report, sales


def test_shopper_files_a_report_through_the_form(app, client, auth):
    author, shop = sf.shopper(), sf.store()
    sales, after_sales = sf.items()
    auth.login_as(author)
    assert client.get("/shopper/reports/new").status_code == 200
    data = {"store_id": str(shop.id), "visited_at": "2026-11-01T10:30", "visit_kind": "purchase",
            "narrative": "Fine", f"score_{sales.id}": "1", f"comment_{sales.id}": "hidden fee",
            f"score_{after_sales.id}": "", "save": "1"}
    resp = client.post("/shopper/reports/new", data=data)
    assert resp.status_code == 302 and "/edit" in resp.headers["Location"]
    report = service.my_reports(author)[0]
    # 10:30 in Asia/Shanghai (the viewer's zone) is 02:30 UTC
    assert report.visited_at == datetime(2026, 11, 1, 2, 30, tzinfo=UTC)
    page = client.get(f"/shopper/reports/{report.id}/edit").get_data(as_text=True)
    assert "hidden fee" in page and 'value="2026-11-01T10:30"' in page
    data.pop("save")
    resp = client.post(f"/shopper/reports/{report.id}/edit", data={**data, "submit_report": "1"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/shopper/reports/{report.id}")
    page = client.get(f"/shopper/reports/{report.id}").get_data(as_text=True)
    assert "Submitted" in page and "Feedback #" in page
    # read-only now: the edit page sends the shopper to the report, a POST changes nothing
    assert client.get(f"/shopper/reports/{report.id}/edit").status_code == 302
    client.post(f"/shopper/reports/{report.id}/edit", data={**data, "narrative": "changed", "save": "1"})
    assert service.get_report(report.id).narrative == "Fine"
    assert "Continue" not in client.get("/shopper/reports").get_data(as_text=True)


def test_public_pages_show_aggregates_only(world, client):
    author, shop, report, _ = world
    for url in ("/scorecards", f"/scorecards/stores/{shop.id}"):
        page = client.get(url).get_data(as_text=True)
        assert shop.name.replace("'", "&#39;") in page
        for leak in ("13812345678", "王小明", "Shopper Secret-Name", "Comment", "/shopper/photos/", "Narrative",
                     "/shopper/reports/", "沪A12345", "LZ9AB2C34D5678901"):
            assert leak not in page, (url, leak)
    page = client.get(f"/scorecards/stores/{shop.id}").get_data(as_text=True)
    assert "<svg" in page and 'id="item-scores"' in page


def test_store_chart_reads_in_the_viewers_language_with_axes_and_its_table(world, client):
    """The monthly chart names its axes, points to the table of the same figures, and writes months as the
    viewer reads them (never the YYYY-MM keys)."""
    _, shop, _, _ = world
    month = scorecard.months()[-1]
    year, number = month.split("-")
    zh = client.get(f"/scorecards/stores/{shop.id}?lang=zh").get_data(as_text=True)
    chart = zh[zh.index("<svg"):zh.index("</svg>")]
    assert 'aria-describedby="item-scores"' in chart and 'class="axis-title"' in chart
    assert f"{year}年{int(number)}月" in chart and f">{month}<" not in chart
    assert f"<th class=\"small\">{year}年{int(number)}月</th>" in zh
    en = client.get(f"/scorecards/stores/{shop.id}?lang=en").get_data(as_text=True)
    chart = en[en.index("<svg"):en.index("</svg>")]
    assert "Score (0-100)" in chart and ">Month<" in chart and f"{year}<" in chart and f">{month}<" not in chart


def test_agents_read_redacted_reports_moderators_read_them_as_written(world, client, auth):
    author, shop, report, _ = world
    auth.login_as(f.agent("sales"))
    page = client.get(f"/shopper/reports/{report.id}").get_data(as_text=True)
    for secret in ("13812345678", "王小明", "沪A12345", "LZ9AB2C34D5678901", "110105199003071234",
                   "Shopper Secret-Name"):
        assert secret not in page
    assert "[phone]" in page and "[staff]" in page and "/shopper/photos/" in page
    assert "Shopper Secret-Name" not in client.get("/shopper/internal").get_data(as_text=True)
    auth.login_as(f.moderator())
    page = client.get(f"/shopper/reports/{report.id}").get_data(as_text=True)
    assert "13812345678" in page and "Shopper Secret-Name" in page
    assert f"/shopper/reports/{report.id}" in client.get("/shopper/internal").get_data(as_text=True)


def test_others_cannot_read_reports(world, client, auth):
    _, _, report, _ = world
    auth.login_as(f.owner())
    assert client.get(f"/shopper/reports/{report.id}").status_code == 404
    auth.login_as(sf.shopper())  # another shopper
    assert client.get(f"/shopper/reports/{report.id}").status_code == 404


def test_feedback_page_links_back_to_the_report(world, client, auth):
    author, _, report, _ = world
    finding = report.findings[0]
    auth.login_as(author)
    page = client.get(f"/feedback/{finding.feedback_id}").get_data(as_text=True)
    assert f'href="/shopper/reports/{report.id}"' in page


def test_scorecards_rank_and_trend(app):
    sales, after_sales = sf.items()
    a, b = sf.store("A store", "杭州"), sf.store("B store", "杭州", kind="service")
    author = sf.shopper()
    now = utcnow()
    last_month = now - timedelta(days=31)
    sf.submitted(author, a, {sales.id: (2, "", False), after_sales.id: (2, "", False)}, visited_at=last_month)
    sf.submitted(author, a, {sales.id: (5, "", False), after_sales.id: (None, "", False)}, visited_at=now)
    sf.submitted(author, b, {sales.id: (3, "", False)}, visited_at=now)
    span = scorecard.months(now)
    cards = scorecard.store_cards(span=span)
    assert cards[a.id].monthly[-1] == 100.0 and cards[a.id].trend == 75.0
    assert cards[a.id].current == 62.5 and cards[a.id].rank == 1  # (25 + 100) / 2
    assert cards[b.id].current == 50.0 and cards[b.id].rank == 2 and cards[b.id].trend is None
    assert cards[a.id].items[sales.id][-1] == 100.0 and cards[a.id].items[after_sales.id][-1] is None
    city = scorecard.city_cards(span=span)["杭州"]
    assert city.monthly[-1] == 75.0 and city.reports == 3


def test_csv_export_for_operators(world, client, auth):
    _, shop, report, sales = world
    auth.login_as(f.moderator())
    resp = client.get("/scorecards.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == scorecard.CSV_HEADER
    overall = [r for r in rows[1:] if r[5] == ""]
    assert overall == [[str(shop.id), shop.name, shop.city, "sales", report.visit_month, "", "", "1", "62.5"]]
    assert [r[8] for r in rows[1:] if r[5] == str(sales.id)] == ["25.0"]
    assert "13812345678" not in resp.get_data(as_text=True)


def test_nav_links(app, client, auth):
    assert "/scorecards" in client.get("/").get_data(as_text=True)
    auth.login_as(sf.shopper())
    assert 'id="nav-shopper"' in client.get("/").get_data(as_text=True)


def test_agents_working_a_finding_do_not_learn_who_the_shopper_was(world, client, auth):
    _, _, report, _ = world
    finding = report.findings[0]
    auth.login_as(f.agent("sales"))
    page = client.get(f"/feedback/{finding.feedback_id}").get_data(as_text=True)
    assert "Shopper Secret-Name" not in page and "a mystery shopper" in page
    auth.login_as(f.moderator())
    assert "Shopper Secret-Name" in client.get(f"/feedback/{finding.feedback_id}").get_data(as_text=True)
