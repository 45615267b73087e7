"""Schemathesis against the served OpenAPI document: no 5xx, responses match their schemas."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from community.api import tokens
from tests import factories as f


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def write_token(app):
    user = f.owner()
    f.proposal(user)
    _, secret = tokens.create_token(user, "fuzz", "write", None)
    return secret


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_errors_and_matches_its_schema(case, write_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {write_token}"},
                           checks=[not_a_server_error, response_schema_conformance])
