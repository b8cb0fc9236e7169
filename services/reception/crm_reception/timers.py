"""Background jobs under named leases, so two replicas never double-fire; the work itself
takes `now` (appointments.service.mark_no_shows, receptions.service.flag_overdue_feedback)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from crm_shared import leases
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext

log = logging.getLogger("crm.reception.timers")


async def every(ctx: ServiceContext, name: str, seconds: float, job: Callable[[ServiceContext, datetime], Awaitable[int]]) -> None:
    owner = uuid7()
    while True:
        try:
            if await leases.acquire(ctx.db, f"reception:{name}", owner, seconds * 3):
                done = await job(ctx, utcnow())
                if done:
                    log.info("timer fired", extra={"timer": name, "count": done})
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("timer failed", extra={"timer": name, "error": repr(exc)})
        await asyncio.sleep(seconds)
