"""Model versions on disk (pure) and from the app: train, list, activate, roll back, cache by version."""
from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import pytest

from community.audit.models import AuditEntry
from community.feedback import router_versions, routing_service
from community.feedback.models import RouterActivation
from community.routing import RouterUnavailable
from community.routing.corpus import SeedRow
from community.routing.versions import (
    METADATA_FILE,
    MODEL_FILE,
    is_version_name,
    list_versions,
    load_version,
    read_metadata,
    save_version,
    training_data_hash,
)
from tests import factories as f
from tests.routing.tiny import TEXTS, install, pairs, tiny_router

# ---- files (no app) ----


def test_hash_ignores_order_and_sees_any_change() -> None:
    data = pairs()
    assert training_data_hash(data) == training_data_hash(list(reversed(data)))
    assert training_data_hash(data) != training_data_hash(data[:-1])
    assert training_data_hash(data) != training_data_hash([*data[:-1], (data[-1][0], "charging")])


def test_a_version_folder_holds_the_model_and_its_metadata(tmp_path) -> None:
    router = tiny_router(threshold=0.4)
    digest = training_data_hash(pairs())
    version = save_version(router, tmp_path, digest)
    assert is_version_name(version) and version.endswith(digest[:8])
    assert sorted(p.name for p in (tmp_path / version).iterdir()) == [METADATA_FILE, MODEL_FILE]
    assert [p.name for p in tmp_path.iterdir()] == [version]  # no temporary folder left behind
    meta = json.loads((tmp_path / version / METADATA_FILE).read_text(encoding="utf-8"))
    assert meta["version"] == version
    assert meta["labels"] == sorted(TEXTS) == router.classes
    assert meta["training_data_sha256"] == digest
    assert meta["training_size"] == len(pairs()) and meta["threshold"] == 0.4
    trained_at = datetime.fromisoformat(meta["trained_at"])
    assert trained_at.utcoffset() == UTC.utcoffset(None)
    assert version.startswith(trained_at.strftime("%Y%m%dT%H%M%SZ"))
    loaded = load_version(tmp_path, version)
    assert loaded.metadata["version"] == version and loaded.threshold == 0.4
    assert loaded.predict(["充电桩坏了"]) == router.predict(["充电桩坏了"])


def test_same_data_same_second_gets_a_new_name(tmp_path) -> None:
    router = tiny_router()
    first = save_version(router, tmp_path, "ab" * 32)
    second = save_version(router, tmp_path, "ab" * 32)
    assert second == f"{first}-2"
    assert [v.version for v in list_versions(tmp_path)] == sorted([first, second], reverse=True)


def test_production_training_keeps_the_validation_slice_out_and_scores_it(monkeypatch) -> None:
    from community.routing.corpus import split_seed
    from community.routing.train import in_validation_slice, train_router

    rows = [SeedRow(t, team, "zh") for t, team in pairs()]
    monkeypatch.setattr("community.routing.train.load_seed", lambda: rows)
    sliced, trained = ("车机黑屏自动重启", "app_connectivity"), ("车机蓝屏重启", "app_connectivity")
    assert in_validation_slice(sliced[0]) and not in_validation_slice(trained[0])
    router = train_router([sliced, trained])
    meta = router.metadata
    seed_train, seed_held = split_seed(rows)
    assert meta["rows"] == {"seed": len(seed_train), "corrections": 1, "total": len(seed_train) + 1,
                            "validation": len(seed_held) + 1, "dropped": 0}
    assert meta["training_size"] == len(seed_train) + 1
    held = meta["heldout_metrics"]
    assert held["n_test"] == len(seed_held) + 1 and 0.0 <= held["macro_f1"] <= 1.0 and "split" in held
    assert set(held["routing"]["per_team"]) <= {t for _, t in pairs()}
    assert meta["training_data_sha256"] == training_data_hash([(r.text, r.team) for r in seed_train] + [trained])


