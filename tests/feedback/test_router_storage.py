"""The router's model versions live in object storage: a version trained on one host serves on another
(S3 on moto's real server), and nothing is written to either host's instance folder."""
from community.feedback import router_versions, routing_service
from community.routing.corpus import SeedRow
from tests.routing.tiny import pairs


def test_a_version_trained_on_one_host_routes_on_another(make_app, s3_config, tmp_path, monkeypatch):
    monkeypatch.setattr("community.routing.train.load_seed",
                        lambda: [SeedRow(t, team, "zh") for t, team in pairs()])
    host_a, host_b = make_app(**s3_config), make_app(**s3_config)
    host_a.instance_path, host_b.instance_path = str(tmp_path / "a"), str(tmp_path / "b")
    with host_a.app_context():
        result = host_a.test_cli_runner().invoke(args=["routing", "train"])
        assert result.exit_code == 0, result.output
        version = router_versions.active_version()
        assert version and "s3://" in result.output
        assert router_versions.stored_versions() == [version]
    with host_b.app_context():
        routing_service.reset_cache()
        [row] = router_versions.list_versions()
        assert row.version == version and row.is_active and row.error is None
        assert routing_service.route("超充站充不上电，充电桩坏了").team == "charging"
        assert routing_service.available()
    assert not (tmp_path / "a" / "models").exists() and not (tmp_path / "b" / "models").exists()


def test_a_version_whose_model_object_is_gone_sends_feedback_to_triage(make_app, s3_config, monkeypatch):
    from community import storage

    monkeypatch.setattr("community.routing.train.load_seed",
                        lambda: [SeedRow(t, team, "zh") for t, team in pairs()])
    app = make_app(**s3_config)
    with app.app_context():
        assert app.test_cli_runner().invoke(args=["routing", "train"]).exit_code == 0
        version = router_versions.active_version()
        storage.delete(f"{router_versions.models_prefix()}/{version}/model.joblib")
        routing_service.reset_cache()
        decision = routing_service.route("超充站充不上电")
        assert decision.team is None and decision.note == "model unavailable"
