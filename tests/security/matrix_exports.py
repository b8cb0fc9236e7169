"""Security matrix lines of controlled exports (受控文件, issue 19): `/v1/lead-exports` (leads) and
`/v1/archive-exports` (customers).

Decisions: a customer list leaves the system only as a watermarked, audited export. Leads: consultants export
their own leads, the front desk the branch's, both masked; managers and admins also full numbers, approved by
another manager or admin of the branch. Archives: the same without the front desk (it reads no archive). Finance,
partners and integrators are refused every export endpoint (403 before any object is read). An export is seen by its
requester and the branch's managers (a colleague's is a 404 to a consultant or the desk); only its requester
downloads it (a manager who sees a colleague's: 403); the requester or a manager records its destruction; only a
manager or admin decides (403 to the others, before the object is read).

Objects: `lead_export` / `archive_export` — `own` a masked export requested by the caller itself (c1's for roles that
cannot export), `other` one requested by c2; for the decision (`pending_*_export`) an export with full numbers
waiting for approval, requested by the manager (by the admin when the caller is the manager), since nobody decides
its own request.
"""

from __future__ import annotations

TABLE = """
# method path                                              admin    manager  consultant   reception    finance      partner      integrator
# -- leads: controlled exports (受控文件)
POST   /v1/lead-exports                                    2xx      2xx      2xx          2xx          403,403      403,403      403,403
GET    /v1/lead-exports                                    2xx      2xx      2xx          2xx          403          403          403
GET    /v1/lead-exports/{export_id}                        2xx      2xx      2xx,404      2xx,404      403,403,403  403,403,403  403,403,403
POST   /v1/lead-exports/{export_id}/decision               2xx      2xx      403,403,403  403,403,403  403,403,403  403,403,403  403,403,403
GET    /v1/lead-exports/{export_id}/file                   2xx,403  2xx,403  2xx,404      2xx,404      403,403,403  403,403,403  403,403,403
POST   /v1/lead-exports/{export_id}/destroy                2xx      2xx      2xx,404      2xx,404      403,403,403  403,403,403  403,403,403
# -- customers: controlled exports of archives (受控文件)
POST   /v1/archive-exports                                 2xx      2xx      2xx          403,403      403,403      403,403      403,403
GET    /v1/archive-exports                                 2xx      2xx      2xx          403          403          403          403
GET    /v1/archive-exports/{export_id}                     2xx      2xx      2xx,404      403,403,403  403,403,403  403,403,403  403,403,403
POST   /v1/archive-exports/{export_id}/decision            2xx      2xx      403,403,403  403,403,403  403,403,403  403,403,403  403,403,403
GET    /v1/archive-exports/{export_id}/file                2xx,403  2xx,403  2xx,404      403,403,403  403,403,403  403,403,403  403,403,403
POST   /v1/archive-exports/{export_id}/destroy             2xx      2xx      2xx,404      403,403,403  403,403,403  403,403,403  403,403,403
"""

EXPORTERS = {"lead": ("admin", "manager", "consultant", "reception"), "archive": ("admin", "manager", "consultant")}


def _service(case) -> str:
    return "archive" if case.op[1].startswith("/v1/archive-exports") else "lead"


async def _request(case, role: str, sub: str | None, **body) -> str:
    world, side, which = case.world, case.side, _service(case)
    doc = await world.call("POST", f"/v1/{which}-exports", world.as_(role, sub, side), expect=(201,),
                           json={"branch_id": side.id, **body})
    return doc["id"]


async def _export(case) -> str:
    """A masked export: the caller's own (c1's for a role that cannot export), or c2's for `other`."""
    which, side = _service(case), case.side
    if case.target == "other" or case.role not in EXPORTERS[which]:
        role, owner = "consultant", "c2" if case.target == "other" else "c1"
        sub = side.staff[owner]
    else:
        role, owner, sub = case.role, case.role, None
    key = f"{owner}:{case.role}" if case.fresh else owner
    kind = f"{which}_export"
    if not case.fresh and key in side.objects.get(kind, {}):
        return side.objects[kind][key]
    made = await _request(case, role, sub)
    side.put(kind, f"{key}:{made}" if case.fresh else key, made)
    return made


async def _pending(case) -> str:
    """An export with full numbers awaiting approval, requested by someone other than the caller."""
    which, side = _service(case), case.side
    requester = "admin" if case.role == "manager" else "manager"
    made = await _request(case, requester, None, full_numbers=True, purpose="矩阵核对")
    side.put(f"pending_{which}_export", f"{requester}:{made}", made)
    return made


async def _witness(case) -> dict:
    """Another active staff member of the branch than the caller."""
    side = case.side
    return {"json": {"witness_id": side.staff["manager" if case.role == "reception" else "reception"],
                     "note": "打印件已碎纸销毁"}}


async def _decision(case) -> dict:
    return {"json": {"decision": "approved", "reason": "用途明确"}}


async def _export_body(case) -> dict:
    return {"json": {"branch_id": case.side.id}}


BODIES = {}
SPECIAL_KIND = {}
for _which in ("lead", "archive"):
    _base = f"/v1/{_which}-exports"
    BODIES[("POST", _base)] = _export_body
    BODIES[("POST", f"{_base}/{{export_id}}/decision")] = _decision
    BODIES[("POST", f"{_base}/{{export_id}}/destroy")] = _witness
    SPECIAL_KIND[("POST", f"{_base}/{{export_id}}/decision")] = "pending_export"

KINDS = {"export": _export, "pending_export": _pending}
PARAMS = {"export_id": "export"}
FLOOR = {"lead_export", "archive_export", "pending_lead_export", "pending_archive_export"}

# test_scope.py: a witness of branch B is refused (422 `unknown-witness`); the list filters select within the
# branch named, so B's consultant selects nothing, as `GET /v1/leads?owner_id=` does.
REFERENCES = {
    (("POST", "/v1/lead-exports/{export_id}/destroy"), ("witness_id",)): "staff:c1",
    (("POST", "/v1/archive-exports/{export_id}/destroy"), ("witness_id",)): "staff:c1",
}
EXEMPT = {
    (("POST", "/v1/lead-exports"), ("filters", "owner_id")),
    (("POST", "/v1/archive-exports"), ("filters", "account_manager_id")),
}
