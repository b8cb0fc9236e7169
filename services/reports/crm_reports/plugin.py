"""The reports service as a plugin of group `crm.services`: read models built from events,
reports in JSON/CSV/XLSX, charts, boards, a daily digest and rebuild by replay."""

from __future__ import annotations

from fastapi import APIRouter

from crm_reports import generations, subscriptions, views
from crm_reports.digest.job import DIGESTS, digest_loop
from crm_reports.rebuild import replay
from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.events.reports import DigestReady
from crm_shared.plugins import ServiceContext, ServicePlugin


class ReportsService(ServicePlugin):
    name = "reports"
    title = "Reports"
    produces = (DigestReady,)
    outbox_collections = (DIGESTS,)

    def __init__(self, digest_interval_seconds: float | None = 30.0) -> None:
        """`digest_interval_seconds=None` turns the timer off (tests call `run_digest` themselves)."""
        self.digest_interval_seconds = digest_interval_seconds

    def http_router(self) -> APIRouter:
        return views.router()

    def subscriptions(self) -> list[SubscriptionTable]:
        return [subscriptions.table()]

    async def startup(self, ctx: ServiceContext) -> None:
        await generations.ensure_pointer(ctx.db)
        await replay.abandon_interrupted(ctx)
        if self.digest_interval_seconds:
            ctx.spawn(digest_loop(ctx, self.digest_interval_seconds), name="reports:digest")


service = ReportsService()
