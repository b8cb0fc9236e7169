"""Owner archives from `deal.signed` (签约 → 业主档案): opened once whatever the redeliveries, and a person with an
archive in the branch becomes its owner with the deal linked instead of getting a second one."""

from __future__ import annotations

from crm_shared.events import new_event
from crm_shared.events.deals import DealSigned
from crm_shared.events.reception import SealedVisitor
from crm_shared.ids import utcnow, uuid7
from crm_shared.phones import mask, normalize, phone_hash, seal
from tests.customers.test_archives import NORTH, new_phone, office
from tests.support.runtime import eventually, publish_event


def signed(o, phone: str, owner: str, deal_id: str | None = None) -> DealSigned:
    e164 = normalize(phone)
    buyer = SealedVisitor(name="赵女士", phone_masked=mask(e164), phone_hash=phone_hash(e164, o.settings.phone_hash_key),
                          phone_sealed=seal(e164, o.settings.phone_seal_key))
    return DealSigned(deal_id=deal_id or uuid7(), lead_id=uuid7(), unit_id=uuid7(), owner_id=owner, agreed_price=298000000,
                      contract_no="HT-2026-0001", signed_at=utcnow(), customer=buyer, customer_name="赵女士")


async def test_a_signed_deal_opens_one_owner_archive_however_often_it_arrives(urls):
    async with office(urls) as o:
        phone, owner = new_phone(), o.staff[f"c1@{NORTH}"]
        data = signed(o, phone, owner)
        env = new_event(data, branch_id=NORTH, subject=data.deal_id)
        await publish_event(o.settings, env)
        await publish_event(o.settings, env, msg_id=uuid7())  # the same event redelivered past the dedup window
        await publish_event(o.settings, new_event(data, branch_id=NORTH, subject=data.deal_id))  # republished anew
        assert await eventually(lambda: _handled(o, 2)), "the deliveries were not all handled"
        archive = await o.db.archives.find_one({"deals.deal_id": data.deal_id})
        assert await o.db.archives.count_documents({}) == 1
        assert archive["category"] == "owner" and archive["account_manager_id"] == owner
        assert archive["opened_by"] == f"deal:{data.deal_id}" and archive["number"] == "000001"
        assert [d["deal_id"] for d in archive["deals"]] == [data.deal_id]
        assert archive["customer"]["phone_masked"] == mask(normalize(phone)) and "phone" not in archive["customer"]
        r = await o.client.get(f"/v1/archives/{archive['_id']}/phone", headers=o.auth("c1"))
        assert r.json()["phone"] == normalize(phone)  # resealed with our key: the account manager may call the owner
        assert await o.db.archive_numbers.find_one({"_id": NORTH}) == {"_id": NORTH, "seq": 1}


async def _handled(o, n: int) -> bool:
    """The archives consumer recorded `n` distinct events (deliveries are in order: the last one came last)."""
    return await o.db.inbox.count_documents({"consumer": "customers-archives"}) >= n


async def test_a_buyer_with_an_archive_becomes_its_owner_and_the_deal_is_linked(urls):
    async with office(urls) as o:
        phone = new_phone()
        prospect = await o.open(phone=phone)
        assert prospect["category"] == "prospect"
        data = signed(o, phone, o.staff[f"c2@{NORTH}"])
        for _ in range(2):
            await publish_event(o.settings, new_event(data, branch_id=NORTH, subject=data.deal_id))
        linked = await eventually(lambda: o.db.archives.find_one({"_id": prospect["id"], "deals.deal_id": data.deal_id}))
        assert linked["category"] == "owner" and linked["account_manager_id"] == prospect["account_manager_id"]
        second = signed(o, phone, o.staff[f"c2@{NORTH}"])  # a second home for the same owner
        await publish_event(o.settings, new_event(second, branch_id=NORTH, subject=second.deal_id))
        both = await eventually(lambda: o.db.archives.find_one({"_id": prospect["id"], "deals.1": {"$exists": True}}))
        assert [d["deal_id"] for d in both["deals"]] == [data.deal_id, second.deal_id]
        assert await o.db.archives.count_documents({}) == 1
        r = await o.client.get(f"/v1/archives/{prospect['id']}", headers=o.auth("c1"))
        assert r.json()["category"] == "owner" and len(r.json()["deals"]) == 2
