"""Security matrix lines of archives (顾客档案), key accounts (重点客户) and relationship evaluations (客户关系评估).

Decisions: archives hold personal data and the office's relationships, so only the sales side reads them —
admins and managers every archive of their branches, a consultant those it manages (another's archive, its
evaluations and its tier requests are a 404, as a colleague's lead is); the front desk, finance, partners and
integrators are refused every archive endpoint (403 before any object is read). Managers (and admins) review,
freeze and unfreeze, import, read the reveal audit and set tiers directly; the account manager (or a manager)
changes the card, asks for a tier, files evaluations and reveals the full number (audited). A tier request at
branch level is decided by a manager or an admin (group level: an admin only); an evaluation is reviewed by a
manager. The indicator table is read by who evaluates and set by an admin.

Objects: `archive` — opened by the branch's manager with c1 (`own`) or c2 (`other`) as account manager;
`tier_request` — filed by that consultant on its archive; `evaluation` — filed by it on its archive.
"""

from __future__ import annotations

TABLE = """
# method path                                              admin  manager  consultant   reception    finance      partner      integrator
# -- customers: archives (顾客档案)
POST   /v1/archives                                        2xx    2xx      2xx          403,403      403,403      403,403      403,403
GET    /v1/archives                                        2xx    2xx      2xx          403          403          403          403
GET    /v1/archives/audit                                  2xx    2xx      403          403          403          403          403
POST   /v1/archives/import                                 2xx    2xx      403,403      403,403      403,403      403,403      403,403
GET    /v1/archives/{archive_id}                           2xx    2xx      2xx,404      403,403,403  403,403,403  403,403,403  403,403,403
PATCH  /v1/archives/{archive_id}                           2xx    2xx      2xx,404      403,403,403  403,403,403  403,403,403  403,403,403
POST   /v1/archives/{archive_id}/review                    2xx    2xx      403,403,403  403,403,403  403,403,403  403,403,403  403,403,403
POST   /v1/archives/{archive_id}/freeze                    2xx    2xx      403,403,403  403,403,403  403,403,403  403,403,403  403,403,403
POST   /v1/archives/{archive_id}/unfreeze                  2xx    2xx      403,403,403  403,403,403  403,403,403  403,403,403  403,403,403
GET    /v1/archives/{archive_id}/phone                     2xx    2xx      2xx,404      403,403,403  403,403,403  403,403,403  403,403,403
# -- customers: key accounts (重点客户)
POST   /v1/archives/{archive_id}/tier-requests             2xx    2xx      2xx,404      403,403,403  403,403,403  403,403,403  403,403,403
POST   /v1/archives/{archive_id}/tier                      2xx    2xx      403,403,403  403,403,403  403,403,403  403,403,403  403,403,403
GET    /v1/tier-requests                                   2xx    2xx      2xx          403          403          403          403
POST   /v1/tier-requests/{request_id}/decision             2xx    2xx      403,403,403  403,403,403  403,403,403  403,403,403  403,403,403
GET    /v1/key-accounts                                    2xx    2xx      2xx          403          403          403          403
# -- customers: relationship evaluations (客户关系评估表)
GET    /v1/evaluation-indicators                           2xx    2xx      2xx          403          403          403          403
PUT    /v1/evaluation-indicators                           2xx    403      403          403          403          403          403
POST   /v1/evaluations                                     2xx    2xx      2xx,404      403,403,403  403,403,403  403,403,403  403,403,403
GET    /v1/evaluations                                     2xx    2xx      2xx          403          403          403          403
GET    /v1/evaluations/{evaluation_id}                     2xx    2xx      2xx,404      403,403,403  403,403,403  403,403,403  403,403,403
POST   /v1/evaluations/{evaluation_id}/review              2xx    2xx      403,403,403  403,403,403  403,403,403  403,403,403  403,403,403
"""

DEFAULT_TABLE = [
    {"key": "purchase_amount", "name": "购买金额", "weight": 30}, {"key": "referrals", "name": "推荐成交", "weight": 20},
    {"key": "communication", "name": "沟通配合", "weight": 15}, {"key": "satisfaction", "name": "满意度", "weight": 20},
    {"key": "complaints", "name": "投诉记录", "weight": 15}]


def _owner(case) -> str:
    return "c2" if case.target == "other" else "c1"


async def _cached(case, kind: str, make) -> str:
    side, key = case.side, _owner(case)
    if not case.fresh and key in side.objects.get(kind, {}):
        return side.objects[kind][key]
    made = await make(case, key)
    if not case.fresh:
        side.put(kind, key, made)
    else:
        side.put(kind, f"{key}-fresh-{made}", made)  # still a marker for the leak checks
    return made


async def _new_archive(case, owner: str) -> str:
    from tests.security.world import customer_phone

    world, side = case.world, case.side
    phone = customer_phone()
    doc = await world.call("POST", "/v1/archives", world.as_("manager", side=side), expect=(201,), retry_unknown=True,
                           json={"branch_id": side.id, "customer": {"name": "档案客户", "phone": phone},
                                 "category": "prospect", "account_manager_id": side.staff[owner]})
    side.customers[doc["id"]] = phone
    return doc["id"]


