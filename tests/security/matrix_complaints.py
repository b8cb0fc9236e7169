"""Security matrix lines of complaints (客户投诉) and revisits (回访).

Decisions: any staff member of the branch receives a complaint (managers, consultants, the front desk, finance);
managers and admins see every complaint of their branches, the other staff those they received or are assigned
(another's is a 404, as a colleague's lead is); partners and integrators none. Managers assign, approve the
report, close and reopen; the assignee (or a manager) files the report and the improvement actions. Revisit tasks:
managers and admins see the branch's, a consultant its own; a revisit is logged by the archive's account manager or
a manager (a consultant's view of another's archive is a 404, as in archives), never by the front desk or finance.

Complaints are made over HTTP by the caller's own role (`own`: the consultant c1, the front desk or finance
received it and c1 handles it; `other`: c2 received and handles it) and brought to the state the operation needs.
"""

from __future__ import annotations

TABLE = """
# method path                                                  admin  manager  consultant  reception  finance  partner      integrator
# -- customers: complaints (客户投诉)
POST   /v1/complaints                                          2xx    2xx      2xx         2xx        2xx      403,403      403,403
GET    /v1/complaints                                          2xx    2xx      2xx         2xx        2xx      403          403
GET    /v1/complaints/{complaint_id}                           2xx    2xx      2xx,404     2xx,404    2xx,404  403,403,403  403,403,403
POST   /v1/complaints/{complaint_id}/assign                    2xx    2xx      403,404     403,404    403,404  403,403,403  403,403,403
POST   /v1/complaints/{complaint_id}/report                    2xx    2xx      2xx,404     403,404    403,404  403,403,403  403,403,403
POST   /v1/complaints/{complaint_id}/report/approve            2xx    2xx      403,404     403,404    403,404  403,403,403  403,403,403
POST   /v1/complaints/{complaint_id}/actions                   2xx    2xx      2xx,404     403,404    403,404  403,403,403  403,403,403
POST   /v1/complaints/{complaint_id}/actions/{action_id}/done  2xx    2xx      2xx,404     403,404    403,404  403,403,403  403,403,403
POST   /v1/complaints/{complaint_id}/close                     2xx    2xx      403,404     403,404    403,404  403,403,403  403,403,403
POST   /v1/complaints/{complaint_id}/reopen                    2xx    2xx      403,404     403,404    403,404  403,403,403  403,403,403
# -- customers: revisits (回访)
GET    /v1/revisits                                            2xx    2xx      2xx         403        403      403          403
POST   /v1/archives/{archive_id}/revisits                      2xx    2xx      2xx,404     403        403      403,403,403  403,403,403
"""

BASE = "/v1/complaints/{complaint_id}"
STAGE = {  # what the operation needs the complaint to have gone through
    ("POST", f"{BASE}/report"): "assigned", ("POST", f"{BASE}/actions"): "assigned",
    ("POST", f"{BASE}/report/approve"): "reported", ("POST", f"{BASE}/close"): "responded",
    ("POST", f"{BASE}/reopen"): "closed", ("POST", f"{BASE}/actions/{{action_id}}/done"): "actioned",
}
STEPS = ("received", "assigned", "reported", "responded", "closed")
REPORT = {"cause": "接待流程疏漏", "responsibility": "销售部", "proposal": "加强培训"}


def _receiver(case) -> tuple[str, str | None]:
    """Who receives the complaint: c2 for `other`; else the caller's own role where it has one, else c1."""
    if case.target == "other":
        return "consultant", case.side.staff["c2"]
    if case.role in ("reception", "finance"):
        return case.role, None
    return "consultant", case.side.staff["c1"]


