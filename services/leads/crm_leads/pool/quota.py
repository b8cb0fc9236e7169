"""HTTP: how many pool claims a consultant has left today (read only, for the console's claim buttons)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from crm_shared.errors import Forbidden, NotFound
from crm_shared.http.auth import CurrentPrincipal
from crm_shared.ids import utcnow

from crm_leads.context import BRANCH_FIELD, ID_FIELD, MANAGERS, Ctx, load_branch
from crm_leads.leads import rules
from crm_leads.pool.service import CLAIM_COUNTERS
from crm_leads.staff import service as staff

router = APIRouter(tags=["pool"])


class PoolQuota(BaseModel):
    branch_id: str
    staff_id: str
    day: str = Field(description="Branch-local day the limit counts in.")
    limit: int = Field(description="The branch's `pool_claims_per_day`.")
    used: int = Field(description="Claims made today.")
    remaining: int


@router.get("/v1/pool/quota", response_model=PoolQuota, summary="Pool claims left today",
            description="A consultant's own count (managers may name `staff_id`); the same branch-local day and "
            "counter that `POST /v1/leads/{id}/claim` uses.")
async def pool_quota(c: Ctx, who: CurrentPrincipal, branch_id: Annotated[str, Query(**BRANCH_FIELD)],
                     staff_id: Annotated[str | None, Query(**ID_FIELD)] = None) -> PoolQuota:
    branch = await load_branch(c, branch_id, who)
    if who.role not in ("consultant", *MANAGERS):
        raise Forbidden("only consultants and managers claim from the pool")
    if staff_id and staff_id != who.sub and who.role not in MANAGERS:
        raise Forbidden("a consultant sees only its own quota")
    if staff_id and await staff.get(c, staff_id, branch.id) is None:
        raise NotFound("staff")
    staff_id = staff_id or who.sub
    day = rules.claim_day(utcnow(), branch.timezone)
    counter = await c.db[CLAIM_COUNTERS].find_one({"_id": f"{branch.id}:{staff_id}:{day}"})
    limit = branch.settings.pool_claims_per_day
    used = max(0, int((counter or {}).get("n", 0)))
    return PoolQuota(branch_id=branch.id, staff_id=staff_id, day=day, limit=limit, used=used, remaining=max(0, limit - used))
