"""The security matrix (issue 14): every operation of the all-in-one OpenAPI document x every role x
every target, against the answer written down below.

Targets (see `world.py`): `own` -- the caller's own object (or, for a list or a create, its own
branch); `other` -- the same kind of object in the same branch, owned by someone else (consultant
c2, partner-2); `foreign` -- an object of, or the id of, another branch.

Rules the table follows (docs/contract.md "Auth"):
- another branch's object or id is 404 for every role, never 403 and never data; 403 there only
  where a role is refused the whole endpoint before any object or branch is read (a create that
  names its branch in the body, `POST /v1/branches`);
- a role that may not use an endpoint gets 403 in its own branch;
- partners see only their own channel reports and disputes (another partner's: 404) and nothing
  of the office's floor; integrators read the floor but never leads, and no customer's full number
  anywhere (issue 19: the audited reveals are refused to them; tests/security/test_full_numbers.py);
- a consultant changes only the appointments it owns (another's: 403, it still reads the shared
  calendar) and sees only its own leads and the pool (another consultant's lead: 404, like
  another branch's -- 撞单 prevention, issue 15).

Body references and list filters aimed at other branches are in `test_scope.py`; what each role
sees of personal data field by field in `test_personal_data.py`.

Each (operation, role, target) is one test: never a 5xx, the status class the table says, a
problem+json `forbidden`/`not-found` for refusals, and no answer that carries another branch's
ids or customers (nor, for a partner, another partner's objects or the floor), nor a full phone
number a partner or integrator may not see.
"""

from __future__ import annotations

import time

import jwt
import pytest

from crm_shared.app import create_app
from crm_shared.config import Settings
from crm_shared.plugins import discover
from tests.security.world import EXTRA_TABLES, FLOOR_KINDS, PUBLIC, ROLES, Case, full_numbers, operations, targets_of

