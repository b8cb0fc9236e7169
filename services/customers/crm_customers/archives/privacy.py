"""Full numbers of archives (客户信息保密): revealed only to the account manager and managers, each reveal
audited before the number is shown (no record, no number)."""

from __future__ import annotations

from crm_shared.errors import Conflict
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext

AUDIT = "archive_audit"
FIELDS = ("branch_id", "actor_id", "actor_role", "action", "archive_id", "number", "phone_masked", "reason", "at")


async def reveal(ctx: ServiceContext, doc: dict, who: Principal, reason: str | None) -> str:
    phone = await ctx.keys.unseal(doc["customer"].get("phone_sealed"))
    if not phone:
        raise Conflict("no-full-number", "only the masked number is on file for this customer")
    await ctx.db[AUDIT].insert_one({
        "_id": uuid7(), "branch_id": doc["branch_id"], "actor_id": who.sub, "actor_role": who.role,
        "action": "archive.phone.reveal", "archive_id": doc["_id"], "number": doc["number"],
        "phone_masked": doc["customer"]["phone_masked"], "reason": reason, "at": utcnow()})
    return phone


def public(doc: dict, names: dict[str, str]) -> dict:
    return {"id": doc["_id"], **{k: doc.get(k) for k in FIELDS}, "actor_name": names.get(doc.get("actor_id") or "")}


async def ensure_indexes(ctx: ServiceContext) -> None:
    await ctx.db[AUDIT].create_index([("branch_id", 1), ("archive_id", 1)])
