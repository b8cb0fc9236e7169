"""Deals' events on the lead (issue 18): signed wins it and shows the deal, paid is recorded, a cancellation
records the refund and reopens the lead it had won; amounts are fen inside, decimal strings outside."""

from datetime import timedelta

import pytest

from crm_leads.deals import money, rules
from crm_shared.events import new_event
from crm_shared.events.deals import Attribution, DealCancelled, DealPaid, DealSigned
from crm_shared.events.leads import LeadWon
from crm_shared.ids import utcnow
from crm_shared.phones import normalize, unseal
from tests.leads.builders import new_phone, office
from tests.leads.test_attribution import events
from tests.support.runtime import eventually, publish_event

PRICE = 298000050  # 2,980,000.50 CNY in fen


def deal_event(o, cls, lead_id: str, deal_id: str = "d1", at=None, **extra):
    common = dict(deal_id=deal_id, lead_id=lead_id, unit_id="u-3-1201", agreed_price=PRICE, customer_name="王先生")
    env = new_event(cls(**common, **extra), branch_id=o.branch, subject=deal_id)
    return env.model_copy(update={"time": at}) if at is not None else env


async def lead_where(o, lead_id: str, check):
    async def probe():
        doc = await o.ctx.db.leads.find_one({"_id": lead_id})
        return doc if doc and check(doc) else None
    return await eventually(probe)


async def test_a_signed_deal_wins_the_lead_and_shows_the_deal(urls):
    async with office(urls) as o:
        cid = await o.add_staff("sun")
        me = o.as_("consultant", cid)
        lead = await o.register(me)
        signed = deal_event(o, DealSigned, lead["id"], contract_no="HT-2026-0001",
                            attribution=Attribution(partner_id="agency-1"))
        for suffix in ("", "-again"):  # a redelivery (another stream message) changes nothing
            await publish_event(o.settings, signed, msg_id=signed.id + suffix)
        assert await lead_where(o, lead["id"], lambda d: d["status"] == "won")
        shown = (await o.client.get(f"/v1/leads/{lead['id']}", headers=me)).json()
        assert shown["status"] == "won" and shown["amount"] == "2980000.50"
        assert shown["deal"]["deal_id"] == "d1" and shown["deal"]["contract_no"] == "HT-2026-0001"
        assert shown["deal"]["agreed_price"] == "2980000.50" and shown["deal"]["status"] == "signed"
        won = await eventually(lambda: events(o.settings, "lead.won"))
        assert len(won) == 1, "one lead.won however often the signing arrives"
        data = won[0]["data"]
        assert data["deal_id"] == "d1" and data["amount_fen"] == PRICE and data["partner_id"] == "agency-1"
        assert data["amount"] == 2980000.5, "old readers keep the yuan number"
        assert LeadWon.model_validate(data).fen() == PRICE


