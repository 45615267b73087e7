"""Schemathesis against the served OpenAPI document: no 5xx, responses match their schemas.

Cases are drawn per operation with Hypothesis directly (schemathesis' pytest plugin does not run
under this pytest), a bounded number each, with a write token so authenticated paths are reached.
"""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from community.api import tokens
from tests import factories as f

EXAMPLES = 10


@pytest.fixture
def write_token(app):
    user = f.owner()
    f.proposal(user)
    f.open_campaign()  # so that campaign reads, eligibility and pledges have something to find
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
