import asyncio
import uuid

import pytest
from pymongo import AsyncMongoClient

from crm_shared import leases


@pytest.fixture
async def db(urls):
    client = AsyncMongoClient(urls[0], tz_aware=True)
    database = client[f"t{uuid.uuid4().hex[:10]}_leases"]
    yield database
    await client.drop_database(database.name)
    await client.close()


async def test_one_owner_at_a_time_and_takeover_after_expiry(db):
    results = await asyncio.gather(*(leases.acquire(db, "overdue-scan", f"r{i}", 0.5) for i in range(8)))
    assert sum(results) == 1
    winner = f"r{results.index(True)}"
    assert await leases.acquire(db, "overdue-scan", winner, 0.5), "the owner renews"
    assert not await leases.acquire(db, "overdue-scan", "other", 0.5)
    await asyncio.sleep(0.6)
    assert await leases.acquire(db, "overdue-scan", "other", 0.5)
    await leases.release(db, "overdue-scan", "other")
    assert await leases.acquire(db, "overdue-scan", winner, 0.5)
