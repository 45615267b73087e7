"""``flask demo load``: idempotent, counts equal rows, and the canonical story at its real dates.

Loading takes seconds, so one test loads it once and runs every check on the result.
"""
from datetime import timedelta
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from community import demo
from community.accounts.models import User
from community.announcements.models import Announcement
from community.dbtypes import utcnow
from community.extensions import db
from community.proposals.models import Proposal, Vote
from community.timeline.models import Milestone

SHANGHAI = ZoneInfo("Asia/Shanghai")


@cache
def _demo_hash() -> str:
    return generate_password_hash(demo.PASSWORD)


def test_demo_load(app, runner, client, monkeypatch):
    # Every demo user has the same password, so hash it once: ~70 scrypt runs would cost ~10 s.
    monkeypatch.setattr("community.accounts.models.generate_password_hash", lambda _password: _demo_hash())
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("demo loaded:")
    _a_second_load_changes_nothing(runner)
    _the_crowd_is_believable()
    _every_shown_count_equals_its_rows(runner)
    _the_canonical_story_has_its_milestones_on_its_days(client)
    _the_demo_logins_work(client)
    _roadmap_announcement_and_the_owner_who_changed_car(client)
    _a_moderator_sees_proof_in_the_verification_queue(client)


def _counts() -> dict[str, int]:
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in (User, Proposal, Vote,
                                                                                          Milestone)}


def _a_second_load_changes_nothing(runner):
    before = _counts()
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0 and "already loaded" in again.output
    assert _counts() == before


def _the_crowd_is_believable():
    counts = _counts()
    assert counts["User"] >= 50 and counts["Proposal"] >= 90 and counts["Vote"] >= 2000
    titles = [t for (t,) in db.session.execute(select(Proposal.title))]
    assert len(titles) == len(set(titles))  # one idea, one title: the front page never contradicts itself
    # Each proposal's status is where its own status-change milestones led it.
    for p in Proposal.query.filter(Proposal.status != "merged"):
        last = (Milestone.query.filter_by(proposal_id=p.id, kind="status_change")
                .order_by(Milestone.occurred_at.desc(), Milestone.id.desc()).first())
        assert (last.status_to if last else "submitted") == p.status, p.title
    # Chinese owners carry Chinese names; the popular proposals have a conversation.
    names = [n for (n,) in db.session.execute(select(User.display_name))]
    assert not [n for n in names if n.isascii() or "Owner" in n]
    top = Proposal.query.order_by(Proposal.vote_count.desc()).limit(10).all()
    assert sum(p.comment_count > 0 for p in top) >= 8
    # Nothing public is posted at the minute the demo was loaded: history is dated in the past.
    loaded = utcnow() - timedelta(minutes=30)
    assert Milestone.query.filter(Milestone.recorded_at >= loaded).count() == 0
    assert Announcement.query.filter(Announcement.published_at >= loaded).count() == 0
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in titles)  # Chinese
    assert any(t.isascii() for t in titles)  # and English
    assert {s for (s,) in db.session.execute(select(Proposal.status).distinct())} >= {
        "submitted", "under_review", "accepted", "in_progress", "delivered", "declined"}


def _every_shown_count_equals_its_rows(runner):
    rows = dict(db.session.execute(select(Vote.proposal_id, func.count()).group_by(Vote.proposal_id)).all())
    mismatched = [(p.id, p.vote_count, rows.get(p.id, 0)) for p in Proposal.query.all()
                  if p.vote_count != rows.get(p.id, 0)]
    assert mismatched == []
    assert "0 mismatch(es)" in runner.invoke(args=["votes", "recount", "--dry-run"]).output


def _the_canonical_story_has_its_milestones_on_its_days(client):
    story = Proposal.query.filter_by(title=demo.STORY_TITLE).one()
    days = {(m.kind, m.occurred_at.astimezone(SHANGHAI).strftime("%m-%d")) for m in
            Milestone.query.filter_by(proposal_id=story.id)}
    assert {("council_session", "09-14"), ("commitment", "09-17"), ("approval", "09-27"),
            ("progress_update", "10-10")} <= days
    assert ("campaign_opened", "11-24") in days  # the crowdfunding's window opened before the demo was loaded
    assert {d for _, d in days} - {"11-24", "12-24"} == {"09-14", "09-17", "09-27", "10-10"}
    assert ("status_change", "09-27") in days and story.status in ("accepted", "in_progress")
    page = client.get(f"/proposals/{story.id}?lang=zh").get_data(as_text=True)
    for shown in ("9月14日", "9月17日", "9月27日", "10月10日"):
        assert shown in page


