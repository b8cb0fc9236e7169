"""换房 on the lead (issue 18): `deal.unit_changed` moves the lead's deal to the new unit and price (and the lead's
amount when that deal won it); per deal the newer event wins, so a repeat, an older change or a late payment keeps
the newest unit, and a signing that arrives after a later unit change shows the new unit at once."""

from datetime import datetime, timedelta

import pytest

from crm_leads.deals import rules
from crm_shared.events import new_event
from crm_shared.events.deals import DealPaid, DealSigned, DealUnitChanged
from crm_shared.ids import utcnow
from tests.leads.builders import office
from tests.leads.test_attribution import events
from tests.leads.test_deals_on_leads import PRICE, lead_where
from tests.support.runtime import eventually, publish_event

NEW_PRICE = 318000000  # 3,180,000.00 CNY in fen
OLD, NEW = "湾区壹号 3栋 1201", "湾区壹号 9栋 0802"


def moved(o, lead_id: str, at, unit_id: str = "u-9-0802", label: str = NEW, price: int = NEW_PRICE, **extra):
    return deal_event(o, DealUnitChanged, lead_id, at=at, unit_label=label, previous_unit_id="u-3-1201",
                      previous_unit_label=OLD, previous_agreed_price=PRICE, previous_product_type="apartment",
                      product_type="villa", status="signed", **(extra | {"unit_id": unit_id, "agreed_price": price}))


def deal_event(o, cls, lead_id, at=None, **extra):
    """A deal event of deal d1 (as tests/leads/test_deals_on_leads builds them), its unit and price overridable."""
    common = dict(deal_id="d1", lead_id=lead_id, unit_id="u-3-1201", agreed_price=PRICE, customer_name="王先生",
                  unit_label=OLD)
    env = new_event(cls(**(common | extra)), branch_id=o.branch, subject="d1")
    return env.model_copy(update={"time": at}) if at is not None else env


async def _unit_updates(o) -> list[dict]:
    return [e["data"]["changes"] for e in await events(o.settings, "lead.updated")
            if "previous_unit_id" in e["data"]["changes"]]


async def test_a_unit_change_moves_the_won_deal_and_the_amount_once(urls):
    async with office(urls) as o:
        cid = await o.add_staff("sun")
        me = o.as_("consultant", cid)
        lead = await o.register(me)
        t0 = utcnow()
        await publish_event(o.settings, deal_event(o, DealSigned, lead["id"], at=t0, contract_no="HT-U1"))
        await lead_where(o, lead["id"], lambda d: d["status"] == "won")
        change = moved(o, lead["id"], t0 + timedelta(minutes=10))
        for suffix in ("", "-again"):  # a redelivery past the dedup window changes nothing
            await publish_event(o.settings, change, msg_id=change.id + suffix)
        doc = await lead_where(o, lead["id"], lambda d: d["deals"][-1]["unit_id"] == "u-9-0802")
        assert doc["amount_fen"] == NEW_PRICE and doc["deals"][-1]["agreed_price"] == NEW_PRICE
        shown = (await o.client.get(f"/v1/leads/{lead['id']}", headers=me)).json()
        assert (shown["deal"]["unit_label"], shown["deal"]["agreed_price"], shown["amount"]) == (NEW, "3180000.00", "3180000.00")
        assert shown["deal"]["contract_no"] == "HT-U1" and shown["deal"]["status"] == "signed"
        # an older unit change and a payment sent before the move (carrying the old unit) keep the newest unit
        older = moved(o, lead["id"], t0 + timedelta(minutes=5), unit_id="u-5-0101", label="湾区壹号 5栋 0101", price=1)
        late = deal_event(o, DealPaid, lead["id"], at=t0 + timedelta(minutes=8), paid_total=PRICE)
        for env in (older, late):
            await publish_event(o.settings, env)
            assert await eventually(lambda env=env: o.ctx.db.inbox.find_one({"_id": f"leads-main:{env.id}"}))
        doc = await lead_where(o, lead["id"], lambda d: d["deals"][-1]["status"] == "paid")
        assert (doc["deals"][-1]["unit_id"], doc["deals"][-1]["unit_label"], doc["amount_fen"]) == (
            "u-9-0802", NEW, NEW_PRICE)
        updates = await _unit_updates(o)
        assert len(updates) == 1, "one lead.updated for one unit change, however often it arrives"
        assert updates[0] == {"deal_id": "d1", "deal_status": "signed", "unit_id": "u-9-0802", "unit_label": NEW,
                              "agreed_price": NEW_PRICE, "previous_unit_id": "u-3-1201", "amount_fen": NEW_PRICE}
        assert len(await events(o.settings, "lead.won")) == 1, "a unit change never wins the lead again"


