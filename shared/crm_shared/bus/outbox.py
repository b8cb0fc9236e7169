"""Transactional outbox inside the aggregate document.

A change and its events are written in one single-document update: the events ride in
`pending_events`. The relay publishes them with `Nats-Msg-Id` = event id, waits for the
JetStream ack and only then removes them. A crash in between republishes, and JetStream's
duplicate window drops the repeat. Replicas take a lease per document, so they do not
publish the same document's events at the same time.

Every write that adds events also sets `outbox_state: "pending"`; the removal that empties
`pending_events` unsets it in the same atomic update (guarded by the exact array, so an event
pushed meanwhile keeps it set). So "pending events => state set" always holds, and the sweep
finds pending documents by an equality on an indexed top-level string -- an index lookup on
MongoDB and on the dev store alike, where a filter on `pending_events.id` decodes every
document of the collection (bench/NOTES.md has the figures).

The fast path right after a write clears published events in batches: the removals that
queue up while one batch is being written go out together (crm_shared.batching), so a busy
service pays about one store round trip per batch for the removals instead of one per change.
Every write that adds events also counts them in `outbox_seq` (1 on insert, `$inc` on update),
so the documents of a batch that were just inserted and not written since -- the common case,
a registration -- are cleared by one `update_many` on `{_id: {$in: ...}, outbox_seq: 1}`: one
statement for the batch, each document read and written once. The others get the exact-array
guarded removal below, two statements per document.

Entries hold only scalars (`id`, `type`, `subject`, `payload` as JSON text) so they can be
removed with `$pullAll` by exact value: the dev store's `$pull` matches whole elements only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, NamedTuple

from nats.js import JetStreamContext
from pymongo import ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from crm_shared.batching import Coalescer
from crm_shared.config import Settings
from crm_shared.events import Envelope, nats_subject
from crm_shared.ids import utcnow, uuid7
from crm_shared.observability import EVENTS_PUBLISHED, OUTBOX_ERRORS

OUTBOX_FIELD = "pending_events"
LEASE_OWNER = "outbox_lease_owner"
LEASE_UNTIL = "outbox_lease_until"
OUTBOX_STATE = "outbox_state"
OUTBOX_SEQ = "outbox_seq"
PENDING = "pending"
# Documents per guarded bulk clear, 2 statements each: under 100 statements per command, the most
# an unpatched FerretDB v1 runs in one update (each statement pinned one of its 100 pooled SQLite
# connections until the command ended). The patched dev store has no such limit.
CLEAR_BATCH = 45
SWEEP_BATCH = 1000  # documents per collection per sweep pass; the next pass takes the rest
log = logging.getLogger("crm.outbox")


def outbox_entries(settings: Settings, envelopes: Iterable[Envelope]) -> list[dict[str, str]]:
    return [
        {
            "id": env.id,
            "type": env.type,
            "subject": nats_subject(settings.subject_prefix, env.branch_id, env.type),
            "payload": env.model_dump_json(),
        }
        for env in envelopes
    ]


def with_events(settings: Settings, update: dict[str, Any], *envelopes: Envelope) -> dict[str, Any]:
    """The update document plus a `$push` of the events, for one atomic write."""
    if not envelopes:
        return update
    merged = {k: dict(v) if isinstance(v, dict) else v for k, v in update.items()}
    merged.setdefault("$push", {})[OUTBOX_FIELD] = {"$each": outbox_entries(settings, envelopes)}
    merged.setdefault("$set", {})[OUTBOX_STATE] = PENDING
    merged.setdefault("$inc", {})[OUTBOX_SEQ] = 1
    return merged


def new_document(settings: Settings, doc: dict[str, Any], *envelopes: Envelope) -> dict[str, Any]:
    """A document to insert, carrying its creation events."""
    if not envelopes:
        return {**doc, OUTBOX_FIELD: []}
    return {**doc, OUTBOX_FIELD: outbox_entries(settings, envelopes), OUTBOX_STATE: PENDING, OUTBOX_SEQ: 1}


def removal(doc_id: Any, done: list[dict[str, str]], guard: dict[str, Any] | None = None,
            unset: dict[str, str] | None = None) -> list[UpdateOne]:
    """Remove published entries; of the two guarded updates at most one applies.

    When `pending_events` is exactly `done`, it becomes empty and the pending state goes with it
    in the same write; otherwise (events were added meanwhile) only `done` is pulled out.
    """
    guard, unset = guard or {}, unset or {}
    pulled: dict[str, Any] = {"$pullAll": {OUTBOX_FIELD: done}} | ({"$unset": unset} if unset else {})
    return [
        UpdateOne({"_id": doc_id, OUTBOX_FIELD: done, **guard}, {"$set": {OUTBOX_FIELD: []}, "$unset": {OUTBOX_STATE: "", **unset}}),
        UpdateOne({"_id": doc_id, f"{OUTBOX_FIELD}.id": done[0]["id"], **guard}, pulled),
    ]


class _Clear(NamedTuple):
    """A fast path's removal: `fresh` when the document was just inserted with exactly these events."""

    collection: str
    doc_id: Any
    done: list[dict[str, str]]
    fresh: bool


