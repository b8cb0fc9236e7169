"""Optimistic concurrency (`If-Match: <version>` -> 412) and `Idempotency-Key` replay."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Header, Response
from pydantic import BaseModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from crm_shared.errors import Stale
from crm_shared.http.problems import Problem
from crm_shared.ids import utcnow

IDEMPOTENCY = "idempotency_keys"


def if_match_version(
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=40, description="Expected `version`.")] = None,
) -> int | None:
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 12:
        raise Problem(400, "bad-if-match", "If-Match must be the object's integer version")
    return int(text)


def stale(current: int, expected: int | None) -> Stale:
    return Stale(current, expected)


async def idempotency_key(
    key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200, description="Repeat-safe create.")] = None,
) -> str | None:
    """Async although it awaits nothing: FastAPI would run a plain `def` in a worker thread per request."""
    if key is not None and not key.strip():
        raise Problem(400, "bad-idempotency-key", "Idempotency-Key must not be blank")
    return key


def fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


class IdempotencyStore:
    """Remembers the first response per (caller, key); a repeat returns it unchanged.

    `begin` reserves the key before the work (so two racing repeats do one create);
    the loser of the race gets 409 until the winner has `finish`ed. A reservation whose
    request died (process killed, store lost between the work and `finish`) is taken
    over after `stale_after` seconds, so a retrying client is never locked out; the rerun
    then meets the rules (e.g. 409 duplicate naming the lead the first attempt stored).
    """

    def __init__(self, db: AsyncDatabase, stale_after: float = 15.0) -> None:
        self.col = db[IDEMPOTENCY]
        self.stale_after = stale_after

    async def begin(self, caller: str, key: str, body: Any) -> tuple[int, Any] | None:
        _id, fp = f"{caller}:{key}", fingerprint(body)
        try:
            await self.col.insert_one({"_id": _id, "fingerprint": fp, "state": "started", "at": utcnow()})
            return None
        except DuplicateKeyError:
            doc = await self.col.find_one({"_id": _id})
        if doc is None or doc.get("fingerprint") != fp:
            raise Problem(422, "idempotency-key-reused", "this Idempotency-Key was used with a different request")
        if doc.get("state") != "done":
            started = doc.get("at")
            if started is not None and (utcnow() - started).total_seconds() > self.stale_after:
                taken = await self.col.update_one({"_id": _id, "state": "started", "at": started}, {"$set": {"at": utcnow()}})
                if taken.modified_count == 1:
                    return None
            raise Problem(409, "request-in-progress", "a request with this Idempotency-Key is still in progress")
        return doc["status"], doc["response"]

    async def finish(self, caller: str, key: str, status: int, response: Any) -> None:
        await self.col.update_one({"_id": f"{caller}:{key}"}, {"$set": {"state": "done", "status": status, "response": response}})

    async def abandon(self, caller: str, key: str) -> None:
        """The request failed: let the caller retry with the same key."""
        await self.col.delete_one({"_id": f"{caller}:{key}", "state": "started"})


async def idempotent(db: AsyncDatabase, caller: str, key: str | None, body: BaseModel, response: Response,
                     create: Callable[[], Awaitable[BaseModel]], status: int = 201) -> Any:
    """`Idempotency-Key` on a creating POST: a repeat returns the first result (and status);
    a failure frees the key so the caller may retry."""
    if not key:
        return await create()
    store = IdempotencyStore(db)
    if replay := await store.begin(caller, key, body.model_dump(mode="json", by_alias=True)):
        response.status_code = replay[0]
        return replay[1]
    try:
        out = await create()
    except BaseException:
        await store.abandon(caller, key)
        raise
    # a create may answer another status itself (e.g. 200: the object already existed); a replay repeats it
    await store.finish(caller, key, response.status_code or status, out.model_dump(mode="json", by_alias=True))
    return out