async def _complaint(case) -> str:
    from tests.security.world import customer_phone

    world, side = case.world, case.side
    stage = STAGE.get(case.op, "received")
    role, sub = _receiver(case)
    handler = side.staff["c2" if case.target == "other" else "c1"]
    key = f"{stage}:{role}:{sub}"
    cached = side.objects.get("complaint", {})
    if not case.fresh and key in cached and stage != "actioned":
        return cached[key]
    phone = customer_phone()
    doc = await world.call("POST", "/v1/complaints", world.as_(role, sub, side), expect=(201,), json={
        "branch_id": side.id, "channel": "visit", "category": "service", "severity": "normal", "summary": "矩阵投诉",
        "customer": {"name": "投诉客户", "phone": phone}})
    cid, boss = doc["id"], world.as_("manager", side=side)
    side.customers[cid] = phone
    steps = STEPS[:STEPS.index(stage if stage != "actioned" else "assigned") + 1]
    if "assigned" in steps:
        await world.call("POST", f"/v1/complaints/{cid}/assign", boss, retry_unknown=True, json={"assignee_id": handler})
    if "reported" in steps:
        await world.call("POST", f"/v1/complaints/{cid}/report", boss, json=REPORT)
    if "responded" in steps:
        await world.call("POST", f"/v1/complaints/{cid}/report/approve", boss, json={})
    if "closed" in steps:
        await world.call("POST", f"/v1/complaints/{cid}/close", boss, json={
            "customer_response": "satisfied", "resolution": {"kind": "apology", "note": "已致歉"}})
    if stage == "actioned":
        done = await world.call("POST", f"/v1/complaints/{cid}/actions", boss, expect=(201,), retry_unknown=True,
                                json={"what": "复盘接待流程", "owner_id": handler, "due": "2031-01-31"})
        case.complaint_action = done["actions"][-1]["id"]
    if not case.fresh:  # a fresh one is about to change: never reuse it
        side.put("complaint", key, cid)
    return cid


async def _action(case) -> str:
    return case.complaint_action


async def _archive(case) -> str:
    """An archive whose account manager is c1 (`own`) or c2 (`other`), opened by the branch's manager."""
    from tests.security.world import customer_phone

    world, side = case.world, case.side
    owner = "c2" if case.target == "other" else "c1"
    if owner in side.objects.get("revisit_archive", {}):
        return side.objects["revisit_archive"][owner]
    phone = customer_phone()
    doc = await world.call("POST", "/v1/archives", world.as_("manager", side=side), expect=(201,), retry_unknown=True,
                           json={"branch_id": side.id, "customer": {"name": "档案客户", "phone": phone},
                                 "category": "owner", "tier": "general", "account_manager_id": side.staff[owner]})
    side.customers[doc["id"]] = phone
    side.put("revisit_archive", owner, doc["id"])
    return doc["id"]


def _body(value):
    async def build(case) -> dict:
        return {"json": value(case) if callable(value) else value}
    return build


async def _new_complaint(case) -> dict:
    from tests.security.world import customer_phone

    return {"json": {"branch_id": case.side.id, "channel": "phone", "category": "quality", "severity": "major",
                     "summary": "墙面开裂", "customer": {"name": "投诉客户", "phone": customer_phone()}}}


BODIES = {
    ("POST", "/v1/complaints"): _new_complaint,
    ("POST", f"{BASE}/assign"): _body(lambda c: {"assignee_id": c.side.staff["c1"]}),
    ("POST", f"{BASE}/report"): _body(REPORT),
    ("POST", f"{BASE}/report/approve"): _body({"note": "同意"}),
    ("POST", f"{BASE}/actions"): _body(lambda c: {"what": "加强交房验收", "owner_id": c.side.staff["c1"], "due": "2031-06-30"}),
    ("POST", f"{BASE}/actions/{{action_id}}/done"): _body({"note": "已完成"}),
    ("POST", f"{BASE}/close"): _body({"customer_response": "satisfied", "resolution": {"kind": "repair", "note": "已修复"}}),
    ("POST", f"{BASE}/reopen"): _body({"reason": "问题复发"}),
    ("POST", "/v1/archives/{archive_id}/revisits"): _body({"kind": "phone", "note": "电话回访，客户满意", "satisfaction": 5}),
}
KINDS = {"complaint": _complaint, "complaint_action": _action, "revisit_archive": _archive}
PARAMS = {"complaint_id": "complaint", "action_id": "complaint_action", "archive_id": "archive"}
SPECIAL_KIND = {("POST", "/v1/archives/{archive_id}/revisits"): "revisit_archive"}
FLOOR = {"complaint", "revisit_archive"}

# test_scope.py: body fields naming objects, aimed at branch B's: each is refused with 422 `unknown-*`, nothing stored.
REFERENCES = {
    (("POST", "/v1/complaints"), ("archive_id",)): "revisit_archive:c1",
    (("POST", "/v1/complaints"), ("lead_id",)): "lead:c1",
    (("POST", f"{BASE}/assign"), ("assignee_id",)): "staff:c2",
    (("POST", f"{BASE}/actions"), ("owner_id",)): "staff:c1",
    (("POST", "/v1/complaints"), ("deal_id",)): "deal:d1",
    (("POST", f"{BASE}/close"), ("deal_id",)): "deal:d1",
}
# Also checked in tests/customers: `deal_id` of POST /v1/complaints and of
# .../close (422 `unknown-deal`), and `task_id` of POST /v1/archives/{archive_id}/revisits (a task of that archive,
# else 422 `unknown-task`).
