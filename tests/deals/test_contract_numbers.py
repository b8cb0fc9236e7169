"""One deal per contract number in a branch (crm_deals.deals.contracts), on both stores: concurrent
signings under one number make one signed deal, the number folds case and spaces; on MongoDB a
partial unique index carries it (no claim documents), on the dev store a claim document does."""

from __future__ import annotations

import asyncio

import pytest

from crm_deals.deals.contracts import CONTRACTS, INDEX, KEY, contract_key
from tests.deals.test_deals import BRANCH, office


async def _subscribed(o, n: int) -> list[dict]:
    return [await o.subscribe(await o.lead(), (await o.unit())["id"]) for _ in range(n)]


async def test_concurrent_signings_under_one_number_sign_one_deal(urls):
    async with office(urls) as o:
        deals = await _subscribed(o, 4)
        numbers = ["HT-7", "ht-7", "HT -7", " Ht-7"]
        answers = await asyncio.gather(*(o.client.post(f"/v1/deals/{d['id']}/sign", headers=o.manager,
                                                       json={"contract_no": n}) for d, n in zip(deals, numbers)))
        won = [r.json() for r in answers if r.status_code == 200]
        lost = [r.json() for r in answers if r.status_code == 409]
        assert len(won) == 1 and len(lost) == 3, [r.text for r in answers]
        assert all(p["type"].endswith("/contract-exists") and p["holder_deal_id"] == won[0]["id"] for p in lost)
        assert await o.ctx.db.deals.count_documents({"status": "signed"}) == 1
        stored = await o.ctx.db.deals.find_one({"_id": won[0]["id"]})
        assert stored[KEY] == contract_key(BRANCH, "HT-7") == f"{BRANCH}:ht-7"
        # the losers wrote nothing and may sign under another number
        loser = next(d for d, r in zip(deals, answers) if r.status_code == 409)
        again = await o.post(f"/v1/deals/{loser['id']}/sign", {"contract_no": "HT-8"})
        assert again["status"] == "signed"


@pytest.mark.store("devstore")
async def test_on_the_dev_store_a_claim_document_holds_the_number(urls):
    async with office(urls) as o:
        [deal] = await _subscribed(o, 1)
        await o.post(f"/v1/deals/{deal['id']}/sign", {"contract_no": "HT-21"})
        claim = await o.ctx.db[CONTRACTS].find_one({"_id": contract_key(BRANCH, "HT-21")})
        assert claim is not None and claim["deal_id"] == deal["id"]
        assert INDEX not in {ix["name"] for ix in await (await o.ctx.db.deals.list_indexes()).to_list()}


@pytest.mark.store("mongodb")
async def test_on_mongodb_a_partial_unique_index_holds_the_number_and_earlier_claims_still_bind(urls):
    async with office(urls) as o:
        indexes = {ix["name"]: ix for ix in await (await o.ctx.db.deals.list_indexes()).to_list()}
        assert indexes[INDEX]["unique"] and indexes[INDEX]["partialFilterExpression"] == {KEY: {"$type": "string"}}
        first, second, third = await _subscribed(o, 3)
        await o.post(f"/v1/deals/{first['id']}/sign", {"contract_no": "HT-21"})
        assert await o.ctx.db[CONTRACTS].count_documents({}) == 0  # the index alone carries the rule
        taken = await o.post(f"/v1/deals/{second['id']}/sign", {"contract_no": "ht 21"}, expect=409)
        assert taken["holder_deal_id"] == first["id"]
        # a number claimed the dev store's way (before the store was MongoDB) stays taken
        await o.ctx.db[CONTRACTS].insert_one({"_id": contract_key(BRANCH, "HT-22"), "deal_id": "d-earlier"})
        earlier = await o.post(f"/v1/deals/{third['id']}/sign", {"contract_no": "HT-22"}, expect=409)
        assert earlier["holder_deal_id"] == "d-earlier"
