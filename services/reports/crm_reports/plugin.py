"""The reports service as a plugin of group `crm.services`: read models built from events,
reports in JSON/CSV/XLSX, charts, boards, a daily digest and rebuild by replay."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter

from crm_reports import generations, subscriptions, views
from crm_reports.digest.job import DIGESTS, run_digest
from crm_reports.generations import PointerCache
from crm_reports.projections.window import Window
from crm_reports.rebuild import replay
from crm_reports.settings import ReportsSettings
from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.events.reports import DigestReady
from crm_shared.plugins import ServiceContext, ServicePlugin
from crm_shared.timers import Timer


@dataclass
class ReportsState:
    """Per-process objects of the service (`ctx.state`): the cached generation pointer, and the
    rebuild's window between two passes on this replica (generation, last sequence, window)."""

    pointer: PointerCache = field(default_factory=PointerCache)
    rebuild: tuple[str, int, Window] | None = None


class ReportsService(ServicePlugin):
    name = "reports"
    title = "Reports"
    settings_model = ReportsSettings
    produces = (DigestReady,)
    outbox_collections = (DIGESTS,)

    def http_router(self) -> APIRouter:
        return views.router()

    def subscriptions(self) -> list[SubscriptionTable]:
        return [subscriptions.table()]

    def timers(self, ctx: ServiceContext) -> list[Timer]:
        config: ReportsSettings = ctx.config
        rebuild = Timer(replay.TIMER, config.rebuild_interval_seconds, replay.run_pass)
        return [rebuild, Timer("digest", config.digest_interval_seconds, run_digest)] if config.digest else [rebuild]

    async def startup(self, ctx: ServiceContext) -> None:
        ctx.state = ReportsState()
        await generations.ensure_pointer(ctx.db)


service = ReportsService()
