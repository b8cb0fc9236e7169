"""Payouts through a deal's life: a public referrer's 1st, 2nd and 3rd paid deal (stable under redelivery),
employee rewards, cancellation before payout (void) and after it (claw-back), a credit moved by a
dispute, and a unit change recomputing what is not paid."""

from __future__ import annotations

from crm_shared.events import new_event
from crm_shared.events.deals import Attribution, DealAttributionChanged, DealPaid, DealUnitChanged
from tests.deals.test_payouts import BRANCH, office
from tests.support.runtime import eventually, publish_event


async def approve_and_pay(o, payout_id: str) -> None:
    r = await o.client.post(f"/v1/payouts/{payout_id}/approve", headers=o.manager, json={})
    assert r.status_code == 200, r.text
    r = await o.client.post(f"/v1/payouts/{payout_id}/pay", headers=o.manager, json={"reference": "流水-9"})
    assert r.status_code == 200 and r.json()["status"] == "paid", r.text


async def test_a_public_referrers_nth_paid_deal_picks_the_tier_even_on_redelivery(urls):
    async with office(urls) as o:
        await o.referrer("r1", "全民经纪人小李")
        deals = [o.deal(price=320_000_000, product="villa", partner=None, referrer="r1") for _ in range(4)]
        for d in deals:
            await o.sign(d)
        for d in deals:  # signed, not paid: each would be the referrer's 1st paid deal
            await o.settled(d["deal_id"], {("referral_reward", "r1"): ("pending", "10000.00")})
        expected = ["10000.00", "12000.00", "15000.00", "15000.00"]
        for nth, (d, amount) in enumerate(zip(deals, expected, strict=True), start=1):
            await o.pay_in_full(d)
            got = await o.settled(d["deal_id"], {("referral_reward", "r1"): ("due", amount)})
            assert got[("referral_reward", "r1")]["nth_paid_deal"] == nth
        # a repeat of the 1st deal's payment (a new event id, so past the inbox) changes nothing
        await o.pay_in_full(deals[0])
        first = deals[0]
        env = new_event(DealPaid(**first, paid_total=first["agreed_price"]), branch_id=BRANCH, subject=first["deal_id"])
        await publish_event(o.settings, env)
        await publish_event(o.settings, env)  # the same id again: dropped by the stream's duplicate window
        probe = o.deal(price=200_000_000, product="villa", partner=None, referrer="r1")  # 1.8–3 M band, 5th paid
        await o.sign(probe)
        await o.pay_in_full(probe)
        got = await o.settled(probe["deal_id"], {("referral_reward", "r1"): ("due", "10000.00")})
        assert got[("referral_reward", "r1")]["nth_paid_deal"] == 5
        for d, amount in zip(deals, expected, strict=True):
            await o.settled(d["deal_id"], {("referral_reward", "r1"): ("due", amount)})


async def test_employee_rewards_by_product_class(urls):
    async with office(urls) as o:
        await o.referrer("e1", "集团财务小王", "employee")
        wanted = {"apartment": "3000.00", "high_rise": "3000.00", "garden_house": "3000.00", "villa": "12000.00"}
        made = {p: o.deal(product=p, price=150_000_000, partner=None, referrer="e1", kind="employee") for p in wanted}
        shop = o.deal(product="shop", price=150_000_000, partner=None, referrer="e1", kind="employee")
        for d in [*made.values(), shop]:
            await o.sign(d)
        for product, amount in wanted.items():
            await o.settled(made[product]["deal_id"], {("referral_reward", "e1"): ("pending", amount)})
        assert await o.payouts(deal_id=shop["deal_id"]) == [], "shops earn employees nothing by default"


async def test_cancelled_before_payout_voids_and_after_payout_claws_back(urls):
    async with office(urls) as o:
        await o.referrer("r1", "李业主", "owner")
        early, late = o.deal(partner="p1", referrer="r1", kind="owner"), o.deal(partner="p1")
        for d in (early, late):
            await o.sign(d)
            await o.pay_in_full(d)
        await o.settled(early["deal_id"], {("commission", "p1"): ("due", "45000.00"),
                                           ("referral_reward", "r1"): ("due", "5000.00")})
        got = await o.settled(late["deal_id"], {("commission", "p1"): ("due", "45000.00")})
        await approve_and_pay(o, got[("commission", "p1")]["id"])
        await o.cancel(early, paid_total=early["agreed_price"])
        await o.cancel(late, paid_total=late["agreed_price"])
        voided = await o.settled(early["deal_id"], {("commission", "p1"): ("void", "45000.00"),
                                                    ("referral_reward", "r1"): ("void", "5000.00")})
        assert voided[("commission", "p1")]["reason"] == "deal_cancelled"
        clawed = await o.settled(late["deal_id"], {("commission", "p1"): ("clawback", "45000.00")})
        assert clawed[("commission", "p1")]["status_name"] == "待追回"
        r = await o.client.post(f"/v1/payouts/{voided[('commission', 'p1')]['id']}/approve", headers=o.manager, json={})
        assert r.status_code == 409 and r.json()["status_now"] == "void"

        async def voids():
            found = {(e["data"]["deal_id"], e["data"]["status"]) for e in await o.events("payout.voided")}
            return found if len(found) >= 2 else None
        assert await eventually(voids) == {(early["deal_id"], "void"), (late["deal_id"], "clawback")}


async def test_a_moved_credit_voids_the_old_and_credits_the_new_and_a_unit_change_recomputes(urls):
    async with office(urls) as o:
        await o.partner("p1", "一号渠道")
        await o.partner("p2", "二号渠道")
        deal = o.deal(partner="p1", price=300_000_000)
        await o.sign(deal)
        await o.settled(deal["deal_id"], {("commission", "p1"): ("pending", "45000.00")})
        moved = deal | {"attribution": Attribution(partner_id="p2")}
        await o.emit(DealAttributionChanged(**moved, previous_attribution=deal["attribution"], dispute_id="dp1"))
        got = await o.settled(deal["deal_id"], {("commission", "p1"): ("void", "45000.00"),
                                                ("commission", "p2"): ("pending", "45000.00")})
        assert got[("commission", "p1")]["reason"] == "no_longer_credited"
        assert got[("commission", "p2")]["beneficiary"]["name"] == "二号渠道"
        # 换房: a cheaper unit; attribution kept, unpaid amounts recomputed
        changed = moved | {"unit_id": "u-new", "agreed_price": 180_000_000}
        await o.emit(DealUnitChanged(**changed, previous_unit_id=deal["unit_id"], previous_agreed_price=300_000_000))
        await o.settled(deal["deal_id"], {("commission", "p1"): ("void", "45000.00"),
                                          ("commission", "p2"): ("pending", "27000.00")})
        await o.pay_in_full(changed)
        got = await o.settled(deal["deal_id"], {("commission", "p1"): ("void", "45000.00"),
                                                ("commission", "p2"): ("due", "27000.00")})
        assert got[("commission", "p2")]["unit_id"] == "u-new"
