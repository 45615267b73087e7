"""Instants are stored in UTC and shown in the viewer's zone: Asia/Shanghai by default, else the user's own."""
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from community.extensions import db
from community.timeline.models import Milestone
from tests import factories as f
from tests.html import text as visible

INSTANT = datetime(2026, 9, 14, 8, 0, tzinfo=UTC)


@pytest.fixture
def milestone(app):
    p = f.proposal()
    m = Milestone(proposal_id=p.id, kind="council_session", occurred_at=INSTANT, recorded_at=INSTANT,
                  text_en="Council session in Lijiang")
    db.session.add(m)
    db.session.commit()
    return m


def test_stored_as_utc(milestone):
    raw = db.session.execute(text("SELECT occurred_at FROM milestones")).scalar()
    assert str(raw).startswith("2026-09-14 08:00:00")
    assert milestone.occurred_at == INSTANT and milestone.occurred_at.tzinfo is not None


@pytest.mark.parametrize(("lang", "shown"), [("zh", "2026年9月14日 16:00"), ("en", "14 Sep 2026, 16:00")])
def test_anonymous_visitors_see_shanghai_time(client, milestone, lang, shown):
    page = client.get(f"/timeline?lang={lang}").get_data(as_text=True)
    assert shown in visible(page)
    assert 'datetime="2026-09-14T08:00:00+00:00"' in page  # machine-readable stays UTC
    assert "Asia/Shanghai" in visible(page)


@pytest.mark.parametrize(("zone", "shown", "not_shown"), [
    ("Europe/London", "09:00", "16:00"),        # BST, UTC+1
    ("America/New_York", "04:00", "16:00"),     # EDT, UTC-4
    ("Asia/Shanghai", "16:00", "08:00"),
])
def test_a_user_sees_their_own_zone(client, auth, milestone, zone, shown, not_shown):
    auth.login_as(f.UserFactory(timezone=zone))
    page = visible(client.get("/timeline?lang=zh").get_data(as_text=True))
    assert shown in page and not_shown not in page


def test_the_zone_can_be_changed_in_settings(client, auth, milestone):
    user = f.UserFactory()
    auth.login_as(user)
    resp = client.post("/settings", data={"pref-locale": "zh", "pref-timezone": "Europe/London", "pref-submit": "y"})
    assert resp.status_code == 302 and user.timezone == "Europe/London"
    assert "09:00" in visible(client.get("/timeline").get_data(as_text=True))
