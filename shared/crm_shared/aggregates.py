"""Aggregate writes: a document and the events its change causes, stored in one write.

The one way a service changes state that others hear about (docs/architecture.md, "The
outbox"). `ctx.aggregate("leads")` gives the collection of a registered outbox collection:

    lead = await ctx.aggregate("leads").insert(doc, event(LeadRegistered(...), branch, lead_id))
    lead = await ctx.aggregate("leads").change(doc, expected, {"$set": {...}}, event(LeadUpdated(...), ...))
    done = await ctx.aggregate("leads").update({"_id": i, "status": "new"}, {"$set": {...}}, env)

Every write bumps `version`, stamps the request's correlation id on its events (`event`),
merges the outbox fields into the document or the update, and hands the events to the relay
to publish right away (the relay's sweep is the safety net). Reads through `find_one`/`find`
never return the outbox's own fields (`HIDDEN`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.errors import BulkWriteError, DuplicateKeyError

from crm_shared import batching
from crm_shared.bus.outbox import (LEASE_OWNER, LEASE_UNTIL, OUTBOX_FIELD, OUTBOX_SEQ, OUTBOX_STATE, new_document,
                                   with_events)
from crm_shared.errors import NotFound, Stale
from crm_shared.events import Envelope, EventData, new_event
from crm_shared.observability import correlation_id

if TYPE_CHECKING:
    from crm_shared.plugins import ServiceContext

HIDDEN: Mapping[str, int] = {OUTBOX_FIELD: 0, OUTBOX_STATE: 0, OUTBOX_SEQ: 0, LEASE_OWNER: 0, LEASE_UNTIL: 0}
"""Projection that hides the outbox's fields from reads."""


def event(data: EventData, branch_id: str, subject: str) -> Envelope:
    """An envelope for `data` about aggregate `subject`, carrying the current correlation id."""
    return new_event(data, branch_id=branch_id, subject=subject, correlation_id=correlation_id.get())


def hidden(projection: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`projection` plus the outbox fields hidden; an inclusion projection already leaves them out."""
    if projection and any(v and k != "_id" for k, v in projection.items()):
        return dict(projection)
    return {**HIDDEN, **(projection or {})}


class Aggregate:
    """One outbox collection of a service: inserts and versioned updates with their events."""

    def __init__(self, ctx: ServiceContext, name: str) -> None:
        self.ctx, self.name = ctx, name
        self.collection: AsyncCollection = ctx.db[name]

    async def insert(self, doc: dict[str, Any], *events: Envelope, grouped: bool = False) -> dict[str, Any]:
        """Store a new document (version 1) with its creation events; returns it as stored.

        `grouped`: join concurrent inserts into one `insert_many` (crm_shared.batching), for
        hot paths such as a registration. A duplicate key raises `DuplicateKeyError` either way.
        """
        stored = new_document(self.ctx.settings, {"version": 1, **doc}, *events)
        if grouped:
            await batching.insert(self.collection, stored)
        else:
            await self.collection.insert_one(stored)
        self.ctx.inserted(self.name, stored)
        return stored

    async def insert_many(self, items: Sequence[tuple[dict[str, Any], Sequence[Envelope]]]) -> list[dict | DuplicateKeyError]:
        """Store many new documents, each with its creation events, in one unordered `insert_many`.

        For bulk work (a sheet import) that has its documents at hand: one store command for
        all of them instead of one grouped insert per document. Returns, in order, each
        document as stored or the `DuplicateKeyError` that refused it; the others are stored
        and their events published either way. Any other write error raises after the stored
        documents' events were handed to the relay.
        """
        stored = [new_document(self.ctx.settings, {"version": 1, **doc}, *events) for doc, events in items]
        outcomes: list[dict | DuplicateKeyError] = list(stored)
        failure: BulkWriteError | None = None
        if stored:
            try:
                await self.collection.insert_many(stored, ordered=False)
            except BulkWriteError as exc:
                for err in exc.details.get("writeErrors", []):
                    outcomes[err["index"]] = DuplicateKeyError(err.get("errmsg", "duplicate key"), err.get("code"), err)
                    if err.get("code") != batching.DUPLICATE_KEY:
                        failure = exc
        for doc in outcomes:
            if isinstance(doc, dict):
                self.ctx.inserted(self.name, doc)
        if failure is not None:
            raise failure
        return outcomes

    async def update(self, query: dict[str, Any], update: dict[str, Any], *events: Envelope) -> dict | None:
        """Apply `update` (plus `version` + 1) to the document matching `query`, with its events.

        Returns the document after the write, or None when nothing matched (the condition in
        `query` no longer holds: the caller decides whether that is a lost race or an error).
        """
        merged = {k: dict(v) if isinstance(v, dict) else v for k, v in update.items()}
        merged.setdefault("$inc", {})["version"] = 1
        doc = await self.collection.find_one_and_update(
            query, with_events(self.ctx.settings, merged, *events), return_document=ReturnDocument.AFTER)
        if doc is not None and events:
            self.ctx.events_written(self.name, doc["_id"], *events)
        return doc

    async def change(self, doc: dict[str, Any], expected: int | None, update: dict[str, Any],
                     *events: Envelope) -> dict[str, Any]:
        """Apply `update` if `doc` is still at the version the caller saw (`If-Match`), else `Stale`.

        `expected` None means the caller sent no `If-Match`: the version read in `doc` guards
        the write, so a concurrent change still makes it fail instead of being overwritten.
        """
        if expected is not None and expected != doc["version"]:
            raise Stale(doc["version"], expected)
        done = await self.update({"_id": doc["_id"], "version": doc["version"]}, update, *events)
        if done is None:
            current = await self.collection.find_one({"_id": doc["_id"]}, projection={"version": 1})
            if current is None:
                raise NotFound(self.name.rstrip("s").replace("_", " "))
            raise Stale(current["version"], expected if expected is not None else doc["version"])
        return done

    async def find_one(self, query: dict[str, Any], projection: Mapping[str, Any] | None = None) -> dict | None:
        return await self.collection.find_one(query, projection=hidden(projection))

    def find(self, query: dict[str, Any], projection: Mapping[str, Any] | None = None, **kwargs: Any) -> AsyncCursor:
        return self.collection.find(query, projection=hidden(projection), **kwargs)
