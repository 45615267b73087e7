"""The real router behind the adapter, and ``flask routing train`` / ``evaluate``."""
from community.feedback import routing_service, service
from community.routing.model import Router
from tests import factories as f

TEXTS = {
    "charging": ["超充站充不上电", "充电桩坏了", "supercharger broken", "充电很慢", "charging station fault",
                 "充电桩被占位"],
    "app_connectivity": ["CarPlay 连接断开", "App 蓝牙钥匙失灵", "app cannot unlock the car", "车机卡顿",
                         "OTA 后 App 连不上车", "bluetooth key fails"],
    "vehicle_quality": ["后备箱进水", "地上有油渍漏油", "异响", "water leak in the boot", "天窗漏水",
                        "dashboard warning light"],
}


def _tiny_router(threshold: float = 0.0) -> Router:
    texts = [t for ts in TEXTS.values() for t in ts]
    labels = [team for team, ts in TEXTS.items() for _ in ts]
    return Router.train(texts, labels, threshold=threshold)


def test_a_real_model_file_routes_and_records_its_version(app, tmp_path):
    f.teams()
    path = _tiny_router().save(tmp_path / "router.joblib")
    app.config.update(ROUTER_PATH=str(path), ROUTER_THRESHOLD=0.0)
    routing_service.reset_cache()
    item = service.submit(f.owner(), "超充站的充电桩坏了，充不上电", "app")
    assert item.team is not None and item.model_team == item.team.slug
    assert item.model_version and len(item.model_top3) == 3
    assert item.model_top3[0][0] == item.team.slug


def test_empty_or_emoji_text_goes_to_triage_with_a_real_model(app, tmp_path):
    f.teams()
    app.config.update(ROUTER_PATH=str(_tiny_router().save(tmp_path / "router.joblib")))
    routing_service.reset_cache()
    assert service.submit(f.owner(), "😡😡😡", "app").in_triage


def test_train_if_missing_skips_an_existing_model(app, runner, tmp_path):
    path = tmp_path / "router.joblib"
    path.write_bytes(b"already here")
    app.config["ROUTER_PATH"] = str(path)
    out = runner.invoke(args=["routing", "train", "--if-missing"]).output
    assert "not retrained" in out and path.read_bytes() == b"already here"


def test_train_adds_the_corrections_people_made(app, runner, tmp_path, monkeypatch):
    import community.routing.train as train_module
    from community.routing.corpus import SeedRow

    rows = [SeedRow(text=t, team=team, lang="zh") for team, ts in TEXTS.items() for t in ts]
    monkeypatch.setattr(train_module, "train_seed_router", lambda threshold: _tiny_router(threshold))
    monkeypatch.setattr("community.routing.corpus.load_seed", lambda: rows)
    item = f.feedback(text="车机黑屏重启", team="app_connectivity")
    service.reassign(item, "vehicle_quality", f.agent("app_connectivity"))
    app.config["ROUTER_PATH"] = str(tmp_path / "router.joblib")
    result = runner.invoke(args=["routing", "train"])
    assert result.exit_code == 0, result.output
    assert "(1 from corrections)" in result.output
    assert Router.load(tmp_path / "router.joblib").metadata["training_size"] == len(rows) + 1
