"""HTTP of deals: POST/GET /v1/deals, GET /v1/deals/{id}, price approval, sign, payments, cancel, change-unit, and
GET/PUT /v1/deal-settings/{branch_id}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from crm_shared.events.deals import DealStatus
from crm_shared.http.auth import CurrentPrincipal
from crm_shared.http.concurrency import idempotency_key, idempotent, if_match_version
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.plugins import ServiceContext, context_of

from crm_deals.deals import service
from crm_deals.deals.models import (ApprovalIn, CancelIn, ChangeUnitIn, DealIn, DealOut, DealSettingsIn,
                                    DealSettingsOut, PaymentIn, PaymentOut, SignIn)
from crm_deals.units.models import BRANCH_FIELD, ID_FIELD

router = APIRouter(tags=["deals"])
Ctx = Annotated[ServiceContext, Depends(context_of("deals"))]
IdPath = Annotated[str, Path(**ID_FIELD)]
IdQuery = Annotated[str | None, Query(**ID_FIELD)]
MANAGERS = ("manager", "admin")
READERS = ("admin", "manager", "consultant", "finance", "integrator")
"""Who reads deals: managers, finance, integrators, and a consultant its own; not the front desk nor partners."""
SETTINGS_READERS = ("admin", "manager", "consultant", "reception", "finance", "integrator")
Expected = Annotated[int | None, Depends(if_match_version)]


@router.post("/v1/deals", status_code=201, response_model=DealOut, summary="Subscribe a unit (认购)",
             responses={409: {"description": "`/unit-taken` with `holder_deal_id`; `/unit-unavailable` (held); "
                                             "`/lead-has-deal` with `holder_deal_id`; `/lead-lost`."}},
             description="A consultant for a lead it owns (another's lead: 404), a manager for any lead of its "
             "branches. The unit is reserved at once (one live deal per unit under any concurrency). "
             "`price_approval` is `pending` when `agreed_price` < list × (1 − the branch's `max_discount`). "
             "`attribution` is decided now: a partner whose confirmed report protects the lead, or the referrer "
             "of a referral lead. Publishes `deal.subscribed` and `unit.status_changed`. Accepts `Idempotency-Key`.")
async def subscribe(body: DealIn, c: Ctx, response: Response, who: CurrentPrincipal,
                    key: str | None = Depends(idempotency_key)) -> DealOut:
    who.require_role("consultant", "manager")

    async def create() -> DealOut:
        return await service.public(c, await service.subscribe(c, body, who))

    return await idempotent(c.db, who.sub, key, body, response, create)


@router.get("/v1/deals", summary="Deals",
            description="Managers, admins, finance and integrators of the branch; a consultant its own deals only. "
            "Filters `branch_id` `status` `unit_id` `lead_id` `owner_id`. Oldest first. Items leave out payments "
            "and history (see `GET /v1/deals/{id}`).")
async def list_deals(
    c: Ctx, who: CurrentPrincipal, branch_id: Annotated[str | None, Query(**BRANCH_FIELD)] = None,
    status: DealStatus | None = None, unit_id: IdQuery = None, lead_id: IdQuery = None, owner_id: IdQuery = None,
    page: PageParams = Depends(page_params),
) -> dict:
    query = service.list_query(who, branch_id, status, unit_id, lead_id, owner_id)
    who.require_role(*READERS)
    docs, nxt = await fetch_page(c.aggregate(service.DEALS), query, page)
    return {"items": await service.public_many(c, docs), "next_cursor": nxt}


@router.get("/v1/deals/{deal_id}", response_model=DealOut, summary="One deal",
            description="With `paid_total`, payments, history (stages with who and when), attribution and names.")
async def get_deal(deal_id: IdPath, c: Ctx, who: CurrentPrincipal) -> DealOut:
    doc = await service.visible(c, deal_id, who)
    who.require_role(*READERS)
    return await service.public(c, doc, lead=await service.leads.lead(c, doc["lead_id"]))


@router.post("/v1/deals/{deal_id}/price-approval", response_model=DealOut, summary="Decide a price (价格核定)",
             description="Manager. `decision` `approved` or `rejected` (with `reason`); 409 `no-approval-pending`. "
             "Publishes `deal.price_approved` / `deal.price_rejected`. `If-Match`.")
async def decide_price(deal_id: IdPath, body: ApprovalIn, c: Ctx, who: CurrentPrincipal, expected: Expected) -> DealOut:
    doc = await service.visible(c, deal_id, who)
    who.require_role(*MANAGERS)
    return await service.public(c, await service.decide_price(c, doc, body, expected, who))


@router.post("/v1/deals/{deal_id}/sign", response_model=DealOut, summary="Sign the contract (签约)",
             description="The deal's consultant or a manager. The unit is sold. 409 `approval-required` while the "
             "price waits for approval or was rejected; 409 `contract-exists` for a contract number already used in "
             "the branch. Publishes `deal.signed` (with the buyer sealed) and `unit.status_changed`. `If-Match`.")
async def sign(deal_id: IdPath, body: SignIn, c: Ctx, who: CurrentPrincipal, expected: Expected) -> DealOut:
    doc = await service.visible(c, deal_id, who)
    who.require_role("consultant", *MANAGERS)
    return await service.public(c, await service.sign(c, doc, body, expected, who))


@router.post("/v1/deals/{deal_id}/payments", status_code=201, response_model=PaymentOut, summary="Record a payment (回款)",
             responses={409: {"description": "`/overpayment` with `remaining`; `/wrong-status` before signing."}},
             description="Finance or a manager, on a signed deal. The deal becomes `paid` when the deposit and "
             "payments reach the agreed price; a payment beyond what remains is refused (409 `overpayment` naming "
             "`remaining`). Publishes `deal.payment_received` (and `deal.paid`). Accepts `Idempotency-Key`.")
async def record_payment(deal_id: IdPath, body: PaymentIn, c: Ctx, response: Response, who: CurrentPrincipal,
                         expected: Expected, key: str | None = Depends(idempotency_key)) -> PaymentOut:
    doc = await service.visible(c, deal_id, who)
    who.require_role("finance", *MANAGERS)

    async def create() -> PaymentOut:
        done, payment = await service.pay(c, doc, body, expected, who)
        out = await service.public(c, done)
        return next(p for p in out.payments if p.id == payment["id"])

    return await idempotent(c.db, who.sub, key, body, response, create)


@router.post("/v1/deals/{deal_id}/cancel", response_model=DealOut, summary="Cancel a deal (退房)",
             description="Manager. `reason` a code of the branch's cancellation reasons (422 `unknown-reason`), "
             "`refund` at most what was paid (422 `refund-exceeds-paid`). The unit is available again. Publishes "
             "`deal.cancelled` and `unit.status_changed`. `If-Match`.")
async def cancel(deal_id: IdPath, body: CancelIn, c: Ctx, who: CurrentPrincipal, expected: Expected) -> DealOut:
    doc = await service.visible(c, deal_id, who)
    who.require_role(*MANAGERS)
    return await service.public(c, await service.cancel(c, doc, body, expected, who))


@router.post("/v1/deals/{deal_id}/change-unit", response_model=DealOut, summary="Change the unit (换房)",
             description="Manager, on a subscribed or signed deal. The new unit is reserved (sold, for a signed deal) "
             "before the old one is freed; the deal keeps its history and attribution. The price is checked "
             "against the new unit's list price (a signed deal must stay within the discount limit: 409 "
             "`approval-required`). 409 `unit-taken`, `paid-exceeds-price`. Publishes `deal.unit_changed`. `If-Match`.")
async def change_unit(deal_id: IdPath, body: ChangeUnitIn, c: Ctx, who: CurrentPrincipal, expected: Expected) -> DealOut:
    doc = await service.visible(c, deal_id, who)
    who.require_role(*MANAGERS)
    return await service.public(c, await service.change_unit(c, doc, body, expected, who))


@router.get("/v1/deal-settings/{branch_id}", response_model=DealSettingsOut, summary="A branch's deal settings",
            description="Staff and integrators of the branch: `max_discount` and the cancellation reasons "
            "(退房原因, code and Chinese name); the service defaults until a manager sets them.")
async def get_settings(branch_id: Annotated[str, Path(**BRANCH_FIELD)], c: Ctx, who: CurrentPrincipal) -> DealSettingsOut:
    who.require_branch(branch_id)
    who.require_role(*SETTINGS_READERS)
    return service.settings_out(await service.branch_settings(c, branch_id))


@router.put("/v1/deal-settings/{branch_id}", response_model=DealSettingsOut, summary="Set a branch's deal settings",
            description="Manager or admin. Replaces `max_discount` (a fraction, 0.03 = 3%) and the cancellation "
            "reasons. `If-Match` with the version read (0 for the defaults).")
async def put_settings(branch_id: Annotated[str, Path(**BRANCH_FIELD)], body: DealSettingsIn, c: Ctx,
                       who: CurrentPrincipal, expected: Expected) -> DealSettingsOut:
    who.require_branch(branch_id)
    who.require_role(*MANAGERS)
    return service.settings_out(await service.put_settings(c, branch_id, body, expected, who))
