"""The notify service as a plugin of group `crm.services`."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter

from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.directory import Directory
from crm_shared.events import registry
from crm_shared.plugins import ServiceContext, ServicePlugin
from crm_shared.reveals import ensure_indexes as ensure_reveal_indexes
from crm_shared.timers import Retention, Timer
from crm_notify.campaigns.views import router as campaigns_router
from crm_notify.contacts.views import router as contacts_router
from crm_notify.dispatch.janitor import expire
from crm_notify.dispatch.service import PROVIDER_REFS, dispatch
from crm_notify.messages.service import MESSAGES
from crm_notify.messages.views import router as messages_router
from crm_notify.optouts.service import OPTOUTS, adopt_unscoped
from crm_notify.optouts.views import router as optouts_router
from crm_notify.providers import registry as providers
from crm_notify.providers.console import ConsoleSettings
from crm_notify.providers.views import router as providers_router
from crm_notify.runtime import NotifyRuntime
from crm_notify.settings import NotifySettings
from crm_notify.subscriptions import table
from crm_notify.templates.views import router as templates_router
from crm_notify.triggers.appointments import APPOINTMENTS
from crm_notify.triggers.birthdays import RUNS, plan_birthdays
from crm_notify.triggers.freezes import ARCHIVE_PEOPLE


class NotifyService(ServicePlugin):
    name = "notify"
    title = "Notify"
    settings_model = NotifySettings
    produces = tuple(cls for cls in registry().values() if cls.event_source == "notify")
    outbox_collections = (MESSAGES,)

    def http_router(self) -> APIRouter:
        router = APIRouter()
        for sub in (messages_router, templates_router, optouts_router, campaigns_router, contacts_router, providers_router):
            router.include_router(sub)
        return router

    def subscriptions(self) -> list[SubscriptionTable]:
        return [table]

    def timers(self, ctx: ServiceContext) -> list[Timer]:
        """The dispatcher runs on every replica (per-job claims keep each send once); birthdays and
        the janitor on one replica at a time."""
        cfg: NotifySettings = ctx.config
        if not cfg.dispatch_loop:
            return []
        return [
            Timer("dispatch", cfg.dispatch_interval_seconds, dispatch, leased=False),
            Timer("birthdays", cfg.birthday_check_seconds, plan_birthdays),
            Timer("janitor", cfg.janitor_interval_seconds, expire),
        ]

    def retention(self, ctx: ServiceContext) -> list[Retention]:
        """Records that grow with every send or day, deleted by the platform's clean-up; the rate and
        duplicate windows are the janitor's (their keep follows each window's length)."""
        cfg: NotifySettings = ctx.config
        console = ConsoleSettings.model_validate(cfg.providers.get("console", {})).collection
        return [
            Retention(console, "at", timedelta(days=cfg.console_outbox_retention_days)),
            Retention(PROVIDER_REFS, "at", timedelta(days=cfg.provider_refs_retention_days)),
            Retention(RUNS, "at", timedelta(days=cfg.birthday_runs_retention_days)),
            Retention(APPOINTMENTS, "start", timedelta(days=cfg.appointment_state_retention_days)),
        ]

    async def startup(self, ctx: ServiceContext) -> None:
        db = ctx.db
        await db[MESSAGES].create_index([("due_slot", 1), ("due_at", 1)])  # due-job discovery, on both stores
        await db[MESSAGES].create_index([("status", 1), ("due_at", 1)])
        await db[MESSAGES].create_index([("branch_id", 1), ("status", 1)])
        await db["contacts"].create_index([("branch_id", 1), ("birthday_md", 1)])
        await db[OPTOUTS].create_index([("to", 1)])  # a recipient's opt-outs, read before each send
        await db[MESSAGES].create_index([("branch_id", 1), ("entity", 1)])  # an appointment's notices (?entity=)
        await ensure_reveal_indexes(db)  # the audit of recipient reveals
        await db[ARCHIVE_PEOPLE].create_index([("phone_hash", 1)])  # a person's frozen archives, read before marketing
        await adopt_unscoped(db)
        directory = Directory(db, ctx.config.default_timezone)
        await directory.ensure_indexes()
        ctx.state = NotifyRuntime(await providers.build(ctx.config, db), directory)

    async def shutdown(self, ctx: ServiceContext) -> None:
        if ctx.state is None:
            return
        for provider in set(ctx.state.providers.values()):
            await provider.close()


service = NotifyService()
