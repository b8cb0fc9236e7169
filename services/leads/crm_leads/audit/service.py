"""Audit of full-phone reveals (客户信息保密): who saw which customer's number, when and why."""

from __future__ import annotations

from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext

AUDIT = "audit"


async def record(ctx: ServiceContext, who: Principal, action: str, lead: dict, reason: str | None) -> dict:
    """Written before the reveal of a lead's number: no record, no number."""
    return await record_reveal(ctx, who, action, lead["branch_id"], lead["customer"]["phone_masked"], reason,
                               lead_id=lead["_id"])


async def record_reveal(ctx: ServiceContext, who: Principal, action: str, branch_id: str, phone_masked: str,
                        reason: str | None, **about: str) -> dict:
    """Written before any reveal (a lead's, a referrer's): who, which object (`lead_id`, `referrer_id`), when, why."""
    doc = {"_id": uuid7(), "branch_id": branch_id, "actor_id": who.sub, "actor_role": who.role, "action": action,
           **about, "phone_masked": phone_masked, "reason": reason, "at": utcnow()}
    await ctx.db[AUDIT].insert_one(doc)
    return doc


def public(doc: dict) -> dict:
    return {"id": doc["_id"], **{k: doc.get(k) for k in ("branch_id", "actor_id", "actor_role", "action", "lead_id",
                                                          "referrer_id", "phone_masked", "reason", "at")}}
