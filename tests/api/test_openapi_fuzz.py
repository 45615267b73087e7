"""Schemathesis against the served OpenAPI document: no 5xx, responses match their schemas.

Cases are drawn per operation with Hypothesis directly (schemathesis' pytest plugin does not run
under this pytest), a bounded number each, with a write token so authenticated paths are reached.
"""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from community.announcements import service as announcements
from community.api import tokens
from community.entitlements import service as entitlements
from community.roadmap import service as roadmap
from tests import factories as f
from tests.shopper import factories as sf

EXAMPLES = 10


@pytest.fixture
def write_token(app):
    user = f.owner()
    proposal = f.proposal(user)
    f.open_campaign()  # so that campaign reads, eligibility and pledges have something to find
    # ... and the read-parity lists: a roadmap item, an announcement, an entitlement, a scored store
    mod = f.moderator()
    roadmap.create_item(mod, roadmap.ItemInput(title_en="Navigation", kind="ota", window="2026-Q1", models=["001"],
                                               proposal_ids=[proposal.id]))
    announcements.post_announcement(mod, announcements.AnnouncementInput(title_en="Yes", body_en="We will.",
                                                                         proposal_ids=[proposal.id]))
    kind = entitlements.create_kind(f.admin(), "charging", "充电", "Charging", "kwh", "owner")
    entitlements.grant(mod, kind, "100", "purchase", user=user)
    sales, _care = sf.items()
    sf.submitted(sf.shopper(), sf.store(), {sales.id: (4, "fine")})
    _, secret = tokens.create_token(user, "fuzz", "write", None)
    return secret


def test_api_never_errors_and_matches_its_schema(app, write_token):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    labels = []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)

        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {write_token}"},
                                   checks=[not_a_server_error, response_schema_conformance])

        check()
    assert "POST /api/v1/proposals/{proposal_id}/vote" in labels
    assert "POST /api/v1/campaigns/{campaign_id}/pledges" in labels
