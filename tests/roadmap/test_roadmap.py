"""Roadmap: publishing, state changes with a dated public history, postponement keeping the original window,
the quarter page with its model and "affects my cars" filters, linked proposals, hidden proposals."""
from __future__ import annotations

from datetime import timedelta

import pytest

from community.audit.models import AuditEntry
from community.dbtypes import utcnow
from community.errors import Conflict, PermissionDenied, ValidationError
from community.roadmap import service
from community.roadmap.models import RoadmapEntry
from tests import factories as f


def _item(mod, window="2026-Q1", models=("001",), years=(2024,), proposals=(), **fields):
    data = service.ItemInput(title_en=fields.pop("title_en", "City navigation assist"), title_zh="城市领航辅助",
                             description_en="**Soon**<script>alert(1)</script>", kind=fields.pop("kind", "ota"),
                             window=window, models=list(models), model_years=list(years),
                             proposal_ids=[p.id for p in proposals])
    return service.create_item(mod, data, **fields)


@pytest.mark.parametrize("raw,key,first,last", [
    ("2026-Q1", "2026-Q1", 202601, 202603), ("2026q4", "2026-Q4", 202610, 202612),
    ("2026-3", "2026-03", 202603, 202603), ("2027-12", "2027-12", 202712, 202712)])
def test_windows_are_quarters_or_months(app, raw, key, first, last):
    win = service.parse_window(raw)
    assert (win.key, win.first, win.last) == (key, first, last)


@pytest.mark.parametrize("raw", ["2026-03-14", "2026-Q5", "2026-13", "Q1", "", "1999-Q1"])
def test_a_day_or_nonsense_is_not_a_window(app, raw):
    with pytest.raises(ValidationError) as err:
        service.parse_window(raw)
    assert "window" in err.value.fields


def test_publish_writes_first_entry_audits_and_sanitises(app):
    mod = f.moderator()
    proposal = f.proposal()
    item = _item(mod, proposals=[proposal])
    assert item.state == "planned" and item.window == item.original_window == "2026-Q1"
    assert [(e.state_from, e.state_to) for e in item.entries] == [(None, "planned")]
    assert "<script" not in item.description_en_html and "<strong>Soon</strong>" in item.description_en_html
    assert AuditEntry.query.filter_by(action="roadmap.create", target_id=item.id).count() == 1
    assert [link.proposal_id for link in item.links] == [proposal.id]


def test_only_moderators_publish(app):
    with pytest.raises(PermissionDenied):
        _item(f.owner())


def test_hidden_or_missing_proposals_cannot_be_linked(app):
    hidden = f.proposal()
    hidden.hidden_at = utcnow()
    with pytest.raises(ValidationError) as err:
        _item(f.moderator(), proposals=[hidden])
    assert "proposal_ids" in err.value.fields


def test_postponement_keeps_the_original_window_and_the_history(app):
    mod = f.moderator()
    item = _item(mod)
    t0 = utcnow()
    service.change_state(item, mod, "in_development", now=t0 + timedelta(days=1))
    with pytest.raises(ValidationError) as err:
        service.change_state(item, mod, "postponed", reason="", new_window="2026-Q2")
    assert "reason" in err.value.fields
    with pytest.raises(ValidationError) as err:  # inside or before the current window is not later
        service.change_state(item, mod, "postponed", reason="Supplier delay", new_window="2026-03")
    assert "window" in err.value.fields
    service.change_state(item, mod, "postponed", reason="Supplier delay", new_window="2026-Q3",
                         now=t0 + timedelta(days=2))
    assert (item.state, item.window, item.original_window, item.state_reason) == \
        ("postponed", "2026-Q3", "2026-Q1", "Supplier delay")
    service.change_state(item, mod, "released", now=t0 + timedelta(days=3))
    entries = RoadmapEntry.query.filter_by(item_id=item.id).order_by(RoadmapEntry.id).all()
    assert [(e.state_from, e.state_to, e.window_from, e.window_to) for e in entries] == [
        (None, "planned", None, "2026-Q1"), ("planned", "in_development", "2026-Q1", "2026-Q1"),
        ("in_development", "postponed", "2026-Q1", "2026-Q3"), ("postponed", "released", "2026-Q3", "2026-Q3")]
    assert entries[2].reason == "Supplier delay" and entries[2].occurred_at > entries[1].occurred_at
    assert AuditEntry.query.filter_by(action="roadmap.state", target_id=item.id).count() == 3
    with pytest.raises(Conflict):  # released is final
        service.change_state(item, mod, "cancelled", reason="No")
    page = app.test_client().get(f"/roadmap/{item.id}").get_data(as_text=True)
    assert "originally Q1 2026" in page and "Supplier delay" in page and "Q3 2026" in page


def test_cancelling_needs_a_reason_and_is_final(app):
    mod = f.moderator()
    item = _item(mod)
    with pytest.raises(ValidationError):
        service.change_state(item, mod, "cancelled")
    service.change_state(item, mod, "cancelled", reason="Replaced by a hardware upgrade")
    with pytest.raises(Conflict):
        service.change_state(item, mod, "planned")