def _the_demo_logins_work(client):
    resp = client.post("/login", data={"email": demo.LOGINS["owner"], "password": demo.PASSWORD})
    assert resp.status_code == 302
    owner = User.query.filter_by(email=demo.LOGINS["owner"]).one()
    assert owner.has_role("owner")
    assert User.query.filter_by(email=demo.LOGINS["moderator"]).one().has_role("moderator")
    assert User.query.filter_by(email=demo.LOGINS["admin"]).one().has_role("admin")
    # `make run` prints every demo login: each one printed exists, and every staff account is among them.
    printed = demo.logins_text()
    listed = {email for _role, email, _what in demo.LOGIN_ROLES}
    assert {u.email for u in User.query.filter(User.email.in_(listed))} == listed
    for role in ("admin", "moderator", "team_agent", "mystery_shopper"):
        emails = db.session.scalars(select(User.email).join(User.roles).filter_by(role=role)).all()
        assert emails and all(email in printed for email in emails), (role, emails)
    assert demo.PASSWORD in printed and "council@cocreate.example" in printed


def _roadmap_announcement_and_the_owner_who_changed_car(client):
    """Issue 8's "done": a postponed and a released roadmap item linked to proposals, an announcement
    answering two proposals, and an owner who changed car and kept their charging credit."""
    from decimal import Decimal

    from community.announcements.models import Announcement
    from community.entitlements import service as entitlements
    from community.roadmap.models import RoadmapItem

    for state in ("postponed", "released"):
        items = RoadmapItem.query.filter_by(state=state).all()
        assert any(i.links for i in items), state
    postponed = RoadmapItem.query.filter_by(state="postponed").first()
    assert postponed.window != postponed.original_window
    story = Proposal.query.filter_by(title=demo.STORY_TITLE).one()
    assert "/roadmap/" in client.get(f"/proposals/{story.id}").get_data(as_text=True)
    (announcement,) = Announcement.query.all()
    assert len(announcement.answers) == 2
    assert Milestone.query.filter_by(kind="announcement").count() == 2
    changer = User.query.filter_by(email=demo.LOGINS["changer"]).one()
    assert [v.status for v in changer.vehicles] == ["transferred", "verified"]
    charging = next(h for h in entitlements.holdings_of(changer) if h.kind.code == "charging_credit")
    assert charging.vehicle_id == changer.vehicles[1].id and charging.balance > Decimal("2000")
    assert [e.kind for e in entitlements.entries_of(charging)].count("move") == 2
    assert entitlements.mismatches() == []
    warranty = next(h for h in entitlements.list_holdings()[0] if h.kind.code == "extended_warranty")
    assert warranty.user_id != changer.id and warranty.vehicle.owner_id == warranty.user_id


def _a_moderator_sees_proof_in_the_verification_queue(client):
    from community.accounts import evidence
    from community.accounts.models import Vehicle, VehicleEvidence

    proofs = VehicleEvidence.query.order_by(VehicleEvidence.id).all()
    assert len(proofs) >= 2 and {p.kind for p in proofs} == {"licence", "invoice"}
    assert all(p.vehicle.status == "pending" and p.vin.endswith(p.vehicle.vin_last4) for p in proofs)
    mod = User.query.filter_by(email=demo.LOGINS["moderator"]).one()
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = mod.get_id(), True
    page = client.get("/moderation/vehicles?lang=en").get_data(as_text=True)
    for p in proofs:
        assert p.vin in page and f"/moderation/vehicles/evidence/{p.id}" in page
        assert evidence.decode_vin(p.vin).check_digit_ok
    assert "differs from the claim" in page  # one claim is a year off its VIN
    photo = client.get(f"/moderation/vehicles/evidence/{proofs[0].id}")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert Vehicle.query.filter_by(status="pending").count() >= len(proofs)
