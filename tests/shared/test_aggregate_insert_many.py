"""`Aggregate.insert_many`: many new documents with their events in one store command; a duplicate
key refuses only its own document, and every stored document's events are published once."""

import json

from pymongo.errors import DuplicateKeyError

from crm_shared.aggregates import event
from crm_shared.bus.outbox import OUTBOX_STATE
from tests.support.ledger import LedgerService, Opened
from tests.support.runtime import eventually, isolated_settings, running, stream_messages


def _opened(i: str) -> tuple[dict, list]:
    return {"_id": i, "branch_id": "b1", "name": f"n{i}"}, [event(Opened(account_id=i, name=f"n{i}"), "b1", i)]


async def test_insert_many_stores_publishes_and_refuses_only_duplicates(urls):
    settings = isolated_settings(*urls)
    async with running([LedgerService()], settings) as (app, _):
        ctx = app.state.contexts["ledger"]
        doc, events = _opened("a2")
        await ctx.aggregate("accounts").insert(doc, *events)
        outcomes = await ctx.aggregate("accounts").insert_many([_opened(i) for i in ("a1", "a2", "a3")])
        assert isinstance(outcomes[1], DuplicateKeyError)
        assert [o["_id"] for o in (outcomes[0], outcomes[2])] == ["a1", "a3"] and outcomes[0]["version"] == 1
        assert await ctx.aggregate("accounts").insert_many([]) == []

        async def published():
            events = [json.loads(m.data)["data"]["account_id"] for m in await stream_messages(settings)]
            cleared = await ctx.db.accounts.count_documents({OUTBOX_STATE: {"$exists": True}}) == 0
            return sorted(events) if cleared and len(events) == 3 else None

        assert await eventually(published) == ["a1", "a2", "a3"]
        stored = await ctx.aggregate("accounts").find({}).sort("_id", 1).to_list()
        assert [(d["_id"], d["name"], d["version"]) for d in stored] == [("a1", "na1", 1), ("a2", "na2", 1), ("a3", "na3", 1)]
