"""HTTP of payouts: reward rules (GET/PUT /v1/reward-rules/{branch_id}) and payouts (list, one, approve, pay)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from crm_shared.events.deals import PayoutKind, PayoutStatus
from crm_shared.http.auth import CurrentPrincipal, Principal, require_roles
from crm_shared.http.concurrency import if_match_version
from crm_shared.aggregates import hidden
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.plugins import ServiceContext, context_of

from crm_deals.payouts import rewards, service
from crm_deals.payouts.answers import public_many, public_one
from crm_deals.payouts.models import (BRANCH_FIELD, ID_FIELD, ApproveIn, PayIn, PayoutOut, RewardRulesIn,
                                      RewardRulesOut)

router = APIRouter(tags=["payouts"])
Ctx = Annotated[ServiceContext, Depends(context_of("deals"))]
IdPath = Annotated[str, Path(**ID_FIELD)]
BranchPath = Annotated[str, Path(**BRANCH_FIELD)]
RULE_READERS = ("admin", "manager", "consultant", "reception", "finance")
PAYOUT_READERS = ("admin", "manager", "finance", "partner")
IdQuery = Annotated[str | None, Query(**ID_FIELD)]


@router.get("/v1/reward-rules/{branch_id}", response_model=RewardRulesOut, summary="A branch's reward rules",
            description="The branch's staff (not partners or integrators). The seed office's rules (`version` 0, "
            "`configured` false) until a manager saves the branch's own.")
async def get_rules(branch_id: BranchPath, c: Ctx, who: Principal = require_roles(*RULE_READERS)) -> RewardRulesOut:
    who.require_branch(branch_id)
    return rewards.public(await rewards.effective(c, branch_id))


@router.put("/v1/reward-rules/{branch_id}", response_model=RewardRulesOut, summary="Save a branch's reward rules",
            description="Admin or manager; `If-Match` (0 before the first save). A section left out keeps its value. "
            "422 `overlapping-bands` / `empty-band` for a price band table that is not a partition, `validation` for "
            "negative money or a percent outside 0–100. Amounts apply to payouts computed from now on.")
async def put_rules(branch_id: BranchPath, body: RewardRulesIn, c: Ctx,
                    who: Principal = require_roles("admin", "manager"),
                    expected: int | None = Depends(if_match_version)) -> RewardRulesOut:
    who.require_branch(branch_id)
    return rewards.public(await rewards.save(c, branch_id, body, expected, who.sub))


@router.get("/v1/payouts", summary="Payouts (结佣, 全民营销奖励)",
            description="Managers, admins and finance see the branch; a partner only its own commissions. Filters "
            "`kind`, `status`, `beneficiary_id`, `deal_id`; newest first.")
async def list_payouts(
    c: Ctx, who: Principal = require_roles(*PAYOUT_READERS),
    branch_id: Annotated[str | None, Query(**BRANCH_FIELD)] = None,
    kind: PayoutKind | None = None, status: PayoutStatus | None = None,
    beneficiary_id: IdQuery = None, deal_id: IdQuery = None, page: PageParams = Depends(page_params),
) -> dict:
    query = who.branch_filter(branch_id)
    query |= {k: v for k, v in (("kind", kind), ("status", status), ("beneficiary_id", beneficiary_id),
                                ("deal_id", deal_id)) if v}
    if who.role == "partner":
        if beneficiary_id not in (None, who.sub) or kind == "referral_reward":
            return {"items": [], "next_cursor": None}
        query |= {"beneficiary_id": who.sub, "kind": "commission"}
    docs, nxt = await fetch_page(c.db[service.PAYOUTS], query, page, descending=True,
                                 projection=hidden())
    return {"items": await public_many(c, docs), "next_cursor": nxt}


@router.get("/v1/payouts/{payout_id}", response_model=PayoutOut, summary="One payout")
async def get_payout(payout_id: IdPath, c: Ctx, who: CurrentPrincipal) -> PayoutOut:
    doc = await service.visible(c, payout_id, who)
    who.require_role(*PAYOUT_READERS)
    return await public_one(c, doc)


@router.post("/v1/payouts/{payout_id}/approve", response_model=PayoutOut, summary="Approve a due payout",
             description="Manager: `due → approved`; `If-Match`. 409 `wrong-status` (with `status_now`) otherwise "
             "— nothing is due before the deal is paid in full. Publishes `payout.approved`.")
async def approve(payout_id: IdPath, c: Ctx, who: CurrentPrincipal, body: ApproveIn | None = None,
                  expected: int | None = Depends(if_match_version)) -> PayoutOut:
    doc = await service.visible(c, payout_id, who)
    who.require_role("manager")
    return await public_one(c, await service.approve(c, doc, expected, who, body.note if body else None))


@router.post("/v1/payouts/{payout_id}/pay", response_model=PayoutOut, summary="Record an approved payout as paid",
             description="Finance or manager: `approved → paid` with the payment's `reference` (流水号); `If-Match`. "
             "409 `wrong-status` otherwise. Publishes `payout.paid`.")
async def pay(payout_id: IdPath, body: PayIn, c: Ctx, who: CurrentPrincipal,
              expected: int | None = Depends(if_match_version)) -> PayoutOut:
    doc = await service.visible(c, payout_id, who)
    who.require_role("finance", "manager")
    return await public_one(c, await service.pay(c, doc, expected, who, body.reference, body.paid_at, body.note))

