"""Security matrix over every endpoint of every service's OpenAPI document:
no token -> 401; a caller from another branch never gets data (404/403, never 2xx);
roles docs/contract.md does not list -> 403 (or 404 when they cannot see the object);
and no combination of caller and endpoint produces a 5xx."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from crm_shared.plugins import discover
from tests.e2e.conftest import open_floor
from tests.support.runtime import bearer, isolated_settings, running

OPS = {"/healthz", "/readyz", "/metrics", "/asyncapi", "/asyncapi.json"}
PUBLIC = {  # reachable without a token by design
    ("GET", "/v1/opt-outs/unsubscribe"), ("POST", "/v1/opt-outs/unsubscribe"),  # signed link in the message
    ("POST", "/v1/providers/{name}/receipts"),  # provider callbacks, authenticated by provider signature
}
ROLES = ("admin", "manager", "consultant", "reception", "partner", "integrator")
STAFF = {"consultant", "reception", "manager", "admin"}

# Roles that docs/contract.md's "who" column leaves out, endpoint by endpoint.
FORBIDDEN: dict[tuple[str, str], set[str]] = {
    ("POST", "/v1/branches"): set(ROLES) - {"admin"},
    ("POST", "/v1/staff"): {"consultant", "reception", "partner", "integrator"},
    ("POST", "/v1/staff/{staff_id}/leave"): {"consultant", "reception", "partner", "integrator"},
    ("POST", "/v1/leads"): {"partner", "integrator"},
    ("POST", "/v1/leads/import"): {"partner", "integrator"},
    ("GET", "/v1/leads"): {"partner"},
    ("GET", "/v1/leads/{lead_id}"): {"partner"},
    ("PATCH", "/v1/leads/{lead_id}"): {"reception", "partner", "integrator"},
    ("POST", "/v1/leads/{lead_id}/follow-ups"): {"reception", "partner", "integrator"},
    ("GET", "/v1/leads/{lead_id}/follow-ups"): {"partner"},
    ("POST", "/v1/leads/{lead_id}/close"): {"reception", "partner", "integrator"},
    ("POST", "/v1/leads/{lead_id}/assign"): {"consultant", "reception", "partner", "integrator"},
    ("POST", "/v1/leads/{lead_id}/release"): {"reception", "partner", "integrator"},
    ("POST", "/v1/leads/{lead_id}/claim"): {"reception", "partner", "integrator"},
    ("GET", "/v1/leads/{lead_id}/phone"): {"partner", "integrator"},
    ("GET", "/v1/audit"): {"consultant", "reception", "partner", "integrator"},
    ("POST", "/v1/channel-reports"): {"consultant", "reception", "integrator"},
    ("POST", "/v1/attribution-disputes"): {"consultant", "reception", "integrator"},
    ("POST", "/v1/attribution-disputes/{dispute_id}/decision"): {"consultant", "reception", "partner", "integrator"},
    ("POST", "/v1/messages"): {"consultant", "reception", "partner"},
    ("PUT", "/v1/templates/{key}"): {"consultant", "reception", "partner", "integrator"},
    ("GET", "/v1/templates"): {"consultant", "reception", "partner", "integrator"},
    ("POST", "/v1/campaigns"): {"consultant", "reception", "partner", "integrator"},
    ("POST", "/v1/appointments"): {"partner", "integrator"},
    ("PATCH", "/v1/appointments/{appointment_id}"): {"partner", "integrator"},
    ("POST", "/v1/appointments/{appointment_id}/cancel"): {"partner", "integrator"},
    ("POST", "/v1/appointments/{appointment_id}/no-show"): {"partner", "integrator"},
    ("GET", "/v1/appointments"): {"partner"},
    ("POST", "/v1/visits"): {"partner", "integrator"},
    ("POST", "/v1/visits/{visit_id}/end"): {"partner", "integrator"},
    ("GET", "/v1/rotation/{branch_id}"): {"partner"},
    ("POST", "/v1/rotation/{branch_id}/join"): {"partner", "integrator"},
    ("POST", "/v1/rotation/{branch_id}/leave"): {"partner", "integrator"},
    ("POST", "/v1/receptions"): {"reception", "partner", "integrator"},
    ("POST", "/v1/receptions/{reception_id}/approve"): {"consultant", "reception", "partner", "integrator"},
    ("POST", "/v1/receptions/{reception_id}/reject"): {"consultant", "reception", "partner", "integrator"},
    ("POST", "/v1/reports/rebuild"): set(ROLES) - {"admin"},
}
for _name in ("daily-traffic", "funnel", "grades", "follow-up-compliance", "lost-reasons", "partners", "receptions"):
    FORBIDDEN[("GET", f"/v1/reports/{_name}")] = {"partner"}


@pytest.fixture(scope="module")
async def world(urls):
    """One branch with one of everything, and the ids to put in paths."""
    settings = isolated_settings(*urls)
    async with running(discover("all"), settings) as (app, client):
        floor = await open_floor(client, settings)
        b, s = floor.branch, floor.staff
        lead = await floor.call("POST", "/v1/leads", "consultant", s["consultant1"], json={
            "branch_id": b, "customer": {"name": "矩阵客户", "phone": "13811112222"}, "source": {"channel": "phone"}})
        report = await floor.call("POST", "/v1/channel-reports", "partner", "agency-1",
                                  json={"branch_id": b, "customer_name": "报备客户", "phone": "137****3333"})
        dispute = await floor.call("POST", "/v1/attribution-disputes", "partner", "agency-1",
                                   json={"report_id": report["id"], "claim": "我方先报备"})
        start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
        appointment = await floor.call_once_known("POST", "/v1/appointments", "consultant", s["consultant1"], json={
            "branch_id": b, "consultant_id": s["consultant1"], "customer": {"name": "矩阵客户", "phone": "13811112222"},
            "kind": "showing", "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat(), "party_size": 1})
        arrive = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0)
        reception = await floor.call("POST", "/v1/receptions", "consultant", s["consultant1"], json={
            "branch_id": b, "class": "C", "guests": [{"name": "客人"}], "arrive_at": arrive.isoformat(),
            "leave_at": (arrive + timedelta(hours=2)).isoformat(), "purpose": "洽谈"})
        message = await floor.call("POST", "/v1/messages", "manager", s["manager"], json={
            "branch_id": b, "channel": "sms", "to": "13811112222", "body": "您好", "category": "transactional"})
        ids = {"lead_id": lead["id"], "report_id": report["id"], "dispute_id": dispute["id"],
               "appointment_id": appointment["id"], "reception_id": reception["id"], "message_id": message["id"],
               "staff_id": s["consultant2"], "branch_id": b, "key": "appointment.confirmation", "name": "console",
               "visit_id": "none-yet"}
        yield client, settings, floor, ids, app.openapi()


def operations(spec: dict):
    for path, ops in spec["paths"].items():
        if path in OPS:
            continue
        for method, op in ops.items():
            yield method.upper(), path, op


def request_for(method: str, path: str, op: dict, ids: dict) -> dict:
    url = re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "x"), path)
    params = {}
    for p in op.get("parameters", []):
        if p["in"] != "query":
            continue
        name = p["name"]
        if name == "branch_id":
            params[name] = ids["branch_id"]
        elif name in ("from",):
            params[name] = (date.today() - timedelta(days=7)).isoformat()
        elif name in ("to",):
            params[name] = (date.today() + timedelta(days=1)).isoformat()
        elif name == "date" and p.get("required"):
            params[name] = date.today().isoformat()
        elif name == "consultant_id" and p.get("required"):
            params[name] = ids["staff_id"]
        elif name == "token" and p.get("required"):
            params[name] = "not-a-token"
    body = {"json": {"branch_id": ids["branch_id"]}} if "requestBody" in op else {}
    return {"method": method, "url": url, "params": params, **body}


async def test_every_endpoint_demands_a_token(world):
    client, _, _, ids, spec = world
    missing = []
    for method, path, op in operations(spec):
        if (method, path) in PUBLIC:
            continue
        r = await client.request(**request_for(method, path, op, ids))
        if r.status_code != 401 or not r.headers["content-type"].startswith("application/problem+json"):
            missing.append((method, path, r.status_code))
    assert not missing, "\n".join(map(str, missing))


@pytest.mark.parametrize("role", ROLES)
async def test_another_branch_never_sees_or_changes_anything(world, role):
    client, settings, _, ids, spec = world
    outsider = bearer(settings, role, ["elsewhere"], f"{role}-outsider")
    leaks = []
    for method, path, op in operations(spec):
        if (method, path) in PUBLIC:
            continue
        r = await client.request(**request_for(method, path, op, ids), headers=outsider)
        if method == "GET" and r.status_code == 200 and r.json().get("items") == []:
            continue  # a list scoped to the caller's own branches (GET /v1/branches): empty is no leak
        if r.status_code < 300 or r.status_code >= 500:
            leaks.append((method, path, r.status_code, r.text[:120]))
    assert not leaks, "\n".join(map(str, leaks))


@pytest.mark.parametrize("role", ROLES)
async def test_roles_outside_the_contract_are_refused(world, role):
    client, settings, floor, ids, spec = world
    caller = bearer(settings, role, [floor.branch], floor.staff.get(role, f"{role}-1"))
    wrong = []
    for method, path, op in operations(spec):
        if role not in FORBIDDEN.get((method, path), set()):
            continue
        r = await client.request(**request_for(method, path, op, ids), headers=caller)
        allowed = {403, 404, 422}  # 422: our generated parameters may fail validation first; still no data
        if r.status_code not in allowed:
            wrong.append((method, path, r.status_code, r.text[:120]))
    assert not wrong, "\n".join(map(str, wrong))


@pytest.mark.parametrize("role", ROLES)
async def test_no_caller_gets_a_5xx_anywhere(world, role):
    client, settings, floor, ids, spec = world
    caller = bearer(settings, role, [floor.branch], floor.staff.get(role, f"{role}-1"))
    errors = []
    for method, path, op in operations(spec):
        req = request_for(method, path, op, ids)
        for variant in (req, {**req, "json": {}}, {**req, "params": {}}):
            r = await client.request(**variant, headers=caller)
            if r.status_code >= 500:
                errors.append((method, path, r.status_code, r.text[:200]))
    assert not errors, "\n".join(map(str, errors))
