"""Payouts from the deals service's own events, end to end over HTTP: a referral lead's deal subscribed,
signed and paid in instalments — the reward is pending at signing, still pending after a part payment,
due only once the price is paid in full — then approved and paid; a second deal cancelled after payout is
clawed back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from crm_shared.events.leads import LeadRegistered, LeadSource, MaskedCustomer
from tests.deals.test_payouts import BRANCH, office


async def referral_lead(o, lead_id: str, referrer_id: str) -> None:
    await o.emit(LeadRegistered(lead_id=lead_id, owner_id="c1", source=LeadSource(channel="referral", referrer_id=referrer_id),
                                customer=MaskedCustomer(name="赵女士", phone_masked="139****0001", phone_hash=f"h-{lead_id}")),
                 subject=lead_id)


async def deal_for(o, lead_id: str, price: str = "2980000") -> dict:
    r = await o.client.post("/v1/units", headers=o.manager, json={
        "branch_id": BRANCH, "project": "湾区壹号", "building": "9栋", "unit_no": lead_id[-4:], "product_type": "villa",
        "list_price": price})
    assert r.status_code == 201, r.text
    for _ in range(100):  # the lead reaches deals' copy through its event
        made = await o.client.post("/v1/deals", headers=o.manager, json={
            "lead_id": lead_id, "unit_id": r.json()["id"], "agreed_price": price, "deposit": "50000"})
        if made.status_code != 404 and made.status_code != 422:
            break
        await asyncio.sleep(0.1)
    assert made.status_code == 201, made.text
    assert made.json()["attribution"]["referrer_id"], made.text
    return made.json()


async def pay(o, deal_id: str, amount: str) -> None:
    r = await o.client.post(f"/v1/deals/{deal_id}/payments", headers=o.finance, json={
        "amount": amount, "paid_at": datetime.now(UTC).isoformat(), "method": "bank_transfer", "reference": "流水"})
    assert r.status_code == 201, r.text


async def test_a_referral_deal_from_subscription_to_paid_reward_and_a_claw_back(urls):
    async with office(urls) as o:
        await o.referrer("r1", "热心市民张三", "public")
        await referral_lead(o, "lead-0001", "r1")
        deal = await deal_for(o, "lead-0001")
        assert await o.payouts(deal_id=deal["id"]) == [], "nothing before signing"
        r = await o.client.post(f"/v1/deals/{deal['id']}/sign", headers=o.manager, json={"contract_no": "HT-0001"})
        assert r.status_code == 200, r.text
        await o.settled(deal["id"], {("referral_reward", "r1"): ("pending", "4000.00")})
        await pay(o, deal["id"], "1000000")
        await o.settled(deal["id"], {("referral_reward", "r1"): ("pending", "4000.00")})
        await pay(o, deal["id"], "1930000")  # with the 50,000 deposit: paid in full
        got = await o.settled(deal["id"], {("referral_reward", "r1"): ("due", "4000.00")})
        reward = got[("referral_reward", "r1")]
        assert reward["beneficiary"]["name"] == "热心市民张三" and reward["customer_name"] == "赵女士"
        r = await o.client.post(f"/v1/payouts/{reward['id']}/approve", headers=o.manager, json={})
        assert r.status_code == 200, r.text
        r = await o.client.post(f"/v1/payouts/{reward['id']}/pay", headers=o.finance, json={"reference": "奖励-0001"})
        assert r.status_code == 200 and r.json()["status"] == "paid", r.text
        r = await o.client.post(f"/v1/deals/{deal['id']}/cancel", headers=o.manager, json={"reason": "other"})
        assert r.status_code == 200, r.text
        await o.settled(deal["id"], {("referral_reward", "r1"): ("clawback", "4000.00")})