@pytest.mark.parametrize("name", ["../etc", ".tmp-x", "", "a/b", "x" * 65, None])
def test_unsafe_version_names_are_refused(tmp_path, name) -> None:
    assert not is_version_name(name)
    with pytest.raises(RouterUnavailable):
        load_version(tmp_path, name)


def test_a_changed_model_file_fails_its_checksum(tmp_path) -> None:
    version = save_version(tiny_router(), tmp_path, "cd" * 32)
    path = tmp_path / version / MODEL_FILE
    path.write_bytes(path.read_bytes() + b"\x00")
    with pytest.raises(RouterUnavailable, match="checksum"):
        load_version(tmp_path, version)


def test_unreadable_metadata_is_listed_with_its_error(tmp_path) -> None:
    version = save_version(tiny_router(), tmp_path, "ef" * 32)
    (tmp_path / version / METADATA_FILE).write_text("{not json", encoding="utf-8")
    (tmp_path / "stray-file.txt").write_text("ignored", encoding="utf-8")
    [info] = list_versions(tmp_path)
    assert info.version == version and info.error
    with pytest.raises(RouterUnavailable):
        read_metadata(tmp_path, version)


# ---- the app ----


def test_train_creates_and_activates_a_version_with_an_audit_entry(app, runner, monkeypatch) -> None:
    rows = [SeedRow(t, team, "zh") for t, team in pairs()]
    monkeypatch.setattr("community.routing.train.load_seed", lambda: rows)
    result = runner.invoke(args=["routing", "train"])
    assert result.exit_code == 0, result.output
    version = router_versions.active_version()
    assert version and f"active version: {version}" in result.output
    assert (router_versions.models_root() / version / MODEL_FILE).is_file()
    activation = RouterActivation.query.one()
    assert activation.reason == "trained" and activation.actor_id is None
    entry = AuditEntry.query.filter_by(action="routing.activate").one()
    assert entry.before == {"version": None} and entry.after == {"version": version}


def test_train_no_activate_leaves_the_active_version(app, runner, monkeypatch) -> None:
    rows = [SeedRow(t, team, "zh") for t, team in pairs()]
    monkeypatch.setattr("community.routing.train.load_seed", lambda: rows)
    before = install(app)
    result = runner.invoke(args=["routing", "train", "--no-activate"])
    assert result.exit_code == 0, result.output
    assert router_versions.active_version() == before
    assert len(router_versions.list_versions()) == 2 and "flask routing activate" in result.output


def test_train_if_missing_on_a_fresh_machine_trains_and_activates(app, runner, monkeypatch) -> None:
    rows = [SeedRow(t, team, "zh") for t, team in pairs()]
    monkeypatch.setattr("community.routing.train.load_seed", lambda: rows)
    assert router_versions.active_version() is None
    result = runner.invoke(args=["routing", "train", "--if-missing"])
    assert result.exit_code == 0, result.output
    assert router_versions.has_usable_active()


def test_train_if_missing_retrains_when_the_active_version_is_broken(app, runner, monkeypatch) -> None:
    rows = [SeedRow(t, team, "zh") for t, team in pairs()]
    monkeypatch.setattr("community.routing.train.load_seed", lambda: rows)
    broken = install(app)
    shutil.rmtree(router_versions.models_root() / broken)
    result = runner.invoke(args=["routing", "train", "--if-missing"])
    assert result.exit_code == 0, result.output
    assert "saved" in result.output and router_versions.has_usable_active()
    assert RouterActivation.query.count() == 2


def test_versions_lists_newest_first_and_marks_the_active_one(app, runner) -> None:
    old = install(app, tiny_router())
    new = install(app, tiny_router(extra=[("车机黑屏重启", "app_connectivity")]))
    lines = runner.invoke(args=["routing", "versions"]).output.splitlines()
    assert lines[0].startswith(f"* {new}") and lines[1].startswith(f"  {old}")
    assert "held-out" in lines[0]


