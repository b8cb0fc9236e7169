"""The reception service as a plugin of group `crm.services`: appointments, visits, rotation,
business receptions, and its own projections of branches, staff and leads."""

from __future__ import annotations

from fastapi import APIRouter

from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.events import registry
from crm_shared.plugins import ServiceContext, ServicePlugin
from crm_reception import subscriptions, timers
from crm_reception.appointments import service as appointments
from crm_reception.appointments import views as appointment_views
from crm_reception.receptions import service as receptions
from crm_reception.receptions import views as reception_views
from crm_reception.rotation import views as rotation_views
from crm_reception.visits import views as visit_views


class ReceptionService(ServicePlugin):
    name = "reception"
    title = "Reception"
    produces = tuple(cls for cls in registry().values() if cls.event_source == "reception")
    outbox_collections = ("appointments", "visits", "receptions")
    timer_seconds: float = 30.0

    def http_router(self) -> APIRouter:
        router = APIRouter()
        for views in (appointment_views, visit_views, rotation_views, reception_views):
            router.include_router(views.router)
        return router

    def subscriptions(self) -> list[SubscriptionTable]:
        return [subscriptions.table]

    async def startup(self, ctx: ServiceContext) -> None:
        await ctx.db.command("ping")
        await ctx.db.appointments.create_index([("status", 1), ("start", 1)])
        await ctx.db.appointments.create_index([("branch_id", 1), ("consultant_id", 1), ("start", 1)])
        await ctx.db.receptions.create_index([("status", 1), ("feedback_due_at", 1)])
        await ctx.db.rotations.create_index([("branch_id", 1), ("queue", 1)])
        await ctx.db.appointments.create_index([("lead_id", 1)])  # a lead card's appointments
        await ctx.db.visits.create_index([("lead_id", 1)])
        ctx.spawn(timers.every(ctx, "no-shows", self.timer_seconds, appointments.mark_no_shows), name="reception:no-shows")
        ctx.spawn(timers.every(ctx, "feedback-overdue", self.timer_seconds, receptions.flag_overdue_feedback),
                  name="reception:feedback-overdue")


service = ReceptionService()
