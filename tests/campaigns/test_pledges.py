"""Eligibility reasons, pledge / cancel / pledge again, and every refusal writing nothing."""
import re

import pytest

from community.audit.models import AuditEntry
from community.campaigns import pledges, service
from community.campaigns.eligibility import ineligibility_reasons
from community.campaigns.models import Campaign, Pledge
from community.errors import Conflict, NotFound, PermissionDenied
from community.extensions import db
from tests import factories as f
from tests.campaigns import sh

DURING = sh(2025, 12, 1, 12)


def _count(c) -> int:
    db.session.expire_all()
    return db.session.get(Campaign, c.id).pledge_count


@pytest.mark.parametrize("vehicle, reason", [
    ({"model_year": 2023}, "model year 2023 is not in 2024"),
    ({"model": "007"}, "model 007 is not in 001, 009"),
    ({"hardware": ["adas_gen1"]}, "no Lidar (required)"),
    ({"hardware": ["adas_latest", "lidar"]}, "already has Assisted driving, newest system"),
    ({"status": "pending"}, "the vehicle is not verified yet"),
    ({"status": "rejected"}, "the vehicle's verification was rejected"),
])
def test_each_reason_is_given_and_the_server_refuses(app, vehicle, reason):
    c = f.campaign()
    car = f.VehicleFactory(**vehicle)
    assert ineligibility_reasons(c, car) == [reason]
    f.VehicleFactory(owner=car.owner)  # a verified car of theirs makes the user an owner
    with pytest.raises(PermissionDenied, match=re.escape(reason)):
        pledges.pledge(car.owner, c, car.id, now=DURING)
    assert Pledge.query.count() == 0 and _count(c) == 0


def test_all_reasons_at_once_and_eligible_car_has_none(app):
    c = f.campaign()
    car = f.VehicleFactory(model="X", model_year=2022, hardware=["adas_latest"], status="pending")
    assert ineligibility_reasons(c, car) == [
        "the vehicle is not verified yet", "model X is not in 001, 009", "model year 2022 is not in 2024",
        "no Lidar (required)", "already has Assisted driving, newest system"]
    assert ineligibility_reasons(c, f.VehicleFactory()) == []


def test_rule_without_verified_only_or_lists_accepts_any_car(app):
    c = f.campaign(models=[], model_years=[], hardware_required=[], hardware_excluded=[], verified_only=False)
    assert ineligibility_reasons(c, f.VehicleFactory(model="X", model_year=2021, hardware=[], status="pending")) == []


def test_pledge_cancel_and_pledge_again(app):
    c, owner = f.campaign(), f.eligible_owner()
    vid = owner.vehicles[0].id
    first = pledges.pledge(owner, c, vid, now=DURING)
    assert _count(c) == 1
    with pytest.raises(Conflict, match="already has a pledge"):
        pledges.pledge(owner, c, vid, now=DURING)
    assert _count(c) == 1
    pledges.cancel_pledge(owner, first.id, now=DURING)
    assert _count(c) == 0
    with pytest.raises(Conflict, match="already cancelled"):
        pledges.cancel_pledge(owner, first.id, now=DURING)
    again = pledges.pledge(owner, c, vid, now=DURING)
    assert again.id != first.id and _count(c) == 1
    assert [p.status for p in pledges.pledges_of(owner)] == ["active", "cancelled"]
    assert Pledge.query.filter_by(status="active").count() == _count(c) == 1


def test_two_cars_pledge_separately(app):
    c, owner = f.campaign(), f.eligible_owner()
    second = f.VehicleFactory(owner=owner, model="009")
    pledges.pledge(owner, c, owner.vehicles[0].id, now=DURING)
    pledges.pledge(owner, c, second.id, now=DURING)
    assert _count(c) == 2


def test_the_database_refuses_a_second_active_pledge_even_without_the_service(app):
    from sqlalchemy.exc import IntegrityError

    c, owner = f.campaign(), f.eligible_owner()
    p = pledges.pledge(owner, c, owner.vehicles[0].id, now=DURING)
    db.session.add(Pledge(campaign_id=c.id, vehicle_id=p.vehicle_id, user_id=owner.id, model="001", model_year=2024,
                          masked_vin=p.masked_vin, status="active"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_cap_refuses_over_the_limit_and_frees_a_place_on_cancel(app):
    c = f.campaign(target=1, cap=2)
    a, b, late = f.eligible_owner(), f.eligible_owner(), f.eligible_owner()
    pa = pledges.pledge(a, c, a.vehicles[0].id, now=DURING)
    pledges.pledge(b, c, b.vehicles[0].id, now=DURING)
    with pytest.raises(Conflict, match="full: all 2 places"):
        pledges.pledge(late, c, late.vehicles[0].id, now=DURING)
    assert Pledge.query.count() == 2 and _count(c) == 2
    pledges.cancel_pledge(a, pa.id, now=DURING)
    pledges.pledge(late, c, late.vehicles[0].id, now=DURING)
    assert _count(c) == 2


def test_only_verified_owners_pledge_and_only_their_own_cars(app):
    c = f.campaign()
    with pytest.raises(PermissionDenied, match="verified owners"):
        pledges.pledge(f.UserFactory(), c, 1, now=DURING)
    owner, other = f.eligible_owner(), f.eligible_owner()
    with pytest.raises(NotFound):
        pledges.pledge(owner, c, other.vehicles[0].id, now=DURING)
    p = pledges.pledge(other, c, other.vehicles[0].id, now=DURING)
    with pytest.raises(NotFound):
        pledges.cancel_pledge(owner, p.id, now=DURING)
    blocked = f.eligible_owner({"is_blocked": True})
    with pytest.raises(PermissionDenied):
        pledges.pledge(blocked, c, blocked.vehicles[0].id, now=DURING)
    assert _count(c) == 1


def test_draft_and_cancelled_campaigns_refuse(app):
    owner = f.eligible_owner()
    draft = f.campaign(publish=False)
    with pytest.raises(Conflict, match="not published"):
        pledges.pledge(owner, draft, owner.vehicles[0].id, now=DURING)
    c = f.open_campaign()
    p = pledges.pledge(owner, c, owner.vehicles[0].id)
    service.cancel_campaign(c, f.moderator(), "Supplier withdrew")
    late = f.eligible_owner()
    with pytest.raises(Conflict, match="cancelled"):
        pledges.pledge(late, c, late.vehicles[0].id)
    with pytest.raises(Conflict, match="cancelled"):
        pledges.cancel_pledge(owner, p.id)


def test_pledges_are_not_audited_but_campaign_changes_are(app):
    mod = f.moderator()
    c = f.open_campaign(actor=mod)
    owner = f.eligible_owner()
    pledges.pledge(owner, c, owner.vehicles[0].id)
    service.cancel_campaign(c, mod, "Parts shortage")
    actions = [e.action for e in AuditEntry.query.filter_by(target_type="campaign").order_by(AuditEntry.id)]
    assert actions == ["campaign.create", "campaign.cancel"]
    cancel = AuditEntry.query.filter_by(action="campaign.cancel").one()
    assert cancel.actor_id == mod.id and cancel.note == "Parts shortage"
