"""Group commit for store calls: the calls that arrive while one batch is in flight go out
together as the next batch, one store command for all of them.

Nothing waits to fill a batch: an idle service sends each call at once (a batch of one), a busy
one sends bigger batches, so the store sees fewer, larger commands exactly when it is loaded.
Each caller still gets its own outcome.

- `insert(collection, doc)`: `insert_one`, committed as one unordered `insert_many` with the
  inserts queued beside it; a duplicate key fails only the caller whose document it was.
- `find_by_ids(collection, ids)`: `{_id: {$in: ...}}` for the ids every queued caller asked for
  (the dev store serves `$in` on `_id` from its index too).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

T = TypeVar("T")
R = TypeVar("R")
DUPLICATE_KEY = 11000
MAX_BATCH = 200


class Coalescer(Generic[T, R]):
    """Runs `run(batch)` for queued items; `run` returns one result or exception per item, in order."""

    def __init__(self, run: Callable[[list[T]], Awaitable[Sequence[R | BaseException]]], name: str,
                 max_batch: int = MAX_BATCH) -> None:
        self.run, self.name, self.max_batch = run, name, max_batch
        self.queue: list[tuple[T, asyncio.Future]] = []
        self.worker: asyncio.Task | None = None

    async def submit(self, item: T) -> R:
        future = asyncio.get_running_loop().create_future()
        self.queue.append((item, future))
        if self.worker is None or self.worker.done():
            self.worker = asyncio.create_task(self._drain(), name=f"batch:{self.name}")
        return await future

    async def _drain(self) -> None:
        while self.queue:
            batch, self.queue = self.queue[:self.max_batch], self.queue[self.max_batch:]
            try:
                outcomes: Sequence[Any] = await self.run([item for item, _ in batch])
            except Exception as exc:  # the whole command failed: every caller in it gets the error
                outcomes = [exc] * len(batch)
            except BaseException:  # cancelled (shutting down): nobody in this batch waits forever
                for _, future in batch:
                    if not future.done():
                        future.cancel()
                raise
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():  # the caller went away; the store did what it did
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)


_COALESCERS: dict[tuple[str, str, str], tuple[Any, Coalescer]] = {}


def _coalescer(kind: str, collection: AsyncCollection, make: Callable[[AsyncCollection], Coalescer]) -> Coalescer:
    """One per kind and collection of a client (a new client, e.g. in the next test, gets new ones)."""
    key = (kind, collection.database.name, collection.name)
    found = _COALESCERS.get(key)
    if found is None or found[0] is not collection.database.client:
        found = _COALESCERS[key] = (collection.database.client, make(collection))
    return found[1]


def _inserter(collection: AsyncCollection) -> Coalescer:
    async def run(docs: list[dict[str, Any]]) -> list[None | Exception]:
        outcomes: list[None | Exception] = [None] * len(docs)
        try:
            await collection.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            for err in exc.details.get("writeErrors", []):
                kind = DuplicateKeyError if err.get("code") == DUPLICATE_KEY else OperationFailure
                outcomes[err["index"]] = kind(err.get("errmsg", "write error"), err.get("code"), err)
        return outcomes

    return Coalescer(run, f"insert:{collection.name}")


def _finder(collection: AsyncCollection) -> Coalescer:
    async def run(requests: list[tuple[Any, ...]]) -> list[dict[Any, dict]]:
        wanted = list(dict.fromkeys(i for ids in requests for i in ids))
        found = {doc["_id"]: doc for doc in await collection.find({"_id": {"$in": wanted}}).to_list(None)}
        return [{i: found[i] for i in ids if i in found} for ids in requests]

    return Coalescer(run, f"find:{collection.name}")


async def insert(collection: AsyncCollection, doc: dict[str, Any]) -> None:
    """`insert_one`, committed together with the inserts queued beside it."""
    await _coalescer("insert", collection, _inserter).submit(doc)


async def find_by_ids(collection: AsyncCollection, ids: Iterable[Any]) -> dict[Any, dict]:
    """The documents with these `_id`s (those that exist), looked up together with the lookups
    queued beside this one."""
    return await _coalescer("find", collection, _finder).submit(tuple(ids))