def test_a_stale_state_change_is_refused(app):
    mod = f.moderator()
    item = _item(mod)
    from sqlalchemy import update

    from community.extensions import db
    from community.roadmap.models import RoadmapItem

    # Another moderator moved it on; this session's object still says "planned".
    db.session.execute(update(RoadmapItem).where(RoadmapItem.id == item.id).values(state="in_development")
                       .execution_options(synchronize_session=False))
    assert item.state == "planned"
    with pytest.raises(Conflict):
        service.change_state(item, mod, "cancelled", reason="x")
    assert RoadmapEntry.query.filter_by(item_id=item.id).count() == 1


def test_quarter_page_model_filter_and_vote_counts(app, client):
    mod = f.moderator()
    p = f.proposal(title="Bring city NOA to older cars")
    for voter in f.owners(3):
        from community.proposals import service as proposals

        proposals.vote(voter, p)
    a = _item(mod, window="2026-Q1", title_en="NOA for 001", proposals=[p])
    b = _item(mod, window="2026-05", models=("009",), title_en="Heat pump for 009")
    c = _item(mod, window="2026-Q2", models=(), years=(), title_en="Service app for all")
    page = client.get("/roadmap?lang=en").get_data(as_text=True)
    assert page.index("Q1 2026") < page.index("NOA for 001") < page.index("Q2 2026") < page.index("Heat pump")
    assert "Bring city NOA to older cars" in page and "3 votes" in page
    only_009 = client.get("/roadmap?model=009").get_data(as_text=True)
    assert f'id="item-{b.id}"' in only_009 and f'id="item-{c.id}"' in only_009 and f'id="item-{a.id}"' not in only_009


def test_affects_my_cars(app, client, auth):
    mod = f.moderator()
    mine = _item(mod, models=("001",), years=(2024,), title_en="For 2024 001")
    other_year = _item(mod, models=("001",), years=(2022,), title_en="For 2022 001")
    other_model = _item(mod, models=("009",), years=(), title_en="For 009")
    everyone = _item(mod, models=(), years=(), title_en="For every car")
    owner = f.owner()  # a verified 2024 001
    f.VehicleFactory(owner=owner, model="7X", model_year=2025, status="pending")  # not verified: does not count
    auth.login_as(owner)
    page = client.get("/roadmap?mine=1").get_data(as_text=True)
    assert f'id="item-{mine.id}"' in page and f'id="item-{everyone.id}"' in page
    assert f'id="item-{other_year.id}"' not in page and f'id="item-{other_model.id}"' not in page
    full = client.get("/roadmap").get_data(as_text=True)
    assert f'id="item-{other_model.id}"' in full and full.count("affects-mine") == 2
    assert service.affects_any(other_model, owner.vehicles) is False


def test_anonymous_mine_filter_shows_everything(app, client):
    item = _item(f.moderator())
    assert f'id="item-{item.id}"' in client.get("/roadmap?mine=1").get_data(as_text=True)


def test_proposal_page_shows_its_roadmap_items(app, client):
    p = f.proposal()
    item = _item(f.moderator(), proposals=[p])
    page = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert 'id="roadmap"' in page and f"/roadmap/{item.id}" in page


def test_hidden_proposals_do_not_leak_through_the_roadmap(app, client):
    shown, hidden = f.proposal(title="Visible idea"), f.proposal(title="Hidden abuse")
    item = _item(f.moderator(), proposals=[shown, hidden])
    hidden.hidden_at = utcnow()
    from community.extensions import db

    db.session.commit()
    for url in ("/roadmap", f"/roadmap/{item.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "Visible idea" in page and "Hidden abuse" not in page


def test_set_links_keeps_links_to_hidden_proposals(app):
    mod = f.moderator()
    a, b, c = f.proposal(), f.proposal(), f.proposal()
    item = _item(mod, proposals=[a, b])
    b.hidden_at = utcnow()
    service.set_links(item, mod, [c.id])
    assert sorted(link.proposal_id for link in item.links) == sorted([b.id, c.id])
    assert [p.id for p in service.visible_proposals(item)] == [c.id]


def test_moderator_pages_publish_and_change_state(app, client, auth):
    mod = f.moderator()
    p = f.proposal()
    auth.login_as(mod)
    resp = client.post("/roadmap/new", data={"title_en": "Lidar upgrade", "kind": "hardware", "window": "2026-Q4",
                                             "models": ["001", "009"], "model_years": ["2024"],
                                             "proposal_ids": f"#{p.id}"})
    assert resp.status_code == 302
    item_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    assert client.post("/roadmap/new", data={"kind": "ota", "window": "2026-03-14"}).status_code == 422
    resp = client.post(f"/roadmap/{item_id}/state", data={"state": "postponed", "window": "2027-Q1", "reason": ""})
    assert resp.status_code == 422 and "give a public reason" in resp.get_data(as_text=True)
    resp = client.post(f"/roadmap/{item_id}/state",
                       data={"state": "postponed", "window": "2027-Q1", "reason": "Parts shortage"})
    assert resp.status_code == 302
    item = service.get_item(item_id)
    assert (item.state, item.window, item.original_window) == ("postponed", "2027-Q1", "2026-Q4")
    assert client.post(f"/roadmap/{item_id}/links", data={"proposal_ids": "999999"}).status_code == 422
