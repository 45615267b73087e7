"""Entitlements: kinds, the append-only ledger (balance = sum of entries, no overdraw, corrections),
vehicle transfers moving exactly the right holdings, pages and CSV."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from community.accounts import service as accounts
from community.audit.models import AuditEntry
from community.entitlements import service, transfers
from community.entitlements.models import Entitlement, LedgerEntry
from community.errors import Conflict, PermissionDenied, ValidationError
from community.extensions import db
from tests import factories as f


@pytest.fixture
def kinds(app):
    admin = f.admin()
    return {
        "charging": service.create_kind(admin, "charging_credit", "免费充电额度", "Free charging credit", "kwh",
                                        "owner"),
        "warranty": service.create_kind(admin, "extended_warranty", "延长质保", "Extended warranty", "months",
                                        "vehicle"),
        "connect": service.create_kind(admin, "lifetime_connectivity", "终身免费流量", "Lifetime connectivity",
                                       "flag", "owner"),
        "voucher": service.create_kind(admin, "service_voucher", "保养代金券", "Service voucher", "cny", "vehicle"),
    }


def _assert_sound(*holdings):
    assert service.mismatches() == []
    for h in holdings:
        db.session.refresh(h)
        entries = service.entries_of(h)
        assert h.balance == sum((e.amount for e in entries), Decimal("0"))
        running = Decimal("0")
        for i, e in enumerate(entries, start=1):
            running += e.amount
            assert (e.seq, e.balance_after) == (i, running)


def test_only_admins_define_kinds_and_codes_are_unique(app, kinds):
    with pytest.raises(PermissionDenied):
        service.create_kind(f.moderator(), "x_kind", "x", "x", "kwh", "owner")
    with pytest.raises(Conflict):
        service.create_kind(f.admin(), "charging_credit", "x", "x", "kwh", "owner")
    with pytest.raises(ValidationError) as err:
        service.create_kind(f.admin(), "Bad Code", "", "x", "litres", "car")
    assert set(err.value.fields) == {"code", "name_zh", "unit", "follows"}
    assert AuditEntry.query.filter_by(action="entitlement.kind").count() == 4


def test_ledger_balance_is_the_sum_of_entries_and_never_overdraws(app, kinds):
    mod, owner = f.moderator(), f.owner()
    grant = service.grant(mod, kinds["charging"], "1000", "purchase", user=owner, note="Bought with the car")
    holding = grant.entitlement
    assert holding.vehicle_id == owner.vehicles[0].id and holding.user_id == owner.id
    service.use(mod, holding, "120.5")
    service.grant(mod, kinds["charging"], "200", "goodwill", user=owner)
    with pytest.raises(Conflict):
        service.use(mod, holding, "1079.51")
    service.use(mod, holding, "1079.50")
    assert holding.balance == 0
    with pytest.raises(Conflict):
        service.use(mod, holding, "0.01")
    _assert_sound(holding)
    assert [e.kind for e in service.entries_of(holding)] == ["grant", "use", "grant", "use"]
    assert AuditEntry.query.filter(AuditEntry.action.in_(["entitlement.grant", "entitlement.use"])).count() == 4


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "1.234", "NaN", "1e12"])
def test_bad_amounts_are_refused(app, kinds, amount):
    mod, owner = f.moderator(), f.owner()
    with pytest.raises(ValidationError):
        service.grant(mod, kinds["charging"], amount, "purchase", user=owner)
    assert LedgerEntry.query.count() == 0


def test_corrections_are_new_entries_never_edits(app, kinds):
    mod, owner = f.moderator(), f.owner()
    wrong = service.grant(mod, kinds["charging"], "500", "campaign", user=owner)
    with pytest.raises(ValidationError):
        service.correct(mod, wrong, "-250", "")
    fix = service.correct(mod, wrong, "-250", "Campaign gave 250 kWh, not 500")
    assert (fix.kind, fix.amount, fix.corrects_id, fix.balance_after) == ("correction", Decimal("-250"), wrong.id,
                                                                           Decimal("250"))
    db.session.refresh(wrong)
    assert wrong.amount == Decimal("500")  # the original line is untouched
    with pytest.raises(Conflict):  # a correction may not overdraw either
        service.correct(mod, wrong, "-300", "too much")
    _assert_sound(fix.entitlement)


def test_flags_are_granted_once_and_not_used(app, kinds):
    mod, owner = f.moderator(), f.owner()
    entry = service.grant(mod, kinds["connect"], "1", "purchase", user=owner)
    with pytest.raises(Conflict):
        service.grant(mod, kinds["connect"], "1", "goodwill", user=owner)
    with pytest.raises(ValidationError):
        service.use(mod, entry.entitlement, "1")
    with pytest.raises(ValidationError):
        service.grant(mod, kinds["connect"], "2", "purchase", user=owner)


def test_who_may_receive(app, kinds):
    mod = f.moderator()
    with pytest.raises(ValidationError):  # owner-bound needs a verified owner
        service.grant(mod, kinds["charging"], "10", "goodwill", user=f.UserFactory())
    with pytest.raises(ValidationError):  # vehicle-bound needs a verified vehicle
        service.grant(mod, kinds["warranty"], "12", "purchase", vehicle=None)
    with pytest.raises(ValidationError):
        service.grant(mod, kinds["charging"], "10", "lottery", user=f.owner())
    with pytest.raises(PermissionDenied):
        service.grant(f.owner(), kinds["charging"], "10", "goodwill", user=f.owner())


def test_concurrent_uses_cannot_both_take_the_last_credit(make_app, is_postgres):
    app = make_app()
    with app.app_context():
        admin, mod, owner = f.admin(), f.moderator(), f.owner()
        kind = service.create_kind(admin, "charging_credit", "充电", "Charging", "kwh", "owner")
        holding_id = service.grant(mod, kind, "100", "purchase", user=owner).entitlement_id
        mod_id = mod.id
    results, barrier = [], threading.Barrier(4)

    def spend():
        with app.app_context():
            actor = db.session.get(type(mod), mod_id)
            holding = db.session.get(Entitlement, holding_id)
            barrier.wait()
            try:
                service.use(actor, holding, "60")
                results.append("ok")
            except Conflict:
                results.append("refused")
            except Exception as exc:  # SQLite: "database is locked" is also a refusal, never an overdraw
                results.append(type(exc).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 1
    with app.app_context():
        holding = db.session.get(Entitlement, holding_id)
        assert holding.balance == Decimal("40") and service.mismatches() == []


def test_transfer_moves_exactly_the_right_entitlements(app, kinds):
    mod = f.moderator()
    seller, buyer, bystander = f.owner(), f.owner(), f.owner()
    old_car = seller.vehicles[0]
    second_car = f.VehicleFactory(owner=seller, model="009", model_year=2023)
    charging = service.grant(mod, kinds["charging"], "800", "purchase", user=seller).entitlement
    assert charging.vehicle_id == second_car.id  # owner-bound applies to the newest verified car
    # Put it on the car being sold, as if that were the car it came with.
    charging.vehicle_id = old_car.id
    db.session.commit()
    warranty = service.grant(mod, kinds["warranty"], "24", "purchase", vehicle=old_car).entitlement
    other_warranty = service.grant(mod, kinds["warranty"], "12", "purchase", vehicle=second_car).entitlement
    unrelated = service.grant(mod, kinds["charging"], "50", "goodwill", user=bystander).entitlement
    before = {h.id: (h.user_id, h.vehicle_id, h.balance) for h in (other_warranty, unrelated)}

    transfer = transfers.transfer_vehicle(mod, old_car, buyer, note="Sale contract checked")
    for h in (charging, warranty, other_warranty, unrelated):
        db.session.refresh(h)
    new_row = db.session.get(type(old_car), transfer.new_vehicle_id)
    assert old_car.status == "transferred" and new_row.owner_id == buyer.id and new_row.status == "verified"
    assert new_row.vin_hash == old_car.vin_hash
    assert (charging.user_id, charging.vehicle_id, charging.balance) == (seller.id, second_car.id, Decimal("800"))
    assert (warranty.user_id, warranty.vehicle_id, warranty.balance) == (buyer.id, new_row.id, Decimal("24"))
    assert {h.id: (h.user_id, h.vehicle_id, h.balance) for h in (other_warranty, unrelated)} == before
    moves = LedgerEntry.query.filter_by(kind="move").order_by(LedgerEntry.entitlement_id).all()
    assert sorted((m.entitlement_id, m.from_user_id, m.user_id, m.from_vehicle_id, m.vehicle_id, m.transfer_id)
                  for m in moves) == sorted([
        (charging.id, seller.id, seller.id, old_car.id, second_car.id, transfer.id),
        (warranty.id, seller.id, buyer.id, old_car.id, new_row.id, transfer.id)])
    assert [h.id for h in service.holdings_of(buyer)] == [warranty.id]
    assert AuditEntry.query.filter_by(action="vehicle.transfer", target_id=old_car.id).count() == 1
    _assert_sound(charging, warranty, other_warranty, unrelated)
    with pytest.raises(Conflict):  # the sold row cannot be sold again
        transfers.transfer_vehicle(mod, old_car, bystander)
    with pytest.raises(Conflict):  # nor re-verified or rejected by the vehicle review
        accounts.review_vehicle(old_car, mod, approve=True)


def test_owner_bound_credit_waits_for_and_carries_to_the_next_verified_car(app, kinds):
    mod = f.moderator()
    seller = f.owner()
    car = seller.vehicles[0]
    charging = service.grant(mod, kinds["charging"], "1000", "purchase", user=seller).entitlement
    service.use(mod, charging, "300")
    transfers.transfer_vehicle(mod, car, None, note="Sold to a dealer")  # buyer not on the platform
    db.session.refresh(charging)
    assert (charging.user_id, charging.vehicle_id, charging.balance) == (seller.id, None, Decimal("700"))
    assert not seller.is_owner
    new_car = accounts.add_vehicle(seller, "001", 2025, ["lidar"], f.spare_vin(7))
    accounts.review_vehicle(new_car, mod, approve=True)
    db.session.refresh(charging)
    assert (charging.vehicle_id, charging.balance) == (new_car.id, Decimal("700"))
    moves = [e for e in service.entries_of(charging) if e.kind == "move"]
    assert [(m.from_vehicle_id, m.vehicle_id) for m in moves] == [(car.id, None), (None, new_car.id)]
    _assert_sound(charging)


def test_vehicle_bound_stays_with_a_car_sold_off_platform(app, kinds):
    mod, seller = f.moderator(), f.owner()
    car = seller.vehicles[0]
    voucher = service.grant(mod, kinds["voucher"], "1500", "goodwill", vehicle=car).entitlement
    transfers.transfer_vehicle(mod, car, None)
    db.session.refresh(voucher)
    assert (voucher.user_id, voucher.vehicle_id) == (None, car.id)
    assert service.holdings_of(seller) == []


def test_transfer_refusals(app, kinds):
    mod, seller = f.moderator(), f.owner()
    with pytest.raises(ValidationError):
        transfers.transfer_vehicle(mod, seller.vehicles[0], seller)
    with pytest.raises(PermissionDenied):
        transfers.transfer_vehicle(f.owner(), seller.vehicles[0], None)
    pending = accounts.add_vehicle(f.UserFactory(), "001", 2024, [], f.spare_vin(8))
    with pytest.raises(ValidationError):
        transfers.verified_vehicle(pending.id)


def test_my_entitlements_and_holding_pages(app, client, auth, kinds):
    mod, owner, stranger = f.moderator(), f.owner(), f.owner()
    holding = service.grant(mod, kinds["charging"], "1000", "purchase", user=owner).entitlement
    service.use(mod, holding, "250")
    auth.login_as(owner)
    page = client.get("/entitlements?lang=en").get_data(as_text=True)
    assert "Free charging credit" in page and "750" in page and "Follows the owner" in page
    assert client.get(f"/entitlements/{holding.id}").status_code == 200
    auth.login_as(stranger)
    assert client.get(f"/entitlements/{holding.id}").status_code == 404
    assert "Free charging credit" not in client.get("/entitlements?lang=en").get_data(as_text=True)


def test_moderator_pages_grant_use_correct_transfer_and_export(app, client, auth, kinds):
    mod, owner, buyer = f.moderator(), f.owner(), f.owner()
    auth.login_as(mod)
    resp = client.post("/entitlements/grant", data={"kind_id": kinds["charging"].id, "email": owner.email,
                                                    "amount": "1,000", "source": "purchase"})
    assert resp.status_code == 302
    holding = Entitlement.query.filter_by(user_id=owner.id).one()
    assert client.post(f"/entitlements/{holding.id}/use", data={"amount": "2000"}).status_code == 422
    assert client.post(f"/entitlements/{holding.id}/use", data={"amount": "100"}).status_code == 302
    first = service.entries_of(holding)[0]
    assert client.post(f"/entitlements/entries/{first.id}/correct",
                       data={"amount": "-50", "note": "typo"}).status_code == 302
    resp = client.post("/entitlements/transfers", data={"vehicle_id": owner.vehicles[0].id, "email": buyer.email,
                                                         "note": "checked"})
    assert resp.status_code == 302
    assert client.post("/entitlements/transfers", data={"vehicle_id": 999999}).status_code == 422
    page = client.get("/entitlements/manage?lang=en").get_data(as_text=True)
    assert owner.email in page
    csv = client.get("/entitlements/ledger.csv").get_data(as_text=True)
    assert csv.splitlines()[0].startswith("entry_id,") and len(csv.splitlines()) == 1 + 4  # grant, use, fix, move
    assert AuditEntry.query.filter_by(action="entitlement.export").count() == 1
    _assert_sound(holding)


def test_csv_cells_cannot_run_formulas(app, client, auth, kinds):
    mod, owner = f.moderator(), f.owner()
    service.grant(mod, kinds["charging"], "10", "goodwill", user=owner, note="=HYPERLINK(\"http://x\")")
    auth.login_as(mod)
    csv = client.get("/entitlements/ledger.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in csv and ",-" not in csv.replace(",-0", "")


def test_admin_kinds_page(app, client, auth):
    auth.login_as(f.admin())
    resp = client.post("/entitlements/kinds", data={"code": "charging_credit", "name_zh": "充电", "name_en": "Charging",
                                                     "unit": "kwh", "follows": "owner"})
    assert resp.status_code == 302
    assert client.post("/entitlements/kinds", data={"code": "charging_credit", "name_zh": "充电", "name_en": "C",
                                                    "unit": "kwh", "follows": "owner"}).status_code == 422


def test_cli_check_finds_a_tampered_balance(app, runner, kinds):
    holding = service.grant(f.moderator(), kinds["charging"], "10", "goodwill", user=f.owner()).entitlement
    assert runner.invoke(args=["entitlements", "check"]).output.endswith("0 mismatch(es)\n")
    holding.balance = Decimal("11")  # a writer bypassing the service
    db.session.commit()
    result = runner.invoke(args=["entitlements", "check"])
    assert result.exit_code == 1 and f"entitlement {holding.id}: balance 11.00 != ledger sum 10.00" in result.output


def test_a_car_pledged_in_an_open_crowdfunding_is_not_transferred_until_the_pledge_is_cancelled(app):
    from community.campaigns import pledges

    mod = f.moderator()
    campaign = f.open_campaign(actor=mod)
    seller = f.eligible_owner()
    car = seller.vehicles[0]
    made = pledges.pledge(seller, campaign, car.id)
    with pytest.raises(Conflict):
        transfers.transfer_vehicle(mod, car, f.owner())
    assert car.status == "verified"
    pledges.cancel_pledge(seller, made.id)
    transfers.transfer_vehicle(mod, car, f.owner())
    assert car.status == "transferred"
    from community.campaigns.eligibility import ineligibility_reasons

    assert ineligibility_reasons(campaign, car) == ["the vehicle was transferred to a new owner"]


def test_the_database_refuses_to_edit_a_ledger_line(app, kinds):
    from sqlalchemy import update
    from sqlalchemy.exc import DatabaseError

    entry = service.grant(f.moderator(), kinds["charging"], "10", "goodwill", user=f.owner())
    with pytest.raises(DatabaseError):
        db.session.execute(update(LedgerEntry).where(LedgerEntry.id == entry.id).values(amount=Decimal("99")))
    db.session.rollback()
    assert db.session.get(LedgerEntry, entry.id).amount == Decimal("10")
