"""Group commit for new leads: the inserts that arrive while one batch is being written go out
together as one unordered `insert_many`.

Each lead still answers only once its own document (with its pending event) is stored, and it
gets its own outcome: stored, or the `DuplicateKeyError` its unique `dedup_key` raised, exactly
as with `insert_one`. What changes is the cost under load: one store command (on the dev store
one SQLite transaction) per batch instead of one per lead.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

MAX_BATCH = 200
DUPLICATE_KEY = 11000


class InsertBatcher:
    """One per collection object; batches form by themselves while a write is in flight."""

    def __init__(self, collection: AsyncCollection) -> None:
        self.collection = collection
        self.queue: list[tuple[dict[str, Any], asyncio.Future]] = []
        self.writer: asyncio.Task | None = None

    async def insert(self, doc: dict[str, Any]) -> None:
        future = asyncio.get_running_loop().create_future()
        self.queue.append((doc, future))
        if self.writer is None or self.writer.done():
            self.writer = asyncio.create_task(self._write(), name=f"insert-batch:{self.collection.name}")
        await future

    async def _write(self) -> None:
        while self.queue:
            batch, self.queue = self.queue[:MAX_BATCH], self.queue[MAX_BATCH:]
            errors: dict[int, Exception] = {}
            try:
                await self.collection.insert_many([doc for doc, _ in batch], ordered=False)
            except BulkWriteError as exc:
                for err in exc.details.get("writeErrors", []):
                    kind = DuplicateKeyError if err.get("code") == DUPLICATE_KEY else OperationFailure
                    errors[err["index"]] = kind(err.get("errmsg", "write error"), err.get("code"), err)
            except Exception as exc:  # the whole command failed: every lead in it gets the error
                errors = {i: exc for i in range(len(batch))}
            for i, (_, future) in enumerate(batch):
                if future.done():  # the request went away; its document is stored or not, as the store says
                    continue
                if i in errors:
                    future.set_exception(errors[i])
                else:
                    future.set_result(None)


_BATCHERS: dict[tuple[str, str], InsertBatcher] = {}


async def insert(collection: AsyncCollection, doc: dict[str, Any]) -> None:
    """`insert_one`, committed together with the inserts queued beside it."""
    key = (collection.database.name, collection.name)
    batcher = _BATCHERS.get(key)
    if batcher is None or batcher.collection.database.client is not collection.database.client:  # a new client
        batcher = _BATCHERS[key] = InsertBatcher(collection)
    await batcher.insert(doc)
