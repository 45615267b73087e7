"""The owner's journey script (examples/api_journey.py) runs end to end through the API."""
import importlib.util
from pathlib import Path

from community.campaigns.models import Pledge
from community.pledge import service as pledge


def _journey_module():
    path = Path(__file__).resolve().parents[2] / "examples" / "api_journey.py"
    spec = importlib.util.spec_from_file_location("api_journey", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_owner_journey_through_the_api_only(app):
    pledge.ensure_teams()
    lines = []
    summary = _journey_module().Journey(app, out=lines.append).run()
    assert summary["timeline"] == ["campaign_opened", "status_change", "commitment", "status_change"]
    # the two status changes, the commitment and the opening, on the proposal the owner wrote
    assert summary["unread"] >= 4
    assert any("/feedback" in line and "-> 201" in line for line in lines)
    assert any(f"/campaigns/{summary['campaign']}/pledges" in line and "-> 201" in line for line in lines)
    assert Pledge.query.filter_by(campaign_id=summary["campaign"], status="active").count() == 1
