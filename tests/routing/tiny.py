"""A tiny labelled set and router for tests that need a real model quickly (fits in ~0.1 s)."""
from __future__ import annotations

from community.routing.model import Router

TEXTS = {
    "charging": ["超充站充不上电", "充电桩坏了", "supercharger broken", "充电很慢", "charging station fault",
                 "充电桩被占位"],
    "app_connectivity": ["CarPlay 连接断开", "App 蓝牙钥匙失灵", "app cannot unlock the car", "车机卡顿",
                         "OTA 后 App 连不上车", "bluetooth key fails"],
    "vehicle_quality": ["后备箱进水", "地上有油渍漏油", "异响", "water leak in the boot", "天窗漏水",
                        "dashboard warning light"],
}


def pairs() -> list[tuple[str, str]]:
    return [(t, team) for team, ts in TEXTS.items() for t in ts]


def tiny_router(threshold: float = 0.0, extra: list[tuple[str, str]] | None = None) -> Router:
    data = pairs() + list(extra or [])
    return Router.train([t for t, _ in data], [y for _, y in data], threshold=threshold)


def install(app, router: Router | None = None, actor=None) -> str:
    """Save ``router`` (default: a tiny one) as a version under the app's models folder and activate it."""
    from community.feedback import router_versions
    from community.routing.versions import save_version, training_data_hash

    router = router or tiny_router()
    version = save_version(router, router_versions.models_root(), training_data_hash(pairs()))
    router_versions.activate(version, actor)
    return version
