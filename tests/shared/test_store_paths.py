"""What the platform does better on real MongoDB than on the dev store (crm_shared.stores), each path
where it runs: the store detected at start and put on the context, the key a duplicate broke, TTL
indexes for bounded-life records. MongoDB-marked tests run on the Docker path (CI); each has a
dev-store counterpart that runs everywhere else."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError, OperationFailure

from crm_shared.stores import DEV_STORE, duplicate_key, of_build_info
from crm_shared.timers import Retention, ensure_retention_indexes
from tests.shared.test_platform_runtime import TickService, TickSettings
from tests.support.runtime import isolated_settings, running

MONGODB_7 = {"version": "7.0.14", "gitVersion": "ce59cfc6a3c5e5c067dca0d30697edd68d4f5188", "modules": [],
             "versionArray": [7, 0, 14, 0], "bits": 64, "ok": 1.0}
FERRETDB = {"version": "7.0.42", "gitVersion": "unknown", "versionArray": [7, 0, 42, 0], "ferretdbVersion": "unknown",
            "ferretdbFeatures": {"aggregationStages": ["$count", "$group"]}, "ok": 1.0}


@pytest.fixture
async def db(urls):
    client = AsyncMongoClient(urls[0], tz_aware=True)
    database = client[f"t{uuid.uuid4().hex[:10]}_paths"]
    yield database
    await client.drop_database(database.name)
    await client.close()


@pytest.mark.unit
def test_build_info_tells_mongodb_from_the_dev_store():
    mongo = of_build_info(MONGODB_7)
    assert mongo.is_mongodb and mongo.version == "7.0.14" and mongo.describe() == "MongoDB 7.0.14"
    assert mongo.names_duplicate_key and mongo.partial_indexes and mongo.ttl_indexes
    dev = of_build_info(FERRETDB)  # FerretDB claims a MongoDB version too: its own field gives it away
    assert dev.kind == "devstore" and not (dev.names_duplicate_key or dev.partial_indexes or dev.ttl_indexes)


@pytest.mark.unit
def test_the_named_key_is_read_from_mongodbs_error_and_absent_from_the_dev_stores():
    named = DuplicateKeyError("E11000 duplicate key error collection: t.deals index: one_deal_per_contract_number",
                              11000, {"index": 0, "code": 11000, "keyPattern": {"contract_key": 1},
                                      "keyValue": {"contract_key": "sz:ht-1"}})
    assert duplicate_key(named) == {"contract_key": "sz:ht-1"}
    bulk = OperationFailure("batch op errors occurred", 65, {"writeErrors": [
        {"index": 0, "code": 11000, "keyValue": {"unit_key": "u1"}}]})
    assert duplicate_key(bulk) == {"unit_key": "u1"}
    unnamed = DuplicateKeyError("E11000 duplicate key error collection: t.x", 11000, {"index": 0, "code": 11000})
    assert duplicate_key(unnamed) is None


async def _duplicate_by_update(db) -> DuplicateKeyError:
    await db.things.create_index([("k", 1)], unique=True)
    await db.things.insert_many([{"_id": 1, "k": "a"}, {"_id": 2, "k": "b"}])
    with pytest.raises(DuplicateKeyError) as caught:  # an update onto a taken key: E11000 on both stores
        await db.things.find_one_and_update({"_id": 2}, {"$set": {"k": "a"}})
    return caught.value


@pytest.mark.store("devstore")
async def test_the_dev_store_does_not_name_the_duplicate_key(db):
    exc = await _duplicate_by_update(db)
    assert exc.code == 11000 and duplicate_key(exc) is None
    assert await db.things.find_one({"_id": 2}) == {"_id": 2, "k": "b"}, "the refused update changed nothing"


@pytest.mark.store("mongodb")
async def test_mongodb_names_the_duplicate_key(db):
    exc = await _duplicate_by_update(db)
    assert isinstance(exc, DuplicateKeyError) and duplicate_key(exc) == {"k": "a"}


async def _indexes(db, collection: str) -> dict[str, dict]:
    return {ix["name"]: ix for ix in await (await db[collection].list_indexes()).to_list()}


@pytest.mark.store("devstore")
async def test_on_the_dev_store_retention_fields_get_a_plain_index(db, store):
    await ensure_retention_indexes(db, [Retention("inbox", "at", timedelta(days=30))], ttl=store.ttl_indexes)
    ix = (await _indexes(db, "inbox"))["at_1"]
    assert ix["key"] == {"at": 1} and "expireAfterSeconds" not in ix


@pytest.mark.store("mongodb")
async def test_on_mongodb_retention_fields_get_a_ttl_index_kept_in_step_with_the_setting(db, store):
    await db.plain.create_index([("at", 1)])  # as an earlier start (or the dev store path) left it
    keeps = [Retention("inbox", "at", timedelta(days=30)), Retention("plain", "at", timedelta(hours=2))]
    await ensure_retention_indexes(db, keeps, ttl=store.ttl_indexes)
    assert (await _indexes(db, "inbox"))["at_1"]["expireAfterSeconds"] == 30 * 86400
    assert (await _indexes(db, "plain"))["at_1"]["expireAfterSeconds"] == 2 * 3600  # converted in place
    await ensure_retention_indexes(db, [Retention("inbox", "at", timedelta(days=7))], ttl=True)
    assert (await _indexes(db, "inbox"))["at_1"]["expireAfterSeconds"] == 7 * 86400


async def test_the_platform_puts_the_detected_store_on_the_context_and_indexes_retention_by_it(urls, store):
    settings = isolated_settings(*urls)
    async with running([TickService("a", TickSettings(tick_seconds=3600, keep_hours=3))], settings) as (app, _):
        ctx = app.state.contexts["ticker"]
        assert ctx.store == store
        ix = (await _indexes(ctx.db, "ticks"))["at_1"]
        assert ix.get("expireAfterSeconds") == (3 * 3600 if store.ttl_indexes else None)


@pytest.mark.unit
def test_a_context_nobody_asked_takes_the_portable_path():
    from crm_shared.config import Settings
    from crm_shared.plugins import ServiceContext

    ctx = ServiceContext("demo", Settings(), db=None, js=None, relay=None)  # type: ignore[arg-type]
    assert ctx.store is DEV_STORE