async def test_payment_and_a_cancellation_record_the_refund_and_reopen_the_lead(urls):
    async with office(urls) as o:
        cid = await o.add_staff("sun")
        me = o.as_("consultant", cid)
        phone = new_phone()
        lead = await o.register(me, phone, grade="A")
        t0 = utcnow()
        await publish_event(o.settings, deal_event(o, DealSigned, lead["id"], contract_no="HT-1", at=t0))
        await lead_where(o, lead["id"], lambda d: d["status"] == "won")
        await publish_event(o.settings, deal_event(o, DealPaid, lead["id"], paid_total=PRICE, at=t0 + timedelta(minutes=1)))
        paid = await lead_where(o, lead["id"], lambda d: d["deals"][-1]["status"] == "paid")
        assert paid["status"] == "won" and paid["deals"][-1]["paid_total"] == PRICE
        cancelled = deal_event(o, DealCancelled, lead["id"], reason="financing_failed", refund=5000000, paid_total=PRICE,
                               previous_status="paid", at=t0 + timedelta(minutes=2))
        await publish_event(o.settings, cancelled)
        late = deal_event(o, DealPaid, lead["id"], paid_total=PRICE, at=t0 + timedelta(minutes=3))
        await publish_event(o.settings, late)
        doc = await lead_where(o, lead["id"], lambda d: d["deals"][-1]["status"] == "cancelled")
        assert doc["status"] == "negotiating" and doc["owner_id"] == cid and doc["closed_at"] is None
        assert doc["next_follow_up_at"] is not None and not doc["in_pool"]
        shown = (await o.client.get(f"/v1/leads/{lead['id']}", headers=me)).json()
        assert shown["amount"] is None and shown["deal"]["status"] == "cancelled"
        assert shown["deal"]["refund"] == "50000.00" and shown["deal"]["cancel_reason"] == "financing_failed"
        assert shown["deal"]["contract_no"] == "HT-1", "the cancelled deal keeps what was signed"
        updates = [e["data"]["changes"] for e in await events(o.settings, "lead.updated")]
        reopened = [c for c in updates if c.get("deal_status") == "cancelled"]
        assert reopened == [reopened[0]] and reopened[0]["reopened"] is True and reopened[0]["refund"] == 5000000
        assert reopened[0]["status"] == "negotiating"
        assert await eventually(lambda: o.ctx.db.inbox.find_one({"_id": f"leads-main:{late.id}"}))
        assert (await o.ctx.db.leads.find_one({"_id": lead["id"]}))["deals"][-1]["status"] == "cancelled", \
            "a payment arriving after the cancellation changes nothing"
        r = await o.client.post("/v1/leads", json=o.lead_body(phone), headers=me)
        assert r.status_code == 409 and r.json()["existing_lead_id"] == lead["id"], "the reopened lead holds the phone again"
        r = await o.client.post(f"/v1/leads/{lead['id']}/follow-ups", json={"kind": "call"}, headers=me)
        assert r.status_code == 201, "back to follow-up"


async def test_a_cancelled_deal_whose_phone_is_taken_leaves_the_lead_closed(urls):
    async with office(urls) as o:
        cid = await o.add_staff("sun")
        me = o.as_("consultant", cid)
        phone = new_phone()
        lead = await o.register(me, phone)
        await publish_event(o.settings, deal_event(o, DealSigned, lead["id"], contract_no="HT-2"))
        await lead_where(o, lead["id"], lambda d: d["status"] == "won")
        newer = await o.register(me, phone)  # the customer came back meanwhile
        await publish_event(o.settings, deal_event(o, DealCancelled, lead["id"], reason="changed_mind", refund=100))
        doc = await lead_where(o, lead["id"], lambda d: d["deals"][-1]["status"] == "cancelled")
        assert doc["status"] == "won" and doc["deals"][-1]["refund"] == 100
        change = next(e["data"]["changes"] for e in await events(o.settings, "lead.updated")
                      if e["data"]["changes"].get("deal_status") == "cancelled")
        assert change["reopened"] is False and change["open_lead_id"] == newer["id"]


async def test_closing_won_by_hand_stays_and_a_later_deal_only_shows_on_it(urls):
    async with office(urls) as o:
        cid = await o.add_staff("sun")
        me = o.as_("consultant", cid)
        lead = await o.register(me)
        r = await o.client.post(f"/v1/leads/{lead['id']}/close", json={"outcome": "won", "amount": "1500000.1"}, headers=me)
        assert r.status_code == 200 and r.json()["amount"] == "1500000.10"
        assert (await o.lead(lead["id"]))["amount_fen"] == 150000010
        await publish_event(o.settings, deal_event(o, DealSigned, lead["id"], contract_no="HT-3"))
        doc = await lead_where(o, lead["id"], lambda d: d.get("won_deal_id") == "d1")
        assert doc["amount_fen"] == PRICE and doc["status"] == "won"
        won = await events(o.settings, "lead.won")
        assert len(won) == 1 and won[0]["data"]["amount_fen"] == 150000010 and won[0]["data"]["deal_id"] is None
        assert won[0]["data"]["amount"] == 1500000.1


