"""The real router behind the adapter, and ``flask routing train``."""
from community.feedback import router_versions, routing_service, service
from community.routing.corpus import SeedRow, split_seed
from community.routing.versions import load_version
from tests import factories as f
from tests.routing.tiny import TEXTS, install, tiny_router


def test_a_real_model_routes_and_records_its_version(app):
    f.teams()
    app.config.update(ROUTER_THRESHOLD=0.0)
    version = install(app)
    item = service.submit(f.owner(), "超充站的充电桩坏了，充不上电", "app")
    assert item.team is not None and item.model_team == item.team.slug
    assert item.model_version == version and len(item.model_top3) == 3
    assert item.model_top3[0][0] == item.team.slug


def test_empty_or_emoji_text_goes_to_triage_with_a_real_model(app):
    f.teams()
    install(app)
    assert service.submit(f.owner(), "😡😡😡", "app").in_triage


def test_train_if_missing_skips_when_an_active_version_loads(app, runner):
    version = install(app)
    out = runner.invoke(args=["routing", "train", "--if-missing"]).output
    assert "not retrained" in out and router_versions.active_version() == version


def test_train_adds_the_corrections_people_made(app, runner, monkeypatch):
    rows = [SeedRow(text=t, team=team, lang="zh") for team, ts in TEXTS.items() for t in ts]
    monkeypatch.setattr("community.routing.train.load_seed", lambda: rows)
    item = f.feedback(text="车机蓝屏重启", team="app_connectivity")  # not in the validation slice
    service.reassign(item, "vehicle_quality", f.agent("app_connectivity"))
    result = runner.invoke(args=["routing", "train"])
    assert result.exit_code == 0, result.output
    assert "(1 from corrections)" in result.output
    version = router_versions.active_version()
    meta = load_version(router_versions.models_root(), version).metadata
    seed_train, seed_held = split_seed(rows)
    assert meta["training_size"] == len(seed_train) + 1
    assert meta["rows"] == {"seed": len(seed_train), "corrections": 1, "total": len(seed_train) + 1,
                            "validation": len(seed_held), "dropped": 0}


def test_routing_reuses_the_loaded_model(app, monkeypatch):
    f.teams()
    install(app, tiny_router())
    calls = []
    real = load_version

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr("community.routing.versions.load_version", counting)
    routing_service.reset_cache()
    for _ in range(3):
        routing_service.route("充电桩坏了")
    assert len(calls) == 1
