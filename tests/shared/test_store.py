"""What the design relies on from the store, checked on whichever store the run uses:
single-document atomic updates, conditional claims and unique indexes under concurrency."""

import asyncio
import uuid

import pytest
from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.errors import DuplicateKeyError


@pytest.fixture
async def col(urls):
    client = AsyncMongoClient(urls[0], tz_aware=True, maxPoolSize=64)
    db = client[f"t{uuid.uuid4().hex[:10]}_store"]
    yield db.things
    await client.drop_database(db.name)
    await client.close()


async def test_concurrent_increments_are_not_lost(col):
    await col.insert_one({"_id": "a", "n": 0})
    await asyncio.gather(*(col.update_one({"_id": "a"}, {"$inc": {"n": 1}}) for _ in range(64)))
    assert (await col.find_one({"_id": "a"}))["n"] == 64


async def test_only_one_conditional_claim_wins(col):
    for trial in range(5):
        await col.insert_one({"_id": trial, "owner": None})
        results = await asyncio.gather(*(
            col.find_one_and_update({"_id": trial, "owner": None}, {"$set": {"owner": i}}, return_document=ReturnDocument.AFTER)
            for i in range(16)
        ))
        assert sum(r is not None for r in results) == 1


async def test_optimistic_version_guard_lets_one_writer_through(col):
    await col.insert_one({"_id": "v", "version": 1})
    results = await asyncio.gather(*(col.update_one({"_id": "v", "version": 1}, {"$set": {"by": i}, "$inc": {"version": 1}}) for i in range(16)))
    assert sum(r.modified_count for r in results) == 1


async def test_unique_index_rejects_concurrent_duplicates(col):
    await col.create_index([("key", 1)], unique=True)

    async def insert(i):
        try:
            await col.insert_one({"_id": i, "key": "same"})
            return True
        except DuplicateKeyError:
            return False

    assert sum(await asyncio.gather(*(insert(i) for i in range(16)))) == 1