# Cells: the expected status class per target, comma-separated, in the order own, other, foreign
# (operations that name only a branch: own, foreign; naming neither: own). Omitted: `other` is as
# `own`, `foreign` is 404. Classes: 2xx, 403, 404, 409.
TABLE = """
# method path                                            admin   manager  consultant  reception  finance  partner   integrator
# -- leads: branches and staff
POST   /v1/branches                                     2xx      403,403  403,403  403,403  403,403  403,403  403,403
GET    /v1/branches                                     2xx      2xx      2xx      2xx      2xx      2xx      2xx
GET    /v1/branches/{branch_id}                         2xx      2xx      2xx      2xx      2xx      2xx      2xx
POST   /v1/staff                                        2xx      2xx      403      403      403      403      403
GET    /v1/staff                                        2xx      2xx      2xx      2xx      2xx      403      2xx
GET    /v1/staff/{staff_id}                             2xx      2xx      2xx      2xx      2xx      403      2xx
PATCH  /v1/staff/{staff_id}                             2xx      2xx      403      403      403      403      403
POST   /v1/staff/{staff_id}/leave                       2xx      2xx      403      403      403      403      403
# -- leads
POST   /v1/leads                                        2xx      2xx      2xx      2xx      403      403      403
POST   /v1/leads/import                                 2xx      2xx      403      2xx      403      403      403
GET    /v1/leads/import                                 2xx      2xx      403      2xx      403      403      403
GET    /v1/leads/import/{job_id}                        2xx      2xx      403      2xx,404  403      403      403
GET    /v1/leads/import/{job_id}/rows                   2xx      2xx      403      2xx,404  403      403      403
GET    /v1/leads                                        2xx      2xx      2xx      2xx      403      403      403
GET    /v1/leads/{lead_id}                              2xx      2xx      2xx,404  2xx      403      403      403
PATCH  /v1/leads/{lead_id}                              2xx      2xx      2xx,404  403      403      403      403
POST   /v1/leads/{lead_id}/follow-ups                   2xx      2xx      2xx,404  403      403      403      403
GET    /v1/leads/{lead_id}/follow-ups                   2xx      2xx      2xx,404  2xx      403      403      403
POST   /v1/leads/{lead_id}/close                        2xx      2xx      2xx,404  403      403      403      403
POST   /v1/leads/{lead_id}/assign                       2xx      2xx      403,404  403      403      403      403
POST   /v1/leads/assign                                 2xx      2xx      403      403      403      403      403
POST   /v1/leads/{lead_id}/release                      2xx      2xx      2xx,404  403      403      403      403
POST   /v1/leads/{lead_id}/claim                        403      403      2xx,404  403      403      403      403
GET    /v1/pool/quota                                   2xx      2xx      2xx,403  403      403      403      403
GET    /v1/leads/{lead_id}/phone                        2xx      2xx      2xx,404  2xx      403      403      403
GET    /v1/audit                                        2xx      2xx      403      403      403      403      403
# -- leads: channel reports (渠道报备) and attribution disputes
POST   /v1/channel-reports                              403      403      403      403      403      2xx      403
GET    /v1/channel-reports                              2xx      2xx      403      403      403      2xx      403
GET    /v1/channel-reports/{report_id}                  2xx      2xx      403      403      403      2xx,404  403
GET    /v1/channel-reports/match                        2xx      2xx      403      2xx      403      403      403
POST   /v1/channel-reports/{report_id}/follow-ups       403      403      403      403      403      2xx,404  403
GET    /v1/channel-reports/{report_id}/follow-ups       2xx      2xx      403      403      403      2xx,404  403
POST   /v1/channel-reports/{report_id}/renew            403      403      403      403      403      409,404  403
POST   /v1/attribution-disputes                         2xx      2xx      403      403      403      2xx,404  403
GET    /v1/attribution-disputes                         2xx      2xx      403      403      403      2xx      403
GET    /v1/attribution-disputes/{dispute_id}            2xx      2xx      403      403      403      2xx,404  403
POST   /v1/attribution-disputes/{dispute_id}/decision   2xx      2xx      403      403      403      403      403
# -- leads: partner accounts (渠道账号) and referrers (全民营销)
POST   /v1/partners                                     2xx      2xx      403      403      403      403      403
GET    /v1/partners                                     2xx      2xx      2xx      2xx      2xx      2xx      403
GET    /v1/partners/{partner_id}                        2xx      2xx      2xx      2xx      2xx      2xx,404  403
POST   /v1/partners/{partner_id}/arrivals               2xx      2xx      403      2xx      403      403,404  403
POST   /v1/referrers                                    2xx      2xx      403      403      403      403      403
GET    /v1/referrers                                    2xx      2xx      2xx      2xx      2xx      403      403
GET    /v1/referrers/{referrer_id}                      2xx      2xx      2xx      2xx      2xx      403      403
GET    /v1/referrers/{referrer_id}/phone                2xx      2xx      403      403      2xx      403      403
# -- notify
POST   /v1/messages                                     2xx      2xx      403      403      403      403      2xx
GET    /v1/messages                                     2xx      2xx      2xx      2xx      403      403      2xx
GET    /v1/messages/{message_id}                        2xx      2xx      2xx      2xx      403      403      2xx
POST   /v1/messages/{message_id}/cancel                 2xx      2xx      403      403      403      403      2xx
GET    /v1/messages/{message_id}/recipient              2xx      2xx      403      403      403      403      403
GET    /v1/messages/audit                               2xx      2xx      403      403      403      403      403
PUT    /v1/templates/{key}                              2xx      2xx      403      403      403      403      403
GET    /v1/templates                                    2xx      2xx      403      403      403      403      403
POST   /v1/opt-outs                                     2xx      2xx      2xx      2xx      2xx      403      2xx
GET    /v1/opt-outs                                     2xx      2xx      2xx      2xx      2xx      403      2xx
DELETE /v1/opt-outs                                     2xx      2xx      403      403      403      403      2xx
POST   /v1/contacts                                     2xx      2xx      403      403      403      403      2xx
POST   /v1/campaigns                                    2xx      2xx      403      403      403      403      403
# -- reception: appointments, walk-ins, rotation (the office's floor: never partners)
POST   /v1/appointments                                 2xx      2xx      2xx      2xx      403,403      403,403  403,403
GET    /v1/appointments                                 2xx      2xx      2xx      2xx      403      403      2xx
GET    /v1/appointments/availability                    2xx      2xx      2xx      2xx      403      403      2xx
GET    /v1/appointments/{appointment_id}                2xx      2xx      2xx      2xx      403      403      2xx
PATCH  /v1/appointments/{appointment_id}                2xx      2xx      2xx,403  2xx      403      403      403
POST   /v1/appointments/{appointment_id}/cancel         2xx      2xx      2xx,403  2xx      403      403      403
POST   /v1/appointments/{appointment_id}/no-show        2xx      2xx      2xx,403  2xx      403      403      403
GET    /v1/appointments/{appointment_id}/contact        2xx      2xx      2xx,403  2xx      403      403      403
GET    /v1/appointments/audit                           2xx      2xx      403      403      403      403      403
POST   /v1/visits                                       2xx      2xx      403,403  2xx      403,403      403,403  403,403
GET    /v1/visits                                       2xx      2xx      2xx      2xx      403      403      2xx
GET    /v1/visits/{visit_id}                            2xx      2xx      2xx      2xx      403      403      2xx
POST   /v1/visits/{visit_id}/end                        2xx      2xx      2xx,403  2xx      403      403      403
POST   /v1/visits/{visit_id}/assign                     2xx      2xx      403      2xx      403      403      403
GET    /v1/visits/{visit_id}/phone                      2xx      2xx      2xx,403  2xx      403      403      403
GET    /v1/visits/audit                                 2xx      2xx      403      403      403      403      403
GET    /v1/rotation/{branch_id}                         2xx      2xx      2xx      2xx      403      403      2xx
POST   /v1/rotation/{branch_id}/join                    2xx      2xx      2xx,403  2xx      403      403      403
POST   /v1/rotation/{branch_id}/leave                   2xx      2xx      2xx,403  2xx      403      403      403
# -- reception: business receptions (接待)
POST   /v1/receptions                                   2xx      2xx      2xx      403,403  403,403      403,403  403,403
GET    /v1/receptions                                   2xx      2xx      2xx      2xx      403      403      2xx
GET    /v1/receptions/{reception_id}                    2xx      2xx      2xx      2xx      403      403      2xx
POST   /v1/receptions/{reception_id}/approve            2xx      2xx      403      403      403      403      403
POST   /v1/receptions/{reception_id}/reject             2xx      2xx      403      403      403      403      403
POST   /v1/receptions/{reception_id}/feedback           2xx      2xx      2xx,403  403      403      403      403
# -- reports: admin, manager, integrator (the admin here holds one branch: a rebuild needs all of them)
GET    /v1/reports/daily-traffic                        2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/daily-traffic/chart.png              2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/daily-traffic/chart.svg              2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/funnel                               2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/funnel/chart.png                     2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/funnel/chart.svg                     2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/grades                               2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/grades/chart.png                     2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/grades/chart.svg                     2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/follow-up-compliance                 2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/follow-up-compliance/chart.png       2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/follow-up-compliance/chart.svg       2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/lost-reasons                         2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/lost-reasons/chart.png               2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/lost-reasons/chart.svg               2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/partners                             2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/partners/chart.png                   2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/partners/chart.svg                   2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/receptions                           2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/receptions/chart.png                 2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/receptions/chart.svg                 2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/boards/weekly                        2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/boards/monthly                       2xx      2xx      403      403      403      403      2xx
GET    /v1/reports/rebuild                              403      403      403      403      403      403      403
POST   /v1/reports/rebuild                              403      403      403      403      403      403      403
"""
CLASSES = {"2xx", "403", "404", "409"}
REFUSED = {"403", "404"}