def test_activate_rolls_back_and_forward(app, runner) -> None:
    f.teams()
    app.config["ROUTER_THRESHOLD"] = 0.0
    old = install(app, tiny_router())
    new = install(app, tiny_router(extra=[("车机黑屏重启", "app_connectivity")]))
    assert routing_service.route("充电桩坏了").version == new
    result = runner.invoke(args=["routing", "activate", old])
    assert result.exit_code == 0 and f"active version: {old}" in result.output
    assert router_versions.active_version() == old
    assert routing_service.route("充电桩坏了").version == old  # the worker reloads: the version changed
    assert runner.invoke(args=["routing", "activate", new]).exit_code == 0
    assert routing_service.route("充电桩坏了").version == new
    assert [a.version for a in RouterActivation.query.order_by(RouterActivation.id)] == [old, new, old, new]
    entries = AuditEntry.query.filter_by(action="routing.activate").order_by(AuditEntry.id).all()
    assert entries[-2].before == {"version": new} and entries[-2].after == {"version": old}


def test_activate_refuses_unknown_and_broken_versions(app, runner) -> None:
    good = install(app)
    result = runner.invoke(args=["routing", "activate", "20991231T000000Z-deadbeef"])
    assert result.exit_code != 0 and "No router model version" in result.output
    broken = install(app, tiny_router(extra=[("异响很大", "vehicle_quality")]))
    router_versions.activate(good)
    (router_versions.models_root() / broken / MODEL_FILE).write_bytes(b"garbage")
    result = runner.invoke(args=["routing", "activate", broken])
    assert result.exit_code != 0 and "cannot be loaded" in result.output
    assert router_versions.active_version() == good


def test_the_loader_caches_by_version(app, monkeypatch) -> None:
    import community.routing.versions as versions_module

    first = install(app, tiny_router())
    second = install(app, tiny_router(extra=[("异响很大", "vehicle_quality")]))
    loads = []
    real = versions_module.load_version
    monkeypatch.setattr(versions_module, "load_version", lambda root, v, **kw: loads.append(v) or real(root, v, **kw))
    routing_service.reset_cache()
    for _ in range(5):
        routing_service.route("充电桩坏了")
    assert loads == [second]
    router_versions.activate(first)  # checks that the version loads, in this process
    loads.clear()
    for _ in range(5):
        routing_service.route("充电桩坏了")
    assert loads == [first]


def test_a_broken_active_version_is_not_reloaded_on_every_request(app, monkeypatch) -> None:
    import community.routing.versions as versions_module

    f.teams()
    version = install(app)
    (router_versions.models_root() / version / MODEL_FILE).write_bytes(b"garbage")
    loads = []
    real = versions_module.load_version
    monkeypatch.setattr(versions_module, "load_version", lambda root, v, **kw: loads.append(v) or real(root, v, **kw))
    routing_service.reset_cache()
    notes = {routing_service.route("充电桩坏了").note for _ in range(3)}
    assert notes == {"model unavailable"} and loads == [version]


ACTIVATE_ELSEWHERE = """
import sys
from community import create_app
from community.feedback import router_versions
app = create_app({"COCREATE_ENV": "testing", "TESTING": True, "SECRET_KEY": "elsewhere",
                  "SQLALCHEMY_DATABASE_URI": sys.argv[1], "STORAGE_DIR": sys.argv[2]})
with app.app_context():
    router_versions.activate(sys.argv[3])
"""


