"""Deals (成交与结佣) to the staff who must act, with names and amounts in words, never ids or codes.

deal.subscribed waiting for price approval (价格核定) -> every manager of the branch, once per deal;
payout.due (房款到帐: a commission or referral reward may now be paid) -> the branch's finance staff and managers.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from crm_shared.events import Envelope
from crm_shared.events.deals import DealSubscribed, PayoutDue
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext
from crm_notify.messages.service import plan_many
from crm_notify.templates.words import BENEFICIARY, PAYOUT_KINDS, REWARD_FORMS, money_text, pick
from crm_notify.triggers.planner import sends_wecom, staff_notice

LOCALE = "zh-CN"


def discount_text(agreed: int, listed: int | None) -> str:
    """How far below list the agreed price is, as a percentage with two places (`3.67%`); "" when not below."""
    if not listed or agreed >= listed:
        return ""
    share = (Decimal(listed - agreed) * 100 / Decimal(listed)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{share}%"


def unit_label(data: object) -> str:
    """The unit as people name it, when the deal event carries a label."""
    return str(getattr(data, "unit_label", None) or "")[:200]


async def on_deal_subscribed(ctx: ServiceContext, env: Envelope, data: DealSubscribed) -> None:
    if data.price_approval != "pending":
        return
    directory = ctx.state.directory
    info = await directory.branch(env.branch_id)
    now = utcnow()
    consultant = await directory.member(data.owner_id) if data.owner_id else None
    facts = {"customer_name": data.customer_name or "", "consultant_name": (consultant or {}).get("name", ""),
             "agreed_price_text": money_text(data.agreed_price, LOCALE), "list_price_text": money_text(data.list_price, LOCALE),
             "discount_text": discount_text(data.agreed_price, data.list_price), "unit_label": unit_label(data),
             "branch_name": info.name}
    docs = [staff_notice(m, m["_id"], kind="price_approval_pending", entity=data.deal_id, occurrence="subscribed",
                         branch_id=env.branch_id, now=now, data=facts, wecom=sends_wecom(ctx))
            for m in await directory.members(env.branch_id, "manager")]
    await plan_many(ctx, docs)
    ctx.wake("dispatch")


async def on_payout_due(ctx: ServiceContext, env: Envelope, data: PayoutDue) -> None:
    directory = ctx.state.directory
    info = await directory.branch(env.branch_id)
    now = utcnow()
    facts = {"beneficiary_name": data.beneficiary.name or pick(BENEFICIARY, LOCALE, data.beneficiary.type),
             "kind_label": pick(PAYOUT_KINDS, LOCALE, data.kind), "amount_text": money_text(data.amount, LOCALE),
             "reward_form_label": pick(REWARD_FORMS, LOCALE, data.reward_form), "customer_name": "",
             "branch_name": info.name}
    people = await directory.members(env.branch_id, "finance") + await directory.members(env.branch_id, "manager")
    docs = [staff_notice(p, p["_id"], kind="payout_due", entity=data.payout_id, occurrence="due", branch_id=env.branch_id,
                         now=now, data=facts, wecom=sends_wecom(ctx)) for p in people]
    await plan_many(ctx, docs)
    ctx.wake("dispatch")
