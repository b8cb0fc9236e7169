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
    try:
        await asyncio.wait_for(client.drop_database(db.name), 30)  # a wedged store fails the test, not the run
    finally:
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


def _uses_index(explain: dict, index_name: str) -> bool:
    """MongoDB reports an IXSCAN stage; the dev store reports SQLite's query plan."""
    planner = explain["queryPlanner"]
    if "Plan" in planner:  # dev store (FerretDB + SQLite)
        return any("USING INDEX" in line and index_name in line for line in planner["Plan"])
    return f"'indexName': '{index_name}'" in str(planner["winningPlan"])


async def test_equality_on_an_indexed_field_finds_exactly_the_matches(col):
    """Lookups by an indexed key (the dedup key, a job's slot) are what keeps registration
    and dispatch flat as collections grow; they must still return exactly MongoDB's matches."""
    await col.create_index([("k", 1)], name="k_1")
    await col.create_index([("s", 1), ("n", 1)], name="s_n")
    await col.insert_many([{"_id": f"d{i}", "k": f"key{i % 50}", "s": "odd" if i % 2 else "even", "n": i} for i in range(500)])
    await col.insert_many([{"_id": "num", "k": 7, "s": {"nested": "odd"}}, {"_id": "missing"}])

    assert sorted(d["n"] for d in await col.find({"k": "key7"}).to_list(None)) == list(range(7, 500, 50))
    assert [d["_id"] for d in await col.find({"k": "key7", "n": 57}).to_list(None)] == ["d57"]
    assert await col.find({"k": "key7", "n": 58}).to_list(None) == []
    assert [d["_id"] for d in await col.find({"k": 7}).to_list(None)] == ["num"]  # a number is not pushed down
    assert await col.count_documents({"s": "odd"}) == 250
    assert await col.count_documents({"s": "odd", "n": {"$lt": 10}}) == 5
    assert await col.count_documents({"k": "nope"}) == 0
    claimed = await col.find_one_and_update({"s": "even", "k": "key10"}, {"$set": {"s": "taken"}})
    assert claimed["_id"] == "d10"
    assert (await col.update_many({"k": "key10"}, {"$set": {"seen": True}})).modified_count == 10
    assert (await col.delete_many({"s": "taken"})).deleted_count == 1
    assert await col.count_documents({"k": "key10"}) == 9

    explain = await col.database.command("explain", {"find": col.name, "filter": {"k": "key7", "n": 57}})
    assert _uses_index(explain, "k_1"), explain["queryPlanner"]


async def test_a_bulk_write_of_many_single_updates_completes(col):
    """One `update` command with hundreds of statements (the outbox clears published events this
    way). FerretDB v1 kept each statement's query open until the command ended, pinning one of its
    100 pooled SQLite connections each, and the 101st statement waited forever (the dev store
    patches this; see deploy/devstore/patch_ferretdb.py)."""
    from pymongo import UpdateOne

    await col.insert_many([{"_id": f"b{i}", "n": 0, "tag": "x"} for i in range(300)])
    ops = [UpdateOne({"_id": f"b{i}", "tag": "x"}, {"$inc": {"n": 1}}) for i in range(300)]
    result = await asyncio.wait_for(col.bulk_write(ops, ordered=True), 60)
    assert result.modified_count == 300
    assert await asyncio.wait_for(col.count_documents({"n": 1}), 30) == 300


async def test_in_on_id_or_an_indexed_field_finds_exactly_the_matches(col):
    """Batched lookups and clears (channel-report claims, the outbox) use `$in` on `_id`; the dev
    store serves it from the index, and it must still match exactly what MongoDB matches."""
    await col.create_index([("k", 1)], name="k_1")
    await col.insert_many([{"_id": f"d{i}", "k": f"key{i % 50}", "n": i} for i in range(500)])
    await col.insert_many([{"_id": 7, "k": 7, "n": -1}, {"_id": "arr", "k": ["key1"], "n": -2}])

    found = await col.find({"_id": {"$in": ["d3", "d499", "nope", "d3"]}}).to_list(None)
    assert sorted(d["_id"] for d in found) == ["d3", "d499"]
    assert [d["_id"] for d in await col.find({"_id": {"$in": [7, "d1"]}}).sort("n", 1).to_list(None)] == [7, "d1"]  # a number: not pushed down, still found
    assert await col.find({"_id": {"$in": []}}).to_list(None) == []
    assert sorted(d["n"] for d in await col.find({"k": {"$in": ["key2", "key3"]}, "n": {"$lt": 60}}).to_list(None)) == [2, 3, 52, 53]
    assert await col.count_documents({"_id": {"$in": ["d1", "d2"]}, "n": 2}) == 1
    result = await col.update_many({"_id": {"$in": [f"d{i}" for i in range(0, 500, 5)]}, "n": {"$gte": 250}}, {"$set": {"seen": True}})
    assert result.modified_count == 50
    assert await col.count_documents({"seen": True}) == 50

    explain = await col.database.command("explain", {"find": col.name, "filter": {"_id": {"$in": ["d1", "d2"]}}})
    planner = explain["queryPlanner"]
    if "Plan" in planner:  # dev store: the primary key's index, not a scan of the table
        assert any("USING INDEX" in line for line in planner["Plan"]), planner
    explain = await col.database.command("explain", {"find": col.name, "filter": {"k": {"$in": ["key1", "key2"]}}})
    assert _uses_index(explain, "k_1"), explain["queryPlanner"]


async def test_an_update_of_many_documents_writes_every_one(col):
    """The dev store writes an update's modified documents together, 100 per transaction; every
    one of them must land, across the chunk boundaries, and the unmatched must stay as they were."""
    await col.insert_many([{"_id": f"m{i:03d}", "n": i, "odd": i % 2 == 1} for i in range(350)])
    result = await col.update_many({"odd": False}, {"$inc": {"n": 1000}, "$set": {"seen": True}})
    assert (result.matched_count, result.modified_count) == (175, 175)
    docs = {d["_id"]: d for d in await col.find().to_list(None)}
    assert all(d["n"] == (i + 1000 if i % 2 == 0 else i) for i, d in enumerate(docs[f"m{i:03d}"] for i in range(350)))
    assert sum(1 for d in docs.values() if d.get("seen")) == 175
    unchanged = await col.update_many({"n": {"$gte": 1000}}, {"$set": {"seen": True}})
    assert (unchanged.matched_count, unchanged.modified_count) == (175, 0)
