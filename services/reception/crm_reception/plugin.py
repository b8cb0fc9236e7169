"""The reception service as a plugin of group `crm.services`: appointments, visits and the visitor
queue, rotation, business receptions, its copy of open leads, and its three timers."""

from __future__ import annotations

from fastapi import APIRouter

from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.directory import Directory
from crm_shared.events import registry
from crm_shared.plugins import ServiceContext, ServicePlugin
from crm_shared.reveals import ensure_indexes as ensure_reveal_indexes
from crm_shared.timers import Timer
from crm_reception import subscriptions
from crm_reception.appointments import service as appointments
from crm_reception.appointments import views as appointment_views
from crm_reception.receptions import service as receptions
from crm_reception.receptions import views as reception_views
from crm_reception.rotation import views as rotation_views
from crm_reception.settings import ReceptionSettings
from crm_reception.state import ReceptionState
from crm_reception.visits import queue as visitor_queue
from crm_reception.visits import views as visit_views


class ReceptionService(ServicePlugin):
    name = "reception"
    title = "Reception"
    settings_model = ReceptionSettings
    produces = tuple(cls for cls in registry().values() if cls.event_source == "reception")
    outbox_collections = ("appointments", "visits", "receptions")

    def http_router(self) -> APIRouter:
        router = APIRouter()
        for views in (appointment_views, visit_views, rotation_views, reception_views):
            router.include_router(views.router)
        return router

    def subscriptions(self) -> list[SubscriptionTable]:
        return [subscriptions.table]

    def timers(self, ctx: ServiceContext) -> list[Timer]:
        config: ReceptionSettings = ctx.config
        if not config.timers:
            return []
        return [Timer("no-shows", config.timer_seconds, appointments.mark_no_shows),
                Timer("feedback-overdue", config.timer_seconds, receptions.flag_overdue_feedback),
                Timer("visitor-queue", config.timer_seconds, visitor_queue.assign_waiting)]

    async def startup(self, ctx: ServiceContext) -> None:
        await ctx.db.command("ping")
        ctx.state = ReceptionState(Directory(ctx.db, ctx.config.default_timezone))
        await ctx.state.directory.ensure_indexes()
        await ensure_reveal_indexes(ctx.db)  # the audit of full-number reveals
        await ctx.db.appointments.create_index([("status", 1), ("start", 1)])
        await ctx.db.appointments.create_index([("branch_id", 1), ("consultant_id", 1), ("start", 1)])
        await ctx.db.receptions.create_index([("status", 1), ("feedback_due_at", 1)])
        await ctx.db.rotations.create_index([("branch_id", 1), ("queue", 1)])
        await ctx.db.appointments.create_index([("lead_id", 1)])  # a lead card's appointments
        await ctx.db.visits.create_index([("lead_id", 1)])
        await ctx.db.visits.create_index([("branch_id", 1), ("rotation_day", 1), ("status", 1)])  # the visitor queue
        async for old in ctx.db.visits.find({"span_key": {"$exists": False}}, projection={"_id": 1}):
            await ctx.db.visits.update_one({"_id": old["_id"]}, {"$set": {"span_key": f"legacy:{old['_id']}"}})
        await ctx.db.visits.create_index([("span_key", 1)], unique=True, name="one_live_visit_per_person")


service = ReceptionService()