async def _archive(case) -> str:
    return await _cached(case, "archive", _new_archive)


async def _new_request(case, owner: str) -> str:
    world, side = case.world, case.side
    archive = await _new_archive(case, owner)
    doc = await world.call("POST", f"/v1/archives/{archive}/tier-requests", world.as_("consultant", side.staff[owner], side),
                           expect=(201,), json={"tier": "key", "level": "branch", "reason": "年度重点维护"})
    return doc["id"]


async def _tier_request(case) -> str:
    return await _cached(case, "tier_request", _new_request)


async def _scores(case) -> dict:
    table = await case.world.call("GET", "/v1/evaluation-indicators", case.world.as_("manager", side=case.side))
    return {i["key"]: 80 for i in table["items"]}


async def _new_evaluation(case, owner: str) -> str:
    world, side = case.world, case.side
    archive = await _archive_of(case, owner)
    doc = await world.call("POST", "/v1/evaluations", world.as_("consultant", side.staff[owner], side), expect=(201,),
                           json={"archive_id": archive, "scores": await _scores(case)})
    return doc["id"]


async def _archive_of(case, owner: str) -> str:
    side = case.side
    if owner in side.objects.get("archive", {}):
        return side.objects["archive"][owner]
    made = await _new_archive(case, owner)
    side.put("archive", owner, made)
    return made


async def _evaluation(case) -> str:
    return await _cached(case, "evaluation", _new_evaluation)


def _json(value):
    async def build(case) -> dict:
        return {"json": value(case) if callable(value) else value}
    return build


async def _open(case) -> dict:
    from tests.security.world import customer_phone

    return {"json": {"branch_id": case.side.id, "customer": {"name": "新档案", "phone": customer_phone()},
                     "category": "prospect", "card": {"employer": "矩阵公司", "important_dates": [{"name": "生日", "date": "08-08"}]}}}


async def _import(case) -> dict:
    from tests.security.world import customer_phone

    sheet = f"姓名,电话,类别,等级\n老业主,{customer_phone()},业主,一般\n".encode("gbk")
    return {"files": {"file": ("owners.csv", sheet, "text/csv")}, "data": {"branch_id": case.side.id}}


async def _evaluate(case) -> dict:
    return {"json": {"archive_id": await case.obj("archive"), "scores": await _scores(case), "note": "矩阵评估"}}


BODIES = {
    ("POST", "/v1/archives"): _open,
    ("POST", "/v1/archives/import"): _import,
    ("PATCH", "/v1/archives/{archive_id}"): _json({"card": {"preferences": "喜欢安静"}}),
    ("POST", "/v1/archives/{archive_id}/review"): _json({"decision": "approved", "note": "资料齐全"}),
    ("POST", "/v1/archives/{archive_id}/freeze"): _json({"reason": "客户要求暂停联系"}),
    ("POST", "/v1/archives/{archive_id}/unfreeze"): _json({"reason": "客户同意恢复联系"}),
    ("POST", "/v1/archives/{archive_id}/tier-requests"): _json({"tier": "key", "level": "branch", "reason": "成交两套"}),
    ("POST", "/v1/archives/{archive_id}/tier"): _json({"tier": "key", "level": "branch"}),
    ("POST", "/v1/tier-requests/{request_id}/decision"): _json({"decision": "approved", "note": "同意"}),
    ("PUT", "/v1/evaluation-indicators"): _json(DEFAULT_TABLE),
    ("POST", "/v1/evaluations"): _evaluate,
    ("POST", "/v1/evaluations/{evaluation_id}/review"): _json({"decision": "approved"}),
}
KINDS = {"archive": _archive, "tier_request": _tier_request, "evaluation": _evaluation}
PARAMS = {"archive_id": "archive", "request_id": "tier_request", "evaluation_id": "evaluation"}
OBJECT_ELSEWHERE = {("POST", "/v1/evaluations"): "archive_id: c1's / c2's archive / the other branch's"}
FLOOR = {"archive", "tier_request", "evaluation"}

# test_scope.py: body fields naming objects, aimed at branch B's (404 or 422, nothing stored).
REFERENCES = {
    (("POST", "/v1/archives"), ("lead_id",)): "lead:c1",
    (("POST", "/v1/archives"), ("account_manager_id",)): "staff:c1",
    (("PATCH", "/v1/archives/{archive_id}"), ("account_manager_id",)): "staff:c2",
    (("POST", "/v1/archives/{archive_id}/tier-requests"), ("account_manager_id",)): "staff:c2",
    (("POST", "/v1/archives/{archive_id}/tier"), ("account_manager_id",)): "staff:c2",
}
EXEMPT = {
    (("POST", "/v1/evaluations"), ("archive_id",)),  # the matrix aims it at B's archive (target `foreign`)
    # a task of the archive named in the path, else 422 `unknown-task` (tests/customers/test_revisits.py)
    (("POST", "/v1/archives/{archive_id}/revisits"), ("task_id",)),
}