# Real findings, written with the correct expectation above and expected to fail until the
# service is fixed: (method, path, role, target) -> what is wrong.
FINDINGS: dict[tuple[str, str, str, str], str] = {}



def _spec() -> dict:
    return create_app(discover("all"), Settings(environment="test")).openapi()


SPEC = _spec()
SPEC_OPS = operations(SPEC)


def parse(table: str) -> dict[tuple[str, str], dict[str, dict[str, str]]]:
    """{(METHOD, path): {role: {target: class}}}, with the omitted targets filled in."""
    decisions = {}
    for line in table.strip().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        method, path, *cells = line.split()
        assert len(cells) == len(ROLES), f"{method} {path}: one cell per role ({', '.join(ROLES)})"
        op = (method, path)
        targets = targets_of(SPEC, op) if path in SPEC["paths"] else ("own", "other", "foreign")
        row = {}
        for role, cell in zip(ROLES, cells):
            tokens = cell.split(",")
            assert set(tokens) <= CLASSES and len(tokens) <= len(targets), f"{method} {path} {role}: bad cell {cell!r}"
            full = dict(zip(targets, tokens))
            if "other" in targets:
                full.setdefault("other", tokens[0])
            if "foreign" in targets:
                full.setdefault("foreign", "404")
            row[role] = full
        assert op not in decisions, f"{method} {path} is in the table twice"
        decisions[op] = row
    return decisions


