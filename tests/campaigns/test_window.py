"""The window to the second at Shanghai midnight, whatever the server's own zone."""
from datetime import UTC, date, datetime

import pytest

from community.campaigns import pledges, service
from community.campaigns.models import Campaign, Pledge
from community.errors import Conflict
from community.extensions import db
from tests import factories as f
from tests.campaigns import sh


def test_dates_entered_in_shanghai_are_stored_utc(app, server_tz):
    opens_at, closes_at = service.window_from_local(datetime(2025, 11, 24), date(2025, 12, 24))
    assert opens_at == datetime(2025, 11, 23, 16, 0, 0, tzinfo=UTC)
    assert closes_at == datetime(2025, 12, 24, 15, 59, 59, tzinfo=UTC)
    c = f.campaign()
    db_row = db.session.get(Campaign, c.id)
    assert (db_row.opens_at, db_row.closes_at) == (opens_at, closes_at)


@pytest.mark.parametrize("at, accepted", [
    (sh(2025, 11, 23, 23, 59, 59), False),            # 1 s before the opening
    (sh(2025, 11, 23, 23, 59, 59, 999999), False),
    (sh(2025, 11, 24, 0, 0, 0), True),                 # the opening instant
    (sh(2025, 12, 24, 23, 59, 59), True),              # the last second of the close day
    (sh(2025, 12, 24, 23, 59, 59, 999999), True),
    (sh(2025, 12, 25, 0, 0, 0), False),                # midnight after: closed
])
def test_pledge_window_edges(app, server_tz, at, accepted):
    c, owner = f.campaign(), f.eligible_owner()
    if accepted:
        pledges.pledge(owner, c, owner.vehicles[0].id, now=at)
        assert c.pledge_count == Pledge.query.count() == 1
    else:
        with pytest.raises(Conflict, match="not open yet|has closed"):
            pledges.pledge(owner, c, owner.vehicles[0].id, now=at)
        assert Pledge.query.count() == 0
        assert db_count(c) == 0


def db_count(c) -> int:
    db.session.expire_all()
    return db.session.get(Campaign, c.id).pledge_count


def test_status_follows_the_clock(app, server_tz):
    c = f.campaign(target=1)
    assert c.status_at(sh(2025, 11, 23, 23, 59, 59)) == "scheduled"
    assert c.status_at(sh(2025, 11, 24)) == "open"
    assert c.status_at(sh(2025, 12, 24, 23, 59, 59)) == "open"
    assert c.status_at(sh(2025, 12, 25)) == "failed"
    owner = f.eligible_owner()
    pledges.pledge(owner, c, owner.vehicles[0].id, now=sh(2025, 12, 1))
    assert c.status_at(sh(2025, 12, 25)) == "succeeded"
    draft = f.campaign(publish=False)
    assert draft.status_at(sh(2025, 12, 1)) == "draft"


def test_cancel_pledge_until_the_last_second(app, server_tz):
    c, owner = f.campaign(), f.eligible_owner()
    first = pledges.pledge(owner, c, owner.vehicles[0].id, now=sh(2025, 12, 1))
    pledges.cancel_pledge(owner, first.id, now=sh(2025, 12, 24, 23, 59, 59))
    again = pledges.pledge(owner, c, owner.vehicles[0].id, now=sh(2025, 12, 24, 23, 59, 59))
    with pytest.raises(Conflict, match="no longer be cancelled"):
        pledges.cancel_pledge(owner, again.id, now=sh(2025, 12, 25))
    assert db_count(c) == 1
    assert db.session.get(Pledge, again.id).status == "active"


def test_the_server_refuses_after_close_whatever_the_page_showed(client, auth, app):
    c = f.campaign()  # its window is over by the real clock
    owner = f.eligible_owner()
    auth.login(owner)
    resp = client.post(f"/campaigns/{c.id}/pledge", data={"vehicle_id": owner.vehicles[0].id},
                       headers={"Accept": "application/json"})
    assert resp.status_code == 410 and resp.json["error"]["code"] == "gone"
    assert resp.json["error"]["message"] == "This campaign has closed."
    assert Pledge.query.count() == 0


def test_open_campaign_pledges_through_the_web(client, auth, app):
    c = f.open_campaign()
    owner = f.eligible_owner()
    auth.login(owner)
    resp = client.post(f"/campaigns/{c.id}/pledge", data={"vehicle_id": owner.vehicles[0].id})
    assert resp.status_code == 302
    assert Pledge.query.filter_by(status="active").count() == 1
