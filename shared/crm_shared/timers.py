"""Declared timers, run by the platform: one loop skeleton for every periodic job.

A service declares its timers (`ServicePlugin.timers(ctx)`); the platform runs each one for
the life of the service:

    Timer("overdue", every=ctx.config.timer_interval_seconds, run=scans.overdue)

- `run(ctx, now)` does one pass; tests call it directly with a chosen `now`.
- `leased` (default): one replica at a time runs it, under the lease `<service>:<name>` that
  lasts three periods (a dead replica's lease runs out).  Unleased timers run on every replica
  (their work must be safe to share, e.g. by per-item claims).
- A pass that returns `AGAIN` runs again at once (it stopped at a batch size and more is due);
  `ctx.wake(name)` ends the wait early (new work was just written).
- A failing pass is logged and the next period retries; cancellation stops the loop.

The platform's own timers use the same skeleton: the outbox sweep and the clean-up of
bounded-life records (`Retention`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pymongo.errors import OperationFailure

from crm_shared import leases
from crm_shared.ids import utcnow, uuid7

if TYPE_CHECKING:
    from crm_shared.plugins import ServiceContext

log = logging.getLogger("crm.timers")
AGAIN = object()
"""Returned by a pass that stopped early with more work due: the next pass starts at once."""


async def finish_first(work: Awaitable[Any]) -> Any:
    """Await `work` to its end even if the caller is cancelled meanwhile (a shutdown): the pass or
    batch in hand completes, with its writes and acks, then the cancellation goes on. A second
    cancellation stops waiting (the platform's shutdown gives up after CRM_SHUTDOWN_GRACE_SECONDS)."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.done():
            await asyncio.wait([task])
        raise


@dataclass(frozen=True)
class Timer:
    """A periodic job of a service."""

    name: str
    every: float
    run: Callable[[ServiceContext, datetime], Awaitable[Any]]
    leased: bool = True

    def __post_init__(self) -> None:
        if self.every <= 0:
            raise ValueError(f"timer {self.name!r}: the period must be positive")


@dataclass(frozen=True)
class Retention:
    """Records of a collection that may be deleted once `field` (a UTC datetime) is older than `keep`."""

    collection: str
    field: str
    keep: timedelta


@dataclass
class TimerRunner:
    """Runs the declared timers of one service in this process."""

    ctx: ServiceContext
    owner: str = field(default_factory=uuid7)
    wakers: dict[str, asyncio.Event] = field(default_factory=dict)

    def start(self, timers: list[Timer]) -> None:
        names = [t.name for t in timers]
        if len(set(names)) != len(names):
            raise ValueError(f"service {self.ctx.name!r} declares a timer name twice: {names}")
        for timer in timers:
            self.wakers[timer.name] = asyncio.Event()
            self.ctx.spawn(self._loop(timer), name=f"{self.ctx.name}:{timer.name}")

    def wake(self, name: str) -> None:
        if (event := self.wakers.get(name)) is not None:
            event.set()

    async def once(self, timer: Timer, now: datetime | None = None) -> Any:
        """One pass, under the lease if the timer is leased; None when another replica holds it."""
        lease = f"{self.ctx.name}:{timer.name}"
        if timer.leased and not await leases.acquire(self.ctx.db, lease, self.owner, timer.every * 3):
            return None
        return await timer.run(self.ctx, now or utcnow())

    async def _loop(self, timer: Timer) -> None:
        wake = self.wakers[timer.name]
        while True:
            result = None
            try:
                result = await finish_first(self.once(timer))  # a shutdown lets the pass in hand finish
                if result and result is not AGAIN:
                    log.info("timer ran", extra={"service": self.ctx.name, "timer": timer.name, "result": repr(result)[:500]})
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("timer pass failed; the next pass retries",
                            extra={"service": self.ctx.name, "timer": timer.name, "error": repr(exc)})
            if result is AGAIN:
                await asyncio.sleep(0)
                continue
            wake.clear()
            try:
                await asyncio.wait_for(wake.wait(), timer.every)
            except TimeoutError:
                pass


async def ensure_retention_indexes(db, retentions: list[Retention], ttl: bool = False) -> None:
    """An index on each retention's time field, so the clean-up's range delete on MongoDB is an index
    scan, not a scan of every handled-event id; one the collection already has under another name stays.

    With `ttl` (real MongoDB: `ctx.store.ttl_indexes`) the index is a TTL index expiring after the keep,
    so MongoDB's TTL monitor deletes records as they expire even between clean-up passes; an existing
    plain or differently timed index on the field is converted in place (collMod). The dev store has no
    TTL indexes, and there the clean-up pass alone deletes them."""
    for r in retentions:
        try:
            if ttl:
                await _ensure_ttl_index(db, r)
            else:
                await db[r.collection].create_index([(r.field, 1)])
        except OperationFailure as exc:  # the same key indexed under another name (e.g. by the service itself)
            log.debug("retention index not created", extra={"collection": r.collection, "error": repr(exc)})


async def _ensure_ttl_index(db, r: Retention) -> None:
    seconds = max(1, int(r.keep.total_seconds()))
    try:
        await db[r.collection].create_index([(r.field, 1)], expireAfterSeconds=seconds)
    except OperationFailure:  # an index on the field exists without this expiry (an older start, another keep)
        await db.command({"collMod": r.collection, "index": {"keyPattern": {r.field: 1}, "expireAfterSeconds": seconds}})


def clean_up(retentions: list[Retention]) -> Callable[[ServiceContext, datetime], Awaitable[dict[str, int]]]:
    """The platform's clean-up pass: delete what each retention allows, per collection (on MongoDB the
    TTL indexes delete the same records too; the pass stays, as the bound the tests and the dev store rely on)."""

    async def run(ctx: ServiceContext, now: datetime) -> dict[str, int]:
        removed = {}
        for r in retentions:
            result = await ctx.db[r.collection].delete_many({r.field: {"$lt": now - r.keep}})
            if result.deleted_count:
                removed[r.collection] = result.deleted_count
        return removed

    return run