DECISIONS = parse("\n".join((TABLE, *EXTRA_TABLES)))


def _cases():
    for op in sorted(set(SPEC_OPS) | set(DECISIONS), key=lambda o: (o[1], o[0])):
        targets = targets_of(SPEC, op) if op in SPEC_OPS else ("own",)
        for role in ROLES:
            for target in targets:
                marks = []
                if (reason := FINDINGS.get((*op, role, target))) is not None:
                    marks.append(pytest.mark.xfail(strict=True, reason=reason))
                yield pytest.param(op, role, target, id=f"{op[0]} {op[1]} | {role} | {target}", marks=marks)


def test_every_operation_has_a_decision():
    missing = [f"{m:6} {p}" for m, p in SPEC_OPS if (m, p) not in DECISIONS]
    gone = [f"{m:6} {p}" for m, p in DECISIONS if (m, p) not in SPEC_OPS]
    assert not missing, ("operations without a decision -- add a line for each to TABLE in "
                         "tests/security/test_matrix.py (and a request body to BODIES in tests/security/world.py "
                         "if it takes one):\n" + "\n".join(missing))
    assert not gone, "TABLE names operations the OpenAPI document no longer has:\n" + "\n".join(gone)
    assert not set(DECISIONS) & PUBLIC, "public operations are not in the matrix"
    assert len(SPEC_OPS) >= 80


def test_the_table_keeps_other_branches_out():
    """Another branch is 404, or 403 where the role is refused the whole endpoint (the same 403 as at home)."""
    wrong = []
    for (method, path), row in DECISIONS.items():
        for role, cells in row.items():
            foreign = cells.get("foreign")
            if foreign is None or foreign == "404" or (foreign == "403" and cells["own"] == "403"):
                continue
            wrong.append(f"{method} {path} {role}: foreign {foreign}")
    assert not wrong, "\n".join(wrong)


def _matches(status: int, expected: str) -> bool:
    return 200 <= status < 300 if expected == "2xx" else str(status) == expected


def _problem_kind(r) -> str:
    try:
        return str(r.json().get("type", "")).rsplit("/", 1)[-1]
    except ValueError:
        return ""


