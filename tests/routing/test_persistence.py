"""Saving and loading: same predictions after a round trip; any unusable file -> RouterUnavailable."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import joblib
import pytest
import sklearn

from community.routing import Router, RouterUnavailable
from community.routing.corpus import load_seed, split_seed
from community.routing.model import FORMAT_VERSION

TEXTS = ["小区物业不让装家充桩怎么办", "OTA 升级后 app 连不上车", "The sales guy ignored us", "在吗", ""]


@pytest.fixture(scope="module")
def saved(seed_router: Router, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_router.save(tmp_path_factory.mktemp("model") / "nested" / "router.joblib")


def test_round_trip_gives_the_same_predictions(seed_router: Router, saved: Path) -> None:
    loaded = Router.load(saved)
    assert loaded.predict(TEXTS) == seed_router.predict(TEXTS)
    assert loaded.threshold == seed_router.threshold
    assert loaded.classes == seed_router.classes


def test_metadata_is_saved(seed_router: Router, saved: Path) -> None:
    meta = Router.load(saved).metadata
    assert meta["sklearn_version"] == sklearn.__version__
    assert meta["classes"] == seed_router.classes
    assert meta["threshold"] == seed_router.threshold
    assert meta["training_size"] == len(load_seed()) - len(split_seed(load_seed())[1])
    assert "heldout_metrics" in meta
    trained_at = datetime.fromisoformat(meta["trained_at"])
    assert trained_at.utcoffset() == UTC.utcoffset(None)
    assert abs((datetime.now(UTC) - trained_at).total_seconds()) < 3600


def test_load_can_override_the_threshold(saved: Path) -> None:
    assert Router.load(saved, threshold=0.9).threshold == 0.9


def test_save_leaves_no_temporary_file(saved: Path) -> None:
    assert [p.name for p in saved.parent.iterdir()] == ["router.joblib"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RouterUnavailable, match="no router model"):
        Router.load(tmp_path / "absent.joblib")


def test_garbage_file(tmp_path: Path) -> None:
    path = tmp_path / "router.joblib"
    path.write_bytes(b"this is not a pickle\x00\xff" * 10)
    with pytest.raises(RouterUnavailable, match="cannot read"):
        Router.load(path)


def test_truncated_file(saved: Path, tmp_path: Path) -> None:
    data = saved.read_bytes()
    path = tmp_path / "router.joblib"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RouterUnavailable):
        Router.load(path)


def test_a_folder_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(RouterUnavailable):
        Router.load(tmp_path)


@pytest.mark.parametrize(
    "payload",
    [
        {"unrelated": 1},
        ["not", "a", "dict"],
        {"format": FORMAT_VERSION + 1, "pipeline": None, "metadata": {}},
    ],
)
def test_foreign_payload(tmp_path: Path, payload: object) -> None:
    path = tmp_path / "router.joblib"
    joblib.dump(payload, path)
    with pytest.raises(RouterUnavailable, match="not a router model"):
        Router.load(path)


def test_other_sklearn_version(seed_router: Router, tmp_path: Path) -> None:
    path = tmp_path / "router.joblib"
    metadata = {**seed_router.metadata, "sklearn_version": "1.0.2"}
    joblib.dump({"format": FORMAT_VERSION, "pipeline": seed_router.pipeline, "metadata": metadata}, path)
    with pytest.raises(RouterUnavailable, match="scikit-learn 1.0.2"):
        Router.load(path)


def test_unfitted_pipeline(seed_router: Router, tmp_path: Path) -> None:
    from community.routing import build_pipeline

    path = tmp_path / "router.joblib"
    joblib.dump({"format": FORMAT_VERSION, "pipeline": build_pipeline(), "metadata": seed_router.metadata}, path)
    with pytest.raises(RouterUnavailable, match="no fitted classifier"):
        Router.load(path)
