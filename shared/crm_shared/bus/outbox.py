"""Transactional outbox inside the aggregate document.

A change and its events are written in one single-document update: the events ride in
`pending_events`. The relay publishes them with `Nats-Msg-Id` = event id, waits for the
JetStream ack and only then removes them. A crash in between republishes, and JetStream's
duplicate window drops the repeat. Replicas take a lease per document, so they do not
publish the same document's events at the same time.

Entries hold only scalars (`id`, `type`, `subject`, `payload` as JSON text) so they can be
removed with `$pullAll` by exact value: the dev store's `$pull` matches whole elements only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from nats.js import JetStreamContext
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from crm_shared.config import Settings
from crm_shared.events import Envelope, nats_subject
from crm_shared.ids import utcnow, uuid7
from crm_shared.observability import EVENTS_PUBLISHED, OUTBOX_ERRORS

OUTBOX_FIELD = "pending_events"
LEASE_OWNER = "outbox_lease_owner"
LEASE_UNTIL = "outbox_lease_until"
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
    return merged


def new_document(settings: Settings, doc: dict[str, Any], *envelopes: Envelope) -> dict[str, Any]:
    """A document to insert, carrying its creation events."""
    return {**doc, OUTBOX_FIELD: outbox_entries(settings, envelopes)}


@dataclass
class OutboxRelay:
    """Publishes the pending events of the given collections; one per service and process."""

    db: AsyncDatabase
    collections: tuple[str, ...]
    js: JetStreamContext
    settings: Settings
    owner: str = field(default_factory=uuid7)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _stopped: bool = False

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

    async def _remove(self, collection: str, doc_id: Any, done: list[dict[str, str]], *, leased: bool) -> None:
        """Drop published entries (by exact value, see module doc); release the lease if ours."""
        if not done:
            return
        update: dict[str, Any] = {"$pullAll": {OUTBOX_FIELD: done}}
        query: dict[str, Any] = {"_id": doc_id}
        if leased:
            update["$unset"] = {LEASE_OWNER: "", LEASE_UNTIL: ""}
            query[LEASE_OWNER] = self.owner
        await self.db[collection].update_one(query, update)

    async def publish_written(self, collection: str, doc_id: Any, entries: list[dict[str, str]]) -> int:
        """Fast path right after a write: publish the events the writer just stored, then remove them.

        No lease is taken: if a sweep publishes the same entries at the same time, JetStream
        drops the repeat by Nats-Msg-Id, and both removals are idempotent. This keeps a change
        at two store writes (the change, the removal) plus one publish.
        """
        done = await self._publish(entries)
        await self._remove(collection, doc_id, done, leased=False)
        return len(done)

    async def flush(self, collection: str, doc_id: Any) -> int:
        """Publish one document's pending events under a lease; returns how many were published."""
        published = 0
        while (doc := await self._claim(collection, doc_id)) is not None:
            done = await self._publish(doc[OUTBOX_FIELD])
            await self._remove(collection, doc_id, done, leased=True)
            published += len(done)
            if len(done) < len(doc[OUTBOX_FIELD]):
                break
        return published

    async def ensure_indexes(self) -> None:
        """Lets real MongoDB find documents with pending events without a collection scan."""
        for collection in self.collections:
            await self.db[collection].create_index([(f"{OUTBOX_FIELD}.id", 1)], name="outbox_pending")

    async def sweep(self) -> int:
        """Publish every pending event in the relay's collections (recovery path)."""
        total = 0
        for collection in self.collections:
            cursor = self.db[collection].find({f"{OUTBOX_FIELD}.id": {"$type": "string"}}, projection={"_id": 1})
            async for doc in cursor:
                total += await self.flush(collection, doc["_id"])
        return total

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Sweep every `relay_interval_seconds`, or sooner when woken after a write."""
        while not self._stopped:
            try:
                await self.sweep()
            except Exception as exc:
                OUTBOX_ERRORS.inc()
                log.warning("outbox sweep failed", extra={"error": repr(exc)})
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), self.settings.relay_interval_seconds)
            except TimeoutError:
                pass

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()
