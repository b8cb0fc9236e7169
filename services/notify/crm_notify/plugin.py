"""The notify service as a plugin of group `crm.services`."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from fastapi import APIRouter

from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.events import registry
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext, ServicePlugin
from crm_notify.campaigns.views import router as campaigns_router
from crm_notify.config import NotifySettings
from crm_notify.contacts.views import router as contacts_router
from crm_notify.dispatch.cursor import adopt_unslotted, stored_front
from crm_notify.dispatch.janitor import maybe_expire
from crm_notify.dispatch.service import dispatch_due
from crm_notify.messages.service import MESSAGES
from crm_notify.messages.views import router as messages_router
from crm_notify.optouts.views import router as optouts_router
from crm_notify.providers import registry as providers
from crm_notify.providers.views import router as providers_router
from crm_notify.runtime import NotifyRuntime, attach, detach, runtime_of
from crm_notify.subscriptions import table
from crm_notify.templates.views import router as templates_router
from crm_notify.triggers.birthdays import plan_birthdays

log = logging.getLogger("crm.notify")
BIRTHDAY_CHECK = timedelta(minutes=1)


async def run_dispatcher(rt: NotifyRuntime) -> None:
    """Every replica dispatches: claims keep it exactly-once. Woken early after new work."""
    birthdays_checked = expired = None
    while True:
        try:
            now = utcnow()
            report = await dispatch_due(rt, now)
            if birthdays_checked is None or now - birthdays_checked >= BIRTHDAY_CHECK:
                await plan_birthdays(rt, now)
                birthdays_checked = now
            expired = await maybe_expire(rt, now, expired)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("dispatch pass failed")
            report = None
        if report and report.claimed >= rt.config.dispatch_batch:
            continue  # the pass stopped at its batch: more is due
        rt.wake.clear()
        try:
            await asyncio.wait_for(rt.wake.wait(), rt.config.dispatch_interval_seconds)
        except TimeoutError:
            pass


class NotifyService(ServicePlugin):
    name = "notify"
    title = "Notify"
    produces = tuple(cls for cls in registry().values() if cls.event_source == "notify")
    outbox_collections = (MESSAGES,)

    def __init__(self, config: NotifySettings | None = None) -> None:
        self.config = config

    def http_router(self) -> APIRouter:
        router = APIRouter()
        for sub in (messages_router, templates_router, optouts_router, campaigns_router, contacts_router, providers_router):
            router.include_router(sub)
        return router

    def subscriptions(self) -> list[SubscriptionTable]:
        return [table]

    async def startup(self, ctx: ServiceContext) -> None:
        config = self.config or NotifySettings()
        db = ctx.db
        await db[MESSAGES].create_index([("due_slot", 1), ("due_at", 1)])  # due-job discovery, on both stores
        await db[MESSAGES].create_index([("status", 1), ("due_at", 1)])
        await db[MESSAGES].create_index([("branch_id", 1), ("status", 1)])
        await db["contacts"].create_index([("branch_id", 1), ("birthday_md", 1)])
        if await stored_front(db) is None:  # first start of the slot dispatcher on this database
            await adopt_unslotted(db, utcnow())
        rt = NotifyRuntime(ctx, config, await providers.build(config, db))
        attach(ctx, rt)
        if config.dispatch_loop:
            ctx.spawn(run_dispatcher(rt), name="notify:dispatch")

    async def shutdown(self, ctx: ServiceContext) -> None:
        try:
            rt = runtime_of(ctx)
        except KeyError:
            return
        for provider in set(rt.providers.values()):
            await provider.close()
        detach(ctx)


service = NotifyService()
