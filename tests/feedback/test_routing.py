"""Routing at submission: confident -> the team's queue; unsure, missing, corrupt or failing model -> triage."""
from datetime import UTC, datetime, timedelta

from community.feedback import routing_service, service
from community.feedback.models import FeedbackItem
from tests import factories as f
from tests.routing.tiny import install


def test_confident_prediction_routes_to_team_with_its_sla(app, fake_router):
    f.teams()
    f.pledge_item("app_connectivity", first_hours=24, resolution_hours=72)
    now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    item = service.submit(f.owner(), "CarPlay连接断开", "app", now=now)
    assert item.team.slug == "app_connectivity" and item.routed_by == "model"
    assert item.model_team == "app_connectivity" and item.model_confidence == 0.91
    assert item.model_version == "fake-1"
    assert item.model_top3[0] == ["app_connectivity", 0.91] and len(item.model_top3) == 3
    assert item.first_response_due_at == now + timedelta(hours=24)
    assert item.resolution_due_at == now + timedelta(hours=72)
    assert item.next_due_at == item.first_response_due_at


def test_below_threshold_goes_to_triage_with_top3(app, fake_router):
    f.teams()
    fake_router.answer.confidence = 0.31
    app.config["ROUTER_THRESHOLD"] = 0.5
    item = service.submit(f.owner(), "车有点问题", "web")
    assert item.team is None and item.in_triage and item.routing_note == "unsure"
    assert item.model_team == "app_connectivity" and len(item.model_top3) == 3


def test_abstaining_model_goes_to_triage(app, fake_router):
    f.teams()
    fake_router.answer.team = None
    assert service.submit(f.owner(), "😡😡", "web").in_triage


def test_model_that_raises_never_loses_feedback(client, auth, app, monkeypatch, fake_router):
    f.teams()

    def boom(texts):
        raise RuntimeError("model exploded")

    monkeypatch.setattr(fake_router, "predict", boom)
    owner = f.owner()
    auth.login(owner)
    resp = client.post("/feedback/new", data={"text": "App 蓝牙钥匙失灵", "channel": "app", "vehicle_id": ""})
    assert resp.status_code == 302
    item = FeedbackItem.query.one()
    assert item.author_id == owner.id and item.in_triage and item.routing_note == "model failed"
    assert client.get(resp.headers["Location"]).status_code == 200


def test_corrupt_model_file_goes_to_triage(app):
    from community.feedback import router_versions

    f.teams()
    version = install(app)
    (router_versions.models_root() / version / "model.joblib").write_bytes(b"this is not a model")
    routing_service.reset_cache()
    item = service.submit(f.owner(), "充电桩坏了", "app")
    assert item.in_triage and item.routing_note == "model unavailable"
    assert FeedbackItem.query.count() == 1


def test_missing_model_files_go_to_triage(app):
    import shutil

    from community.feedback import router_versions

    f.teams()
    version = install(app)
    shutil.rmtree(router_versions.models_root() / version)
    routing_service.reset_cache()
    assert not routing_service.available()
    item = service.submit(None, "超充站故障", "hotline", contact="13800000000")
    assert item.in_triage and item.routing_note == "model unavailable"


def test_no_version_ever_trained_goes_to_triage(app):
    f.teams()
    routing_service.reset_cache()
    assert service.submit(f.owner(), "超充站故障", "web").routing_note == "model unavailable"


def test_prediction_of_an_inactive_team_goes_to_triage(app, fake_router):
    teams = f.teams()
    teams["app_connectivity"].is_active = False
    from community.extensions import db

    db.session.commit()
    item = service.submit(f.owner(), "CarPlay", "app")
    assert item.in_triage and item.routing_note == "team not active"
