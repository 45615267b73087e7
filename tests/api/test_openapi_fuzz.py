"""Schemathesis with all its checks, for every operation, as an owner and as a moderator (issue 14).

Cases are drawn per operation with Hypothesis directly (schemathesis' pytest plugin does not run under this
pytest), in-process against the WSGI app: EXAMPLES schema-valid cases (``positive``: each must be accepted,
answered as documented, in the documented shape) and EXAMPLES schema-invalid ones (``negative``: each must be
refused), derandomized so a run is the same on every machine.

What JSON Schema cannot say, a client does as the document describes it, and so does this test:
- a VIN's ISO 3779 check digit: the document names the format ``vin``; registered here as a strategy that
  writes the check digit (the server stays strict: the contract tests send wrong ones);
- dates written in the years 2000-2099 (``pattern`` beside ``format``): generated in those years, so that
  Hypothesis does not draw any date-time and throw away all but 1 in 10,000 (it gave up: the flaky run);
- an ``Idempotency-Key`` is a new one per request (a reused key with another request is a 422 by design);
- a ``cursor`` is the ``next_cursor`` the same list gave (any other is a 422 by design);
- a feedback's ``vehicle_id`` is one of the caller's cars (another one is a 422: it is not theirs).
Only schema-valid cases are adjusted; a negative case is sent as generated, without the token when it is the
case that leaves the required token out.

Operations that need a caller declare ``security: bearer`` (the document's default, bearer or nothing, is for the
public reads), so ``ignored_auth`` probes each of them without the token and with a wrong one.
"""
import itertools
import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import schemathesis
from flask import g
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import ComponentInfo
from schemathesis.specs.openapi.formats import unregister_string_format

from community.accounts.vehicles import with_check_digit
from community.announcements import service as announcements
from community.api import tokens
from community.api.schemas import VIN_FORMAT
from community.entitlements import service as entitlements
from community.roadmap import service as roadmap
from tests import factories as f
from tests.shopper import factories as sf

EXAMPLES = 8
VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
CURSOR = re.compile(r"[A-Za-z0-9_-]{1,512}")
keys = itertools.count()
GOOD = ComponentInfo(mode=GenerationMode.POSITIVE)


@pytest.fixture
def world(app):
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
    callers = {}
    for role, who in (("owner", user), ("moderator", mod)):
        _, secret = tokens.create_token(who, f"fuzz-{role}", "write", None)
        callers[role] = {"headers": {"Authorization": f"Bearer {secret}"},
                         "vehicle_id": who.vehicles[0].id if who.vehicles else None}
    return callers


@pytest.fixture
def formats():
    """String formats the document uses that Hypothesis cannot draw well by itself (see the module's text)."""
    vins = st.text(VIN_ALPHABET, min_size=17, max_size=17).map(with_check_digit)
    vins = st.tuples(vins, st.booleans()).map(lambda v: v[0].lower() if v[1] else v[0])
    days = st.dates(date(2000, 1, 1), date(2099, 12, 31))
    zones = st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))])
    instants = st.datetimes(datetime(2000, 1, 2), datetime(2099, 12, 30), timezones=zones)
    registered = {VIN_FORMAT: vins, "date": days.map(date.isoformat), "date-time": instants.map(datetime.isoformat)}
    for name, strategy in registered.items():
        schemathesis.openapi.format(name, strategy)
    yield
    for name in registered:
        unregister_string_format(name)


def _isolated(app):
    """The app as WSGI, each call with a fresh ``g`` as in production (tests.conftest.IsolatedClient does the
    same for the test client): the open app context would carry one call's authenticated caller into the next,
    and schemathesis' ignored_auth probes (the same request without the token) would be answered as that caller."""

    def wsgi(environ, start_response):
        saved = dict(g.__dict__)
        g.__dict__.clear()
        try:
            return app(environ, start_response)
        finally:
            g.__dict__.clear()
            g.__dict__.update(saved)

    return wsgi


def _negatable(spec: dict, path: str, method: str) -> bool:
    """Whether anything in the operation can be made invalid: a body, or a parameter other than a plain string
    header (any string is a valid If-None-Match), so that negative cases exist at all."""
    op = spec["paths"][path][method.lower()]
    params = [*spec["paths"][path].get("parameters", []), *op.get("parameters", [])]
    params = [spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p for p in params]
    return "requestBody" in op or any(p["in"] != "header" or p["schema"] != {"type": "string"} for p in params)


def _as_a_client_would(case, client, caller: dict) -> None:
    """Fill in, in a schema-valid case, what a client takes from the server or makes up fresh (module text)."""
    if case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = f"fuzz-{next(keys)}"
    cursor = (case.query or {}).get("cursor")
    if isinstance(cursor, str) and CURSOR.fullmatch(cursor):
        first = {k: v for k, v in case.query.items() if k != "cursor"} | {"limit": 1}
        page = client.get(case.formatted_path, query_string=first, headers=caller["headers"])
        given = page.json.get("next_cursor") if page.status_code == 200 else None
        if given:
            case.query["cursor"] = given
        else:
            del case.query["cursor"]
    if case.operation.label == "POST /api/v1/feedback" and isinstance(case.body, dict) \
            and case.body.get("vehicle_id") is not None:
        case.body["vehicle_id"] = caller["vehicle_id"]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("role", ["owner", "moderator"])
def test_every_operation_passes_every_check(app, client, world, formats, role, mode):
    caller = world[role]
    spec = client.get("/api/v1/openapi.json").json
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _isolated(app))
    labels = []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)
        if mode == GenerationMode.NEGATIVE and not _negatable(spec, operation.path, operation.method):
            continue

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case):
            if mode == GenerationMode.POSITIVE:
                _as_a_client_would(case, client, caller)
            # A negative case whose headers were made invalid and carry no Authorization may be the one without
            # the required token: sent as generated (no token put back), it must be refused (401).
            headers = caller["headers"]
            if mode == GenerationMode.NEGATIVE and case.meta is not None \
                    and case.meta.components.get(ParameterLocation.HEADER, GOOD).mode == GenerationMode.NEGATIVE \
                    and "authorization" not in {k.lower() for k in (case.headers or {})}:
                headers = {}
            case.call_and_validate(headers=headers)  # every check schemathesis has, none excluded

        check()
    assert len(labels) >= 70
    assert spec["paths"]["/api/v1/proposals/{proposal_id}/vote"]["post"]["security"] == [{"bearer": []}]
    assert "security" not in spec["paths"]["/api/v1/proposals"]["get"]  # public: bearer or nothing
    assert "POST /api/v1/proposals/{proposal_id}/vote" in labels
    assert "POST /api/v1/campaigns/{campaign_id}/pledges" in labels
