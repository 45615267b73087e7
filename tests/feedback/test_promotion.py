"""Safe promotion of retrained router versions, the admin router page's figures, and triage's top 2 suggestions."""
from html import escape

import pytest

from community.audit.models import AuditEntry
from community.feedback import retrain, router_versions, service
from community.feedback.models import RouterCandidate
from community.routing.corpus import SeedRow
from tests import factories as f
from tests.routing.tiny import TEXTS

ROWS = [SeedRow(text=t, team=team, lang="zh") for team, ts in TEXTS.items() for t in ts]
ROTATE = dict(zip(TEXTS, list(TEXTS)[1:] + list(TEXTS)[:1], strict=True))


@pytest.fixture
def tiny_seed(monkeypatch):
    monkeypatch.setattr("community.routing.train.load_seed", lambda: ROWS)


def _worse_training(monkeypatch):
    """The next training learns every team under the wrong name (as a broken corrections feed would)."""
    from community.routing import train

    real = train.train_router

    def mislabelled(extra=(), **kwargs):
        kwargs["seed_rows"] = [SeedRow(r.text, ROTATE[r.team], r.lang) for r in ROWS]
        return real(extra, **kwargs)

    monkeypatch.setattr(train, "train_router", mislabelled)


def test_the_first_version_is_activated_and_audited(app, tiny_seed):
    trained = retrain.train()
    assert trained.activated and router_versions.active_version() == trained.version
    [candidate] = RouterCandidate.query.all()
    assert candidate.decision == "activated" and candidate.compared_with is None
    assert AuditEntry.query.filter_by(action="routing.activate").count() == 1


def test_a_version_as_good_as_the_active_one_is_activated_automatically(app, tiny_seed):
    first = retrain.train()
    second = retrain.train()
    assert second.activated and router_versions.active_version() == second.version
    candidate = RouterCandidate.query.filter_by(version=second.version).one()
    assert candidate.compared_with == first.version and candidate.reasons == []
    assert candidate.figures["candidate"]["macro_f1"] >= candidate.figures["active"]["macro_f1"]


def test_a_worse_version_waits_for_an_admin_who_sees_the_comparison(app, client, auth, tiny_seed, monkeypatch):
    good = retrain.train()
    _worse_training(monkeypatch)
    worse = retrain.train()
    assert not worse.activated and "macro_f1" in worse.reasons
    assert router_versions.active_version() == good.version  # still serving
    assert [c.version for c in retrain.waiting()] == [worse.version]
    assert AuditEntry.query.filter_by(action="routing.hold").count() == 1

    admin = f.admin()
    auth.login_as(admin)
    page = client.get("/feedback/router").get_data(as_text=True)
    waiting = page[page.index('id="waiting"'):page.index("</table>", page.index('id="waiting"'))]
    assert worse.version in waiting and good.version in waiting and "text-danger" in waiting

    resp = client.post("/feedback/router/activate", data={"version": worse.version})
    assert resp.status_code == 302 and router_versions.active_version() == worse.version
    entry = AuditEntry.query.filter_by(action="routing.activate").order_by(AuditEntry.id.desc()).first()
    assert entry.actor_id == admin.id and entry.after == {"version": worse.version}
    assert retrain.waiting() == []


def test_retrain_is_due_after_enough_corrections(app, tiny_seed):
    app.config["ROUTER_RETRAIN_EVERY"] = 2
    retrain.train()
    moderator = f.moderator()
    for text in ("车机黑屏", "充电枪拔不出"):
        service.assign_from_triage(f.feedback(text=text, team=None), "charging", moderator)
        assert retrain.retrain_due() == (text == "充电枪拔不出")


def test_the_router_page_shows_precision_coverage_and_confusion_per_team(app, client, auth, tiny_seed):
    f.teams()
    retrain.train()
    auth.login_as(f.admin())
    page = client.get("/feedback/router").get_data(as_text=True)
    per_team = page[page.index('id="per-team"'):page.index('id="confusion"')]
    for slug in TEXTS:
        assert escape(f.teams()[slug].name_en) in per_team
    assert "%" in per_team
    start = page.index('id="confusion"')
    confusion = page[start:page.index("</table>", start)]
    assert confusion.count("<tr>") == len(TEXTS) + 1  # header + one row per team


def test_training_labels_are_corrections_and_answers_that_confirm_the_router(app):
    answered = f.feedback(text="充电桩坏了", team="charging")
    service.reply(answered, f.agent("charging"), "We are on it")
    f.feedback(text="还没人回复", team="charging")  # not answered yet: no label
    moved = f.feedback(text="车机黑屏", team="charging")
    service.reassign(moved, "app_connectivity", f.moderator())
    service.reply(moved, f.agent("app_connectivity"), "Ours, looking into it")
    assert sorted(service.training_examples()) == [("充电桩坏了", "charging"), ("车机黑屏", "app_connectivity")]
