"""The leads service as a plugin of group `crm.services`."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter

from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.events import registry
from crm_shared.plugins import ServiceContext, ServicePlugin
from crm_shared.timers import Retention, Timer

from crm_leads.assigners import base as assigners
from crm_leads.audit.views import router as audit_router
from crm_leads.branches.views import router as branches_router
from crm_leads.channel_reports.views import router as reports_router
from crm_leads.context import LeadsState
from crm_leads.disputes.views import router as disputes_router
from crm_leads.exports import service as lead_exports
from crm_leads.exports.views import router as exports_router
from crm_leads.imports import service as imports
from crm_leads.imports.views import router as imports_router
from crm_leads.leads import dedup, search
from crm_leads.leads.views import router as leads_router
from crm_leads.partners import service as partners
from crm_leads.partners.views import router as partners_router
from crm_leads.pool import service as pool
from crm_leads.pool.quota import router as pool_quota_router
from crm_leads.pool.views import router as pool_router
from crm_leads.referrers import service as referrers
from crm_leads.referrers.views import router as referrers_router
from crm_leads.settings import LeadsSettings
from crm_leads.staff import service as staff
from crm_leads.staff.views import router as staff_router
from crm_leads.leads.subscribers import WAITING_WALK_INS
from crm_leads.subscriptions import table
from crm_leads.timers import declared


class LeadsService(ServicePlugin):
    name = "leads"
    title = "Leads"
    settings_model = LeadsSettings
    produces = tuple(cls for cls in registry().values() if cls.event_source == "leads")
    outbox_collections = ("branches", "staff", "leads", "channel_reports", "disputes", "partners", "referrers", imports.JOBS, imports.CHUNKS)
    body_limits = {"/v1/leads/import": 20 * 1024 * 1024}  # an office's existing spreadsheet

    def http_router(self) -> APIRouter:
        router = APIRouter()
        router.include_router(imports_router)  # before /v1/leads/{id} routes
        for sub in (branches_router, staff_router, leads_router, pool_quota_router, pool_router, audit_router, reports_router, disputes_router,
                    partners_router, referrers_router, exports_router):
            router.include_router(sub)
        return router

    def subscriptions(self) -> list[SubscriptionTable]:
        return [table]

    def timers(self, ctx: ServiceContext) -> list[Timer]:
        return declared(ctx.config)

    def retention(self, ctx: ServiceContext) -> list[Retention]:
        return [Retention(pool.CLAIM_COUNTERS, "at", pool.COUNTER_KEPT), Retention(imports.JOBS, "created_at", imports.KEPT),
                Retention(imports.CHUNKS, "created_at", imports.KEPT),
                Retention(partners.ARRIVALS, "at", partners.ARRIVALS_KEPT),  # the desk's record of who brought a visitor
                Retention(partners.SEEN_VISITS, "at", partners.ARRIVALS_KEPT),  # the visits an arrival may name
                Retention(WAITING_WALK_INS, "at", timedelta(days=2))]  # a visitor who left before being served

    async def startup(self, ctx: ServiceContext) -> None:
        ctx.state = LeadsState(assigners.load(ctx.config.assigner))  # unknown assigner: fail at start
        db = ctx.db
        await dedup.ensure_index(ctx)
        await db.leads.create_index([("branch_id", 1), ("status", 1), ("next_follow_up_at", 1)])
        await db.leads.create_index([("branch_id", 1), ("owner_id", 1)])
        await db.leads.create_index([("branch_id", 1), ("customer.phone_masked", 1)])
        await db.leads.create_index([("phone_hash", 1)])
        await search.ensure_indexes(ctx)
        await staff.ensure_indexes(ctx)
        await db.channel_reports.create_index([("status", 1), ("expires_at", 1)])
        await db.channel_reports.create_index([("branch_id", 1), ("partner_id", 1)])
        await db.channel_reports.create_index([("status", 1), ("follow_up_due_at", 1)])
        await db.channel_reports.create_index([("branch_id", 1), ("agency_id", 1)])
        await partners.ensure_indexes(ctx)
        await referrers.ensure_indexes(ctx)
        await db.disputes.create_index([("status", 1), ("deadline", 1)])
        await db.audit.create_index([("branch_id", 1), ("lead_id", 1)])
        await imports.ensure_indexes(ctx)
        await lead_exports.ensure_indexes(ctx)


service = LeadsService()