@pytest.mark.parametrize(("op", "role", "target"), list(_cases()))
async def test_matrix(system, op, role, target):
    row = DECISIONS.get(op)
    if row is None:
        pytest.fail(f"{op[0]} {op[1]} has no decision: add its line to TABLE in tests/security/test_matrix.py")
    expected = row[role][target]
    world = system.world
    case = Case(world, system.spec, op, role, target, fresh=op[0] != "GET" and expected not in REFUSED)
    call = await case.call()
    r = await system.client.request(call.method, call.path, headers=world.as_(role, call.sub), **call.kwargs())
    said = f"{call.method} {call.path} as {role} ({target}): {r.status_code} {r.text[:300]}"
    assert r.status_code < 500, said
    assert _matches(r.status_code, expected), f"expected {expected}; {said}"
    if r.status_code in (403, 404):
        assert r.headers["content-type"].startswith("application/problem+json"), said
        assert _problem_kind(r) == {403: "forbidden", 404: "not-found"}[r.status_code], said

    text = r.text
    leaked = {m for m in world.foreign_markers(world.a) if m in text and m not in call.text()}
    assert not leaked, f"another branch's data in the answer {sorted(leaked)}; {said}"
    if role == "partner":
        floor = {i for kind in ("lead", "pool_lead", "appointment", "visit", "reception", "message", "import", "referrer",
                              *FLOOR_KINDS) for i in world.a.objects.get(kind, {}).values()} | set(world.a.staff.values())
        rival = {world.a.objects["report"]["p2"], world.a.objects["dispute"]["p2"], world.a.partners["p2"]}
        seen = {m for m in floor | rival if m in text and m not in call.text()}
        assert not seen, f"a partner sees the office's floor or another partner's objects {sorted(seen)}; {said}"
    if role in ("partner", "integrator"):
        shown = full_numbers(text) - full_numbers(call.text())
        if role == "partner":
            shown -= {world.a.partner_phones[world.a.partners["p1"]]}  # its own contact number
        if role == "integrator":
            shown -= set(world.a.staff_phones.values())  # work contacts: `GET /v1/staff` is open to integrators
        assert not shown, f"full numbers shown to a {role}: {sorted(shown)}; {said}"


async def test_every_operation_demands_a_token(system):
    """No token, a malformed, expired, forged or loose one (issue 14 D11): 401 problem+json everywhere but the
    public paths."""
    world = system.world
    expired = jwt.encode({"sub": "x", "role": "admin", "branches": ["*"], "exp": int(time.time()) - 10},
                         system.settings.jwt_secret, algorithm=system.settings.jwt_algorithm)
    loose = [jwt.encode(claims, system.settings.jwt_secret, algorithm=system.settings.jwt_algorithm) for claims in (
        {"sub": "", "role": "admin", "branches": ["*"], "exp": int(time.time()) + 60},  # D11: an empty subject
        {"sub": "x", "role": "admin", "branches": ["*"], "exp": str(int(time.time()) + 60)},  # `exp` as a string
        {"sub": "x", "role": "admin", "branches": ["*"], "exp": 253402300799},  # year 9999
        {"sub": "x", "role": "root", "branches": ["*"], "exp": int(time.time()) + 60},  # no such role
    )]
    forged = jwt.encode({"sub": "x", "role": "admin", "branches": ["*"], "exp": int(time.time()) + 60}, "not-the-secret",
                        algorithm="HS256")
    wrong = []
    for op in SPEC_OPS:
        call = await Case(world, system.spec, op, "admin", "own").call()
        for headers in ({}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": f"Bearer {expired}"},
                        {"Authorization": f"Bearer {forged}"}, {"Authorization": "Basic YTpi"},
                        *({"Authorization": f"Bearer {t}"} for t in loose)):
            r = await system.client.request(call.method, call.path, headers=headers, **call.kwargs())
            if r.status_code != 401 or not r.headers["content-type"].startswith("application/problem+json"):
                wrong.append((op, headers.get("Authorization", "")[:20], r.status_code, r.text[:100]))
    assert not wrong, "\n".join(map(str, wrong))


async def test_an_admin_of_every_branch_runs_the_rebuild_status(system):
    """The one thing the one-branch admin of the matrix may not do, done by an admin of all branches."""
    r = await system.client.get("/v1/reports/rebuild", headers=system.world.root)
    assert r.status_code == 200, r.text
