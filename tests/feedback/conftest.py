import pytest

from community.feedback import routing_service


class FakePrediction:
    def __init__(self, team, confidence, top3):
        self.team, self.confidence, self.top3 = team, confidence, top3


class FakeRouter:
    """Stands in for community.routing.model.Router: answers ``answer`` for every text."""

    version = "fake-1"

    def __init__(self, team="app_connectivity", confidence=0.91, top3=None):
        self.answer = FakePrediction(team, confidence, top3 or [(team, confidence), ("after_sales", 0.05),
                                                                 ("charging", 0.02)])

    def predict(self, texts):
        return [self.answer for _ in texts]


@pytest.fixture
def fake_router(monkeypatch):
    """Install a FakeRouter as the loaded model; returns it so a test can change its answer."""
    router = FakeRouter()
    monkeypatch.setattr(routing_service, "_load", lambda: router)
    return router