@dataclass
class OutboxRelay:
    """Publishes the pending events of the given collections; one per service and process."""

    db: AsyncDatabase
    collections: tuple[str, ...]
    js: JetStreamContext
    settings: Settings
    owner: str = field(default_factory=uuid7)
    _clears: Coalescer = field(init=False)
    _in_flight: dict[tuple[str, Any], list] = field(default_factory=dict)  # key -> [fast paths running, until]

    def __post_init__(self) -> None:
        self._clears = Coalescer(self._clear, "outbox:clear")

    async def _claim(self, collection: str, doc_id: Any) -> dict | None:
        now = utcnow()
        return await self.db[collection].find_one_and_update(
            {
                "_id": doc_id,
                f"{OUTBOX_FIELD}.0": {"$exists": True},
                "$or": [{LEASE_UNTIL: None}, {LEASE_UNTIL: {"$lt": now}}],
            },
            {"$set": {LEASE_OWNER: self.owner, LEASE_UNTIL: now + timedelta(seconds=self.settings.relay_lease_seconds)}},
            return_document=ReturnDocument.AFTER,
        )

    async def _publish(self, entries: list[dict[str, str]]) -> list[dict[str, str]]:
        done = []
        for entry in entries:
            try:
                await self.js.publish(
                    entry["subject"],
                    entry["payload"].encode(),
                    timeout=5.0,
                    stream=self.settings.stream_name,
                    headers={"Nats-Msg-Id": entry["id"]},
                )
            except Exception as exc:  # keep order: stop at the first failure, retry later
                OUTBOX_ERRORS.inc()
                log.warning("publish failed, will retry", extra={"event_id": entry["id"], "error": repr(exc)})
                break
            EVENTS_PUBLISHED.labels(entry["type"]).inc()
            done.append(entry)
        return done

    async def _remove(self, collection: str, doc_id: Any, done: list[dict[str, str]]) -> None:
        """Drop entries published under our lease and release it (if the lease is still ours)."""
        if done:
            ops = removal(doc_id, done, guard={LEASE_OWNER: self.owner}, unset={LEASE_OWNER: "", LEASE_UNTIL: ""})
            await self.db[collection].bulk_write(ops, ordered=True)

    def publish_written(self, collection: str, doc_id: Any, entries: list[dict[str, str]],
                        inserted: bool = False) -> Awaitable[int]:
        """Fast path right after a write: publish the events the writer just stored, then remove them.

        `inserted`: the write was the document's insert (`new_document`), so its removal can
        join the one-statement clear of fresh documents. No lease is taken: if another replica's
        sweep publishes the same entries at the same time, JetStream drops the repeat by
        Nats-Msg-Id, and both removals are idempotent. This relay's own sweep leaves the
        document alone until the fast path is done (marked here, before the returned coroutine
        first runs). The result comes once the removal is stored.
        """
        key = (collection, doc_id)
        mark = self._in_flight.setdefault(key, [0, 0.0])
        mark[0] += 1
        mark[1] = time.monotonic() + self.settings.relay_lease_seconds  # never-run coroutines expire
        return self._publish_written(key, entries, inserted)

    async def _publish_written(self, key: tuple[str, Any], entries: list[dict[str, str]], inserted: bool) -> int:
        try:
            done = await self._publish(entries)
            if done:
                await self._clears.submit(_Clear(key[0], key[1], done, fresh=inserted and len(done) == len(entries)))
            return len(done)
        finally:
            if (mark := self._in_flight.get(key)) is not None:
                mark[0] -= 1
                if mark[0] <= 0:
                    del self._in_flight[key]

    async def _clear(self, batch: list[_Clear]) -> list[Exception | None]:
        """Remove the published entries of a batch of documents, per collection (see the module doc)."""
        outcomes: list[Exception | None] = [None] * len(batch)
        by_collection: dict[str, list[int]] = {}
        for i, item in enumerate(batch):
            by_collection.setdefault(item.collection, []).append(i)
        for collection, indexes in by_collection.items():
            try:
                guarded = [batch[i] for i in indexes if not batch[i].fresh]
                fresh = [batch[i] for i in indexes if batch[i].fresh]
                if fresh:
                    ids = {item.doc_id for item in fresh}
                    result = await self.db[collection].update_many(
                        {"_id": {"$in": list(ids)}, OUTBOX_SEQ: 1},
                        {"$set": {OUTBOX_FIELD: []}, "$unset": {OUTBOX_STATE: ""}})
                    if result.matched_count < len(ids):  # some were written again meanwhile
                        guarded += fresh  # (the guarded removal is a no-op on the ones just cleared)
                for start in range(0, len(guarded), CLEAR_BATCH):
                    ops = [op for item in guarded[start:start + CLEAR_BATCH] for op in removal(item.doc_id, item.done)]
                    await self.db[collection].bulk_write(ops, ordered=True)
            except Exception as exc:  # still pending: the sweep publishes again (deduplicated) and removes them
                OUTBOX_ERRORS.inc()
                log.warning("outbox clear failed, the sweep will retry", extra={"error": repr(exc)})
                for i in indexes:
                    outcomes[i] = exc
        return outcomes

    async def flush(self, collection: str, doc_id: Any) -> int:
        """Publish one document's pending events under a lease; returns how many were published."""
        published = 0
        while (doc := await self._claim(collection, doc_id)) is not None:
            done = await self._publish(doc[OUTBOX_FIELD])
            await self._remove(collection, doc_id, done)
            published += len(done)
            if len(done) < len(doc[OUTBOX_FIELD]):
                break
        return published

    async def ensure_indexes(self) -> None:
        """The sweep's lookup by state, on both stores."""
        for collection in self.collections:
            await self.db[collection].create_index([(OUTBOX_STATE, 1)], name="outbox_state")

    async def sweep(self) -> int:
        """Publish every pending event in the relay's collections (recovery path; a platform
        timer runs it every `relay_interval_seconds` on every replica)."""
        total = 0
        for collection in self.collections:
            # Ids first, cursor closed: never hold a server cursor open across publishes (a NATS
            # outage makes each one slow; on the dev store an open cursor pins one of its pooled
            # SQLite connections, and passes that died mid-iteration exhausted the pool).
            docs = await self.db[collection].find({OUTBOX_STATE: PENDING}, projection={"_id": 1}).limit(SWEEP_BATCH).to_list()
            for _id in [doc["_id"] for doc in docs]:
                if (mark := self._in_flight.get((collection, _id))) and mark[1] > time.monotonic():
                    continue  # this process's fast path is publishing it right now
                published = await self.flush(collection, _id)
                if not published:  # emptied by pulls that could not prove it empty: drop the stale state
                    await self.db[collection].update_one(
                        {"_id": _id, OUTBOX_STATE: PENDING, f"{OUTBOX_FIELD}.0": {"$exists": False}},
                        {"$unset": {OUTBOX_STATE: ""}})
                total += published
        return total
