"""Object storage behaves the same on a folder and on S3 (moto's real server on loopback), and production's
configuration is checked at start-up."""
import secrets

import pytest

from community import create_app, storage


@pytest.fixture(params=["filesystem", "s3"])
def store_app(request, make_app):
    overrides = request.getfixturevalue("s3_config") if request.param == "s3" else {}
    app = make_app(**overrides)
    with app.app_context():
        yield app


def test_put_get_list_delete(store_app):
    storage.put("things/a/one.txt", b"first", "text/plain")
    storage.put("things/two.bin", b"\x00\x01")
    storage.put("other/three.txt", b"3")
    assert storage.get("things/a/one.txt") == b"first"
    assert storage.exists("things/two.bin") and not storage.exists("things/nothing")
    assert storage.list_keys("things/") == ["things/a/one.txt", "things/two.bin"]
    assert storage.list_keys("nothing/") == []
    storage.put("things/a/one.txt", b"replaced")
    assert storage.get("things/a/one.txt") == b"replaced"
    storage.delete("things/a/one.txt")
    storage.delete("things/a/one.txt")  # deleting what is gone is fine
    with pytest.raises(storage.MissingObject):
        storage.get("things/a/one.txt")
    assert storage.list_keys("things/") == ["things/two.bin"]


def test_serve_streams_the_object_privately(store_app):
    storage.put("photos/p.png", b"\x89PNG fake bytes", "image/png")
    with store_app.test_request_context():
        response = storage.serve("photos/p.png", "image/png")
        response.direct_passthrough = False
        assert response.get_data() == b"\x89PNG fake bytes"
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "private, no-store"
    with store_app.test_request_context(), pytest.raises(storage.MissingObject):
        storage.serve("photos/none.png", "image/png")


@pytest.mark.parametrize("key", ["../secret_key", "/etc/passwd", "a/../../b", ".hidden", "a//b", "", "a/.tmp"])
def test_keys_cannot_leave_their_folder(store_app, key):
    with pytest.raises(ValueError):
        storage.put(key, b"x")


def test_check_passes_on_a_working_backend(store_app):
    storage.check()


def test_a_missing_bucket_fails_the_check(make_app, s3_config):
    app = make_app(**{**s3_config, "STORAGE_S3_BUCKET": "no-such-bucket-here"})
    with app.app_context(), pytest.raises(storage.StorageError):
        storage.check()


def test_two_hosts_see_the_same_objects_on_s3(make_app, s3_config, tmp_path):
    host_a, host_b = make_app(**s3_config), make_app(**s3_config)
    host_a.instance_path, host_b.instance_path = str(tmp_path / "a"), str(tmp_path / "b")
    with host_a.app_context():
        storage.put("shared/x.txt", b"from A")
    with host_b.app_context():
        assert storage.get("shared/x.txt") == b"from A"


def _production(**extra):
    return {"COCREATE_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": "postgresql://x@127.0.0.1/x",
            "SQLALCHEMY_DATABASE_URI": "postgresql://x@127.0.0.1/x", "PUBLIC_BASE_URL": "https://cocreate.example.com",
            **extra}


def test_production_refuses_to_start_without_redis(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        create_app(_production(STORAGE_BACKEND="s3", STORAGE_S3_BUCKET="b"))


def test_production_refuses_storage_on_one_hosts_disk(monkeypatch):
    for key in ("STORAGE_BACKEND", "STORAGE_DIR"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(RuntimeError, match="STORAGE_BACKEND"):
        create_app(_production(REDIS_URL="redis://127.0.0.1:6379/0"))
    app = create_app(_production(REDIS_URL="redis://127.0.0.1:6379/0", STORAGE_DIR="/srv/shared"))
    assert app.config["STORAGE_DIR"] == "/srv/shared"


def test_s3_needs_a_bucket_and_the_backend_a_known_name():
    with pytest.raises(RuntimeError, match="STORAGE_S3_BUCKET"):
        create_app({"COCREATE_ENV": "testing", "STORAGE_BACKEND": "s3", "SECRET_KEY": "x"})
    with pytest.raises(RuntimeError, match="STORAGE_BACKEND"):
        create_app({"COCREATE_ENV": "testing", "STORAGE_BACKEND": "ftp", "SECRET_KEY": "x"})