def test_an_activation_in_another_process_serves_here_within_the_revalidation_bound(app, monkeypatch) -> None:
    import subprocess
    import sys
    from pathlib import Path

    from community import storage
    from community.extensions import db

    f.teams()
    app.config.update(ROUTER_THRESHOLD=0.0, ROUTER_REVALIDATE_SECONDS=5.0)
    old = install(app, tiny_router())
    new = install(app, tiny_router(extra=[("车机黑屏重启", "app_connectivity")]))
    clock = [1000.0]
    monkeypatch.setattr(routing_service.time, "monotonic", lambda: clock[0])
    routing_service.reset_cache()
    assert routing_service.route("充电桩坏了").version == new
    db.session.remove()  # the request ends; another host activates the old version (a separate process)
    done = subprocess.run([sys.executable, "-c", ACTIVATE_ELSEWHERE, app.config["SQLALCHEMY_DATABASE_URI"],
                           str(storage.backend().root), old], cwd=Path(__file__).resolve().parents[2],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert router_versions.active_version() == old
    db.session.remove()
    reads = []
    real = router_versions.active_version
    monkeypatch.setattr(router_versions, "active_version", lambda: reads.append(1) or real())
    clock[0] += 4.9  # within the bound this worker still trusts what it read, without reading again
    assert routing_service.route("充电桩坏了").version == new and reads == []
    db.session.remove()
    clock[0] += 0.2  # 5.1 s after its last read: it reads again, loads the old version, and routes with it
    assert routing_service.route("充电桩坏了").version == old and reads == [1]
    assert routing_service.route("充电桩坏了").version == old and reads == [1]


def test_an_activation_in_this_process_serves_at_once(app, monkeypatch) -> None:
    f.teams()
    app.config.update(ROUTER_THRESHOLD=0.0, ROUTER_REVALIDATE_SECONDS=3600.0)
    old = install(app, tiny_router())
    new = install(app, tiny_router(extra=[("车机黑屏重启", "app_connectivity")]))
    routing_service.reset_cache()
    assert routing_service.route("充电桩坏了").version == new
    router_versions.activate(old)
    assert routing_service.route("充电桩坏了").version == old  # no waiting for the hour


# ---- the admin page ----


def test_admin_page_lists_versions_with_figures_and_activates(app, client, auth) -> None:
    admin = f.admin()
    old = install(app, tiny_router())
    new = install(app, tiny_router(extra=[("异响很大", "vehicle_quality")]))
    auth.login_as(admin)
    page = client.get("/feedback/router").get_data(as_text=True)
    assert old in page and new in page and "Active" in page
    resp = client.post("/feedback/router/activate", data={"version": old})
    assert resp.status_code == 302
    assert router_versions.active_version() == old
    activation = RouterActivation.query.order_by(RouterActivation.id.desc()).first()
    assert activation.actor_id == admin.id and activation.reason == "activate"
    assert AuditEntry.query.filter_by(action="routing.activate", actor_id=admin.id).count() == 1


def test_admin_page_refuses_an_unknown_version(app, client, auth) -> None:
    version = install(app)
    auth.login_as(f.admin())
    resp = client.post("/feedback/router/activate", data={"version": "../../etc"}, follow_redirects=True)
    assert "No router model version" in resp.get_data(as_text=True)
    assert router_versions.active_version() == version


def test_admin_page_shows_a_missing_active_version(app, client, auth) -> None:
    version = install(app)
    shutil.rmtree(router_versions.models_root() / version)
    auth.login_as(f.admin())
    page = client.get("/feedback/router").get_data(as_text=True)
    assert version in page and "feedback goes to triage" in page


def test_activation_needs_the_csrf_token(make_app) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        version = install(app)
        other = install(app, tiny_router(extra=[("异响很大", "vehicle_quality")]))
        client = app.test_client()
        admin = f.admin()
        with client.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = admin.get_id(), True
        resp = client.post("/feedback/router/activate", data={"version": version})
        assert resp.status_code == 400
        assert router_versions.active_version() == other


def test_versions_names_a_missing_active_version(app, runner) -> None:
    version = install(app)
    shutil.rmtree(router_versions.models_root() / version)
    first = runner.invoke(args=["routing", "versions"]).output.splitlines()[0]
    assert first.startswith(f"* {version}  unreadable: no folder under")
