"""Two ways round the matrix (issue 14, D8 and D2/D7):

- every id a request names in its body must be of the branch the request acts in: another branch's
  consultant, lead, appointment, visit, partner or referrer is refused (404 or 422), never stored;
- list filters never widen what a caller sees: whatever `owner_id`, `consultant_id`, `lead_id`,
  `partner_id`, `to` or `q` names (another branch's, a colleague's, another partner's) and with or
  without `branch_id`, a list holds nothing of another branch, nothing of a colleague's leads for a
  consultant, nothing of another partner or of the floor for a partner.
"""

from __future__ import annotations

import re

import pytest

from tests.security.test_matrix import DECISIONS, SPEC, SPEC_OPS
from tests.security.world import EXTRA_KINDS, EXTRA_SCOPE, Case, World, full_numbers, operation, resolve

# (operation, where in the body) -> which object of branch B to name there, from a request acting in A.
# The caller is an admin of A (a partner for its own operations).
REFERENCES: dict[tuple[tuple[str, str], tuple], str] = {
    (("POST", "/v1/leads"), ("owner_id",)): "staff:c1",
    (("POST", "/v1/leads"), ("source", "partner_id")): "partner:p1",
    (("POST", "/v1/leads"), ("source", "referrer_id")): "referrer:r1",
    (("POST", "/v1/leads/{lead_id}/assign"), ("owner_id",)): "staff:c2",
    (("POST", "/v1/leads/assign"), ("owner_id",)): "staff:c2",
    (("POST", "/v1/leads/assign"), ("lead_ids",)): "[lead:c1]",
    (("POST", "/v1/staff/{staff_id}/leave"), ("owner_id",)): "staff:c2",
    (("POST", "/v1/attribution-disputes"), ("lead_id",)): "lead:c1",
    (("POST", "/v1/attribution-disputes/{dispute_id}/decision"), ("winner",)): "partner:p1",
    (("POST", "/v1/partners"), ("agency_id",)): "partner:p1",
    (("POST", "/v1/partners/{partner_id}/arrivals"), ("visit_id",)): "visit:c1",
    (("POST", "/v1/appointments"), ("consultant_id",)): "staff:c1",
    (("POST", "/v1/appointments"), ("lead_id",)): "lead:c1",
    (("PATCH", "/v1/appointments/{appointment_id}"), ("consultant_id",)): "staff:c2",
    (("POST", "/v1/visits"), ("appointment_id",)): "appointment:c1",
    (("POST", "/v1/visits/{visit_id}/assign"), ("consultant_id",)): "staff:c2",
    (("POST", "/v1/rotation/{branch_id}/join"), ("consultant_id",)): "staff:c1",
    (("POST", "/v1/rotation/{branch_id}/leave"), ("consultant_id",)): "staff:c1",
    (("POST", "/v1/receptions"), ("host_id",)): "staff:c1",
    (("POST", "/v1/receptions/{reception_id}/feedback"), ("follow_ups",)): "[task:c1]",
}
ROLE = {("POST", "/v1/attribution-disputes"): "manager"}
# Per-part modules (tests/security/matrix_*.py) add theirs: REFERENCES, ROLE, EXEMPT.
REFERENCES.update(EXTRA_SCOPE["REFERENCES"])
ROLE.update(EXTRA_SCOPE["ROLE"])
# Real findings: (operation, where) -> what is wrong.
FINDINGS: dict = {}  # (operation, reference) -> a known gap, reported as a strict xfail until fixed
# The query parameters that name something, and what to put in them (of B, or of a colleague/another partner in A).
FILTERS = {
    "owner_id": ("a:staff:c2", "b:staff:c1"), "consultant_id": ("a:staff:c2", "b:staff:c1"),
    "lead_id": ("a:lead:c2", "b:lead:c1"), "partner_id": ("a:partner:p2", "b:partner:p1"),
    "agency_id": ("a:partner:p2", "b:partner:p1"), "staff_id": ("b:staff:c1",), "to": ("b:customer:message",),
    "q": ("a:customer:lead-c2", "b:customer:lead-c1", "矩阵"),
}


async def _b(world: World, ref: str, op: tuple[str, str]):
    many = ref.startswith("[")
    kind, key = ref.strip("[]").split(":")
    b = world.b
    if kind == "staff":
        value = b.staff[key]
    elif kind == "partner":
        value = b.partners[key]
    elif kind == "task":
        value = {"title": "回访", "owner_id": b.staff[key]}
    elif key in b.objects.get(kind, {}):
        value = b.objects[kind][key]
    else:  # an object a per-part module builds on demand: branch B's, as the matrix's `foreign` target
        value = await EXTRA_KINDS[kind](Case(world, SPEC, op, "admin", "foreign"))
    return [value] if many else value


def _put(doc: dict, path: tuple, value) -> None:
    for key in path[:-1]:
        doc = doc.setdefault(key, {})
    doc[path[-1]] = value


def _filter_value(world: World, spec: str) -> str:
    if spec.count(":") != 2:
        return spec  # a literal
    side_key, kind, key = spec.split(":", 2)
    side = world.a if side_key == "a" else world.b
    if kind == "staff":
        return side.staff[key]
    if kind == "partner":
        return side.partners[key]
    if kind == "customer":
        if key == "message":
            return side.customers[side.objects["message"]["m1"]]
        return side.customers[side.objects["lead"][key.split("-")[1]]]
    return side.objects[kind][key]


LISTS = [op for op in SPEC_OPS if op[0] == "GET" and not re.search(r"\{(?!branch_id)\w+\}", op[1])
         and not re.search(r"/chart\.|/rebuild$|/boards/", op[1])]


