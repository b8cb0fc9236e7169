"""Audit of full-phone reveals (客户信息保密): who saw which customer's number, when and why."""

from __future__ import annotations

from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext

AUDIT = "audit"


async def record(ctx: ServiceContext, who: Principal, action: str, lead: dict, reason: str | None) -> dict:
    """Written before the reveal: no record, no number."""
    doc = {
        "_id": uuid7(), "branch_id": lead["branch_id"], "actor_id": who.sub, "actor_role": who.role, "action": action,
        "lead_id": lead["_id"], "phone_masked": lead["customer"]["phone_masked"], "reason": reason, "at": utcnow(),
    }
    await ctx.db[AUDIT].insert_one(doc)
    return doc


def public(doc: dict) -> dict:
    return {"id": doc["_id"], **{k: doc.get(k) for k in ("branch_id", "actor_id", "actor_role", "action", "lead_id",
                                                          "phone_masked", "reason", "at")}}