async def test_a_signing_arriving_after_a_later_unit_change_shows_the_new_unit(urls):
    async with office(urls) as o:
        cid = await o.add_staff("sun")
        lead = await o.register(o.as_("consultant", cid))
        t0 = utcnow()
        change = moved(o, lead["id"], t0 + timedelta(minutes=10))
        await publish_event(o.settings, change)  # the lead shows no deal yet: only remembered
        assert await eventually(lambda: o.ctx.db.inbox.find_one({"_id": f"leads-main:{change.id}"}))
        assert (await o.lead(lead["id"]))["status"] == "new" and await _unit_updates(o) == []
        signed_at = t0 - timedelta(days=1)
        signed = deal_event(o, DealSigned, lead["id"], at=t0, contract_no="HT-U2", owner_id="seller-1",
                            signed_at=signed_at)
        await publish_event(o.settings, signed)
        doc = await lead_where(o, lead["id"], lambda d: d["status"] == "won")
        assert (doc["deals"][-1]["unit_id"], doc["deals"][-1]["unit_label"], doc["amount_fen"]) == (
            "u-9-0802", NEW, NEW_PRICE)
        (won,) = await eventually(lambda: events(o.settings, "lead.won"))
        assert won["data"]["amount_fen"] == NEW_PRICE and won["data"]["deal_id"] == "d1"
        # the win names the consultant who sold and the signing date, as the sales report counts them
        assert won["data"]["owner_id"] == "seller-1" and datetime.fromisoformat(won["data"]["signed_at"]) == signed_at


async def test_a_unit_change_of_another_branch_or_an_unknown_lead_changes_nothing(urls):
    async with office(urls) as o:
        await o.add_branch("b2")
        cid = await o.add_staff("sun")
        lead = await o.register(o.as_("consultant", cid))
        t0 = utcnow()
        await publish_event(o.settings, deal_event(o, DealSigned, lead["id"], at=t0, contract_no="HT-U3"))
        await lead_where(o, lead["id"], lambda d: d["status"] == "won")
        foreign = moved(o, lead["id"], t0 + timedelta(minutes=1)).model_copy(update={"branch_id": "b2"})
        unknown = moved(o, "no-such-lead", t0 + timedelta(minutes=1))
        for env in (foreign, unknown):
            await publish_event(o.settings, env)
            assert await eventually(lambda env=env: o.ctx.db.inbox.find_one({"_id": f"leads-main:{env.id}"}))
        doc = await o.lead(lead["id"])
        assert doc["deals"][-1]["unit_id"] == "u-3-1201" and doc["amount_fen"] == PRICE


@pytest.mark.unit
def test_per_deal_the_newer_unit_wins_in_any_order():
    at = utcnow()
    signed = {"deal_id": "d", "status": "signed", "agreed_price": 1, "unit_id": "a", "unit_label": "A", "as_of": at,
              "unit_as_of": at}
    move = {"deal_id": "d", "unit_id": "b", "unit_label": "B", "agreed_price": 2, "unit_as_of": at + timedelta(1)}
    assert rules.moved([], move) is None, "a deal the lead does not show yet"
    deals, entry = rules.moved([signed], move)
    assert (entry["unit_id"], entry["agreed_price"], entry["status"]) == ("b", 2, "signed")
    assert rules.moved(deals, move) is None, "a repeat changes nothing"
    assert rules.moved(deals, move | {"unit_id": "c", "unit_as_of": at}) is None, "an older change changes nothing"
    paid = {"deal_id": "d", "status": "paid", "agreed_price": 1, "unit_id": "a", "as_of": at + timedelta(hours=1),
            "unit_as_of": at + timedelta(hours=1)}
    _, after = rules.merged(deals, paid)
    assert (after["unit_id"], after["agreed_price"], after["status"]) == ("b", 2, "paid"), "the move is newer"
    _, first = rules.merged([], signed, move)
    assert (first["unit_id"], first["unit_label"], first["agreed_price"]) == ("b", "B", 2), "a remembered move wins"
    _, kept = rules.merged([], signed, move | {"unit_as_of": at - timedelta(1)})
    assert kept["unit_id"] == "a", "an older remembered move does not"
    assert rules.move_effect({"status": "won", "won_deal_id": "d"}, entry) == {"amount_fen": 2}
    assert rules.move_effect({"status": "won", "won_deal_id": "e"}, entry) == {}