@pytest.mark.parametrize("op", LISTS, ids=[f"{m} {p}" for m, p in LISTS])
async def test_filters_never_widen_a_list(system, op):
    world = system.world
    names = {p["name"]: p for p in operation(SPEC, op).get("parameters", []) if p["in"] == "query"}
    wrong = []
    for role in ("admin", "manager", "consultant", "reception", "partner", "integrator"):
        if DECISIONS[op][role]["own"] != "2xx":
            continue
        base = await Case(world, system.spec, op, role, "own").call()
        variants = [dict(base.params)]
        if "branch_id" in base.params and not names["branch_id"].get("required"):
            variants.append({k: v for k, v in base.params.items() if k != "branch_id"})
        for name, values in FILTERS.items():
            if name in names:
                variants += [{**base.params, name: _filter_value(world, v)} for v in values]
        for params in variants:
            r = await system.client.get(base.path, params={**params, "limit": 500} if "limit" in names else params,
                                        headers=world.as_(role))
            if r.status_code >= 500:
                wrong.append((role, params, r.status_code, r.text[:120]))
                continue
            if r.status_code >= 300:
                continue
            sent = " ".join(map(str, params.values()))
            text = r.text
            forbidden = world.foreign_markers(world.a)
            if role == "consultant" and op[1] == "/v1/leads":
                forbidden |= {world.a.objects["lead"]["c2"], world.a.customers[world.a.objects["lead"]["c2"]]}
            if role == "partner":
                forbidden |= {world.a.partners["p2"], world.a.objects["report"]["p2"], world.a.objects["dispute"]["p2"]}
            leaked = {m for m in forbidden if m in text and m not in sent}
            if role in ("partner", "integrator"):
                leaked |= (full_numbers(text) - full_numbers(sent)) & world.customer_numbers() - (
                    world.customer_numbers() if op[1] in ("/v1/messages", "/v1/opt-outs") and role == "integrator" else set())
            if leaked:
                wrong.append((role, params, r.status_code, sorted(leaked)[:5]))
    assert not wrong, "\n".join(map(str, wrong))


@pytest.mark.parametrize(("op", "where"), [
    pytest.param(op, where, id=f"{op[0]} {op[1]} {'.'.join(where)}",
                 marks=[pytest.mark.xfail(strict=True, reason=FINDINGS[(op, where)])] if (op, where) in FINDINGS else [])
    for op, where in REFERENCES])
async def test_another_branchs_ids_in_a_body_are_refused(system, op, where):
    world = system.world
    assert op in SPEC_OPS, f"{op} is gone: drop its lines from REFERENCES"
    role = ROLE.get(op, "admin")
    call = await Case(world, system.spec, op, role, "own", fresh=True).call()
    if not isinstance(call.json, dict):
        call.json = {}
    _put(call.json, where, await _b(world, REFERENCES[(op, where)], op))
    if where == ("source", "referrer_id"):
        call.json["source"]["channel"] = "referral"
    r = await system.client.request(call.method, call.path, headers=world.as_(role, call.sub), **call.kwargs())
    said = f"{op[0]} {call.path} with B's {REFERENCES[(op, where)]} at {'.'.join(where)}: {r.status_code} {r.text[:300]}"
    if where == ("lead_ids",):  # a bulk answer judges each lead: B's is `not_found`, like one that does not exist
        assert r.status_code == 200 and [i["outcome"] for i in r.json()["items"]] == ["not_found"], said
        lead = await system.client.get(f"/v1/leads/{world.b.objects['lead']['c1']}", headers=world.root)
        assert lead.json()["owner_id"] == world.b.staff["c1"], "B's lead changed hands"
    else:
        assert r.status_code in (404, 422), said
    leaked = {m for m in world.foreign_markers(world.a) if m in r.text and m not in call.text()}
    assert not leaked, f"the refusal shows another branch's data {sorted(leaked)}; {said}"


def test_every_body_reference_is_in_the_table():
    """A body field naming another object (`*_id`, `*_ids`, `winner`) must be listed in REFERENCES."""
    missing = []
    for op in SPEC_OPS:
        content = operation(SPEC, op).get("requestBody", {}).get("content", {}).get("application/json")
        if not content:
            continue
        for path in _id_fields(content["schema"]):
            if path[-1] != "branch_id" and (op, path) not in REFERENCES and not _exempt(op, path):
                missing.append(f"{op[0]} {op[1]} {'.'.join(map(str, path))}")
    assert not missing, "body fields naming objects, not in REFERENCES of tests/security/test_scope.py:\n" + "\n".join(missing)


EXEMPT = {
    (("POST", "/v1/attribution-disputes"), ("report_id",)),  # the matrix aims it at B's report (target `foreign`)
    # a member's account in the office's own WeCom (企业微信), not an object of the CRM: nothing to scope
    (("POST", "/v1/staff"), ("wecom_user_id",)),
    (("PATCH", "/v1/staff/{staff_id}"), ("wecom_user_id",)),
    *EXTRA_SCOPE["EXEMPT"],
}


def _exempt(op, path) -> bool:
    return (op, path) in EXEMPT


def _id_fields(schema: dict, path=()) -> list[tuple]:
    schema = resolve(SPEC, schema)
    out = []
    for name, sub in schema.get("properties", {}).items():
        here = (*path, name)
        if name.endswith("_id") or name.endswith("_ids") or name == "winner":
            out.append(here)
        sub = resolve(SPEC, sub)
        if sub.get("type") == "object" or "properties" in sub:
            out += _id_fields(sub, here)
        elif sub.get("type") == "array":
            items = resolve(SPEC, sub.get("items", {}))
            if "properties" in items and _id_fields(items):
                out.append(here)  # a list of objects that name others: REFERENCES replaces the whole list
    return out
