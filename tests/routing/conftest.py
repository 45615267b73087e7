"""Shared fixtures: the seed corpus split and a router trained on its 80% (fitted once per run)."""

from __future__ import annotations

import pytest

from community.routing import Router
from community.routing.corpus import SeedRow, load_seed, split_seed


@pytest.fixture(scope="session")
def seed_split() -> tuple[list[SeedRow], list[SeedRow]]:
    return split_seed(load_seed())


@pytest.fixture(scope="session")
def seed_router(seed_split: tuple[list[SeedRow], list[SeedRow]]) -> Router:
    """Trained on the training 80% only, so held-out rows are unseen. Do not mutate: it is shared."""
    train, _ = seed_split
    return Router.train([r.text for r in train], [r.team for r in train])