async def test_a_deal_of_a_lead_of_another_branch_changes_nothing(urls):
    async with office(urls) as o:
        await o.add_branch("b2")
        cid = await o.add_staff("sun")
        lead = await o.register(o.as_("consultant", cid))
        env = deal_event(o, DealSigned, lead["id"], contract_no="HT-4").model_copy(update={"branch_id": "b2"})
        await publish_event(o.settings, env)
        assert await eventually(lambda: o.ctx.db.inbox.find_one({"_id": f"leads-main:{env.id}"}))
        assert (await o.lead(lead["id"]))["status"] == "new"


@pytest.mark.parametrize("amount", ["-1", "1.234", "abc", True, "NaN", 1e12, [1]])
async def test_a_bad_amount_is_a_422_and_changes_nothing(urls, amount):
    async with office(urls) as o:
        cid = await o.add_staff("sun")
        me = o.as_("consultant", cid)
        lead = await o.register(me)
        r = await o.client.post(f"/v1/leads/{lead['id']}/close", json={"outcome": "won", "amount": amount}, headers=me)
        assert r.status_code == 422, r.text
        assert (await o.lead(lead["id"]))["status"] == "new"


async def test_registration_seals_the_number_for_the_services(urls):
    async with office(urls) as o:
        cid = await o.add_staff("sun")
        phone = new_phone()
        await o.register(o.as_("consultant", cid), phone)
        [registered] = await eventually(lambda: events(o.settings, "lead.registered"))
        customer = registered["data"]["customer"]
        assert customer["phone_sealed"].startswith("s2."), "sealed under the customer's own key"
        assert await o.ctx.keys.unseal(customer["phone_sealed"]) == normalize(phone)
        assert unseal(customer["phone_sealed"], o.settings.phone_seal_key) is None, "the root key alone opens nothing"
        assert phone not in str(registered), "only sealed"


@pytest.mark.unit
def test_money_is_fen_inside_and_two_places_outside():
    from decimal import Decimal
    assert money.to_fen(Decimal("2980000.5")) == 298000050 and money.to_fen(Decimal("0.1")) == 10
    assert money.from_fen(298000050) == "2980000.50" and money.from_fen(5) == "0.05" and money.from_fen(None) is None
    assert money.stored_fen({"amount": 0.29}) == 29 and money.stored_fen({"amount_fen": 7, "amount": 1.0}) == 7
    assert LeadWon(lead_id="l", amount=0.29).fen() == 29 and LeadWon(lead_id="l").fen() is None


@pytest.mark.unit
def test_per_deal_the_later_stage_wins_and_a_cancellation_is_final():
    at = utcnow()
    signed = {"deal_id": "d", "status": "signed", "agreed_price": 1, "as_of": at}
    deals, entry = rules.merged([], signed)
    assert rules.merged(deals, signed) is None, "a redelivery changes nothing"
    deals, entry = rules.merged(deals, {"deal_id": "d", "status": "cancelled", "refund": 5, "as_of": at})
    assert entry["refund"] == 5 and entry["agreed_price"] == 1
    assert rules.merged(deals, {"deal_id": "d", "status": "paid", "as_of": at}) is None
    assert rules.effect({"status": "won", "won_deal_id": "d"}, entry).kind == "reopen"
    assert rules.effect({"status": "won", "won_deal_id": "other"}, entry).kind == "record"
    assert rules.effect({"status": "visited"}, signed).kind == "won"
    assert rules.effect({"status": "lost"}, signed).kind == "won", "a signed contract outranks a lost mark"
    assert rules.effect({"status": "won", "won_deal_id": "e"}, signed).kind == "record"
    assert rules.effect({"status": "won"}, signed).sets == {"won_deal_id": "d", "amount_fen": 1}
