"""HTTP: reveal a customer's full phone (audited) and read the audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from crm_shared.errors import Conflict, Forbidden
from crm_shared.http.auth import CurrentPrincipal, Principal, require_roles
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.text import Line

from crm_leads.audit import service
from crm_leads.context import BRANCH_FIELD, ID_FIELD, MANAGERS, Ctx, IdPath
from crm_leads.leads.service import get_scoped

router = APIRouter(tags=["privacy"])


@router.get("/v1/leads/{lead_id}/phone", summary="Reveal the full phone number (audited)",
            description="The owning consultant, managers and the front desk. Every reveal writes an audit "
            "record (who, what, when, why) before the number is returned.")
async def reveal_phone(
    lead_id: IdPath, c: Ctx, who: CurrentPrincipal,
    reason: Annotated[Line(200) | None, Query(description="Why the number is needed.")] = None,
) -> dict:
    lead = await get_scoped(c, lead_id, who)
    who.require_role("consultant", "reception", *MANAGERS)
    if who.role == "consultant" and lead.get("owner_id") != who.sub:
        raise Forbidden("a consultant sees full numbers only on leads it owns")
    phone = lead["customer"].get("phone")
    if not phone:
        raise Conflict("no-full-number", "only the masked number is on file (registered from a visit)")
    await service.record(c, who, "phone.reveal", lead, reason)
    return {"lead_id": lead_id, "phone": phone}


@router.get("/v1/audit", summary="Audit records of a branch, newest first")
async def list_audit(
    c: Ctx, branch_id: Annotated[str, Query(**BRANCH_FIELD)], who: Principal = require_roles(*MANAGERS),
    lead_id: Annotated[str | None, Query(**ID_FIELD)] = None, page: PageParams = Depends(page_params),
) -> dict:
    who.require_branch(branch_id)
    query = {"branch_id": branch_id} | ({"lead_id": lead_id} if lead_id else {})
    docs, nxt = await fetch_page(c.db[service.AUDIT], query, page, descending=True)
    return {"items": [service.public(d) for d in docs], "next_cursor": nxt}
