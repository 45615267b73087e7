"""What owners see: eligibility per own vehicle, progress, price, time left, My pledges, the proposal's link."""
from community.campaigns import pledges
from tests import factories as f


def test_owner_sees_each_vehicle_with_its_reason_and_pledges(client, auth, app):
    c = f.open_campaign(target=4)
    owner = f.eligible_owner()
    old = f.VehicleFactory(owner=owner, model_year=2023)
    auth.login(owner)
    page = client.get(f"/campaigns/{c.id}?lang=en").get_data(as_text=True)
    assert "model year 2023 is not in 2024" in page[page.index(f'id="vehicle-{old.id}"'):]
    mine = page[page.index(f'id="vehicle-{owner.vehicles[0].id}"'):page.index(f'id="vehicle-{old.id}"')]
    assert "Eligible" in mine and "Pledge" in mine
    assert "¥12,800.00" in page and "0 of 4 pledges" in page and 'id="time-left"' in page
    assert "days" in page[page.index('id="time-left"'):][:80]

    assert client.post(f"/campaigns/{c.id}/pledge", data={"vehicle_id": owner.vehicles[0].id}).status_code == 302
    page = client.get(f"/campaigns/{c.id}?lang=en").get_data(as_text=True)
    assert "1 of 4 pledges" in page and "Cancel pledge" in page and 'aria-valuenow="1"' in page
    mine = client.get("/campaigns/mine?lang=en").get_data(as_text=True)
    assert owner.vehicles[0].masked_vin in mine and "Pledge in force" in mine


def test_cancel_from_my_pledges_then_pledge_again(client, auth, app):
    c, owner = f.open_campaign(), f.eligible_owner()
    p = pledges.pledge(owner, c, owner.vehicles[0].id)
    auth.login(owner)
    assert client.post(f"/pledges/{p.id}/cancel").status_code == 302
    assert "Cancelled" in client.get("/campaigns/mine?lang=en").get_data(as_text=True)
    resp = client.post(f"/campaigns/{c.id}/pledge", data={"vehicle_id": owner.vehicles[0].id},
                       headers={"Accept": "application/json"})
    assert resp.status_code == 201 and resp.json["pledge_count"] == 1


def test_refusal_is_flashed_with_the_reason(client, auth, app):
    c = f.open_campaign()
    owner = f.eligible_owner(hardware=["adas_gen1"])
    auth.login(owner)
    resp = client.post(f"/campaigns/{c.id}/pledge?lang=en", data={"vehicle_id": owner.vehicles[0].id},
                       follow_redirects=True)
    assert "This vehicle cannot pledge: no Lidar (required)." in resp.get_data(as_text=True)


def test_proposal_page_links_its_campaign_and_nav_has_crowdfunding(client, app):
    c = f.open_campaign()
    page = client.get(f"/proposals/{c.proposal_id}?lang=en").get_data(as_text=True)
    assert f'href="/campaigns/{c.id}"' in page
    assert 'href="/campaigns"' in page  # the nav entry
    listing = client.get("/campaigns?lang=en").get_data(as_text=True)
    assert f'href="/campaigns/{c.id}"' in listing


def test_timeline_shows_the_opening_after_a_page_view(client, app):
    c = f.open_campaign()
    client.get(f"/campaigns/{c.id}")
    page = client.get(f"/proposals/{c.proposal_id}?lang=en").get_data(as_text=True)
    assert "Crowdfunding opened: Assisted-driving upgrade" in page


def test_campaigns_of_hidden_proposals_leave_public_lists(client, auth, app):
    from community.dbtypes import utcnow
    from community.extensions import db

    c = f.open_campaign()
    c.proposal.hidden_at = utcnow()
    db.session.commit()
    assert f'href="/campaigns/{c.id}"' not in client.get("/campaigns").get_data(as_text=True)
    assert client.get(f"/campaigns/{c.id}").status_code == 404
    auth.login(f.moderator())
    assert f'href="/campaigns/{c.id}"' in client.get("/campaigns").get_data(as_text=True)


def test_my_pledges_is_in_the_user_menu(client, auth, app):
    auth.login(f.eligible_owner())
    menu = client.get("/campaigns").get_data(as_text=True)
    assert 'href="/campaigns/mine"' in menu[menu.index('id="nav-user"'):]
