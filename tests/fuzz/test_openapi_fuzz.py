"""Schemathesis against the all-in-one OpenAPI document (every service's operations):
generated requests, valid and invalid, as an admin and as a consultant — zero 5xx and
every documented response body matches its schema. Derandomized: the same requests every run
(hostile inputs beyond the schemas are in test_hostile_inputs.py)."""

from __future__ import annotations


import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings as hsettings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.support.runtime import bearer, isolated_settings, served

BRANCH = "fz-openapi"


@pytest.fixture(scope="module")
def server(urls):
    settings = isolated_settings(*urls)
    with served(settings) as base:
        admin = bearer(settings, "admin", ["*"], "fz-admin")
        httpx.post(f"{base}/v1/branches", json={"id": BRANCH, "name": "fuzz"}, headers=admin)
        yield base, settings


def test_no_5xx_and_documented_shapes(server):
    base, settings = server
    api = schemathesis.openapi.from_url(f"{base}/openapi.json")
    callers = {role: bearer(settings, role, ["*"] if role == "admin" else [BRANCH], f"fz-{role}")
               for role in ("admin", "consultant")}
    failures, operations = [], 0
    for result in api.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @hsettings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                   derandomize=True)
        def exercise(case):
            for headers in callers.values():
                case.call_and_validate(base_url=base, headers=headers, timeout=30,
                                       checks=[not_a_server_error, response_schema_conformance])

        try:
            exercise()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure, report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    assert operations > 60
    assert not failures, "\n\n".join(failures)


def test_regressions_found_by_fuzzing(server):
    """500s schemathesis found once: a non-ASCII unsubscribe token, an offset on a local time."""
    base, settings = server
    r = httpx.get(f"{base}/v1/opt-outs/unsubscribe", params={"token": "é.é"})
    assert r.status_code in (400, 404, 422), r.text
    r = httpx.get(f"{base}/v1/appointments/availability", headers=bearer(settings, "manager", [BRANCH], "m"),
                  params={"branch_id": BRANCH, "consultant_id": "c1", "date": "2026-12-01", "closes": "18:00:00Z"})
    assert r.status_code == 422, r.text
