"""Revisit plans follow the archives and the deals: every handler replans from the archive as stored now, so
redeliveries and any order of arrival converge on the same tasks."""

from __future__ import annotations

from crm_shared.directory import newer_wins
from crm_shared.events import Envelope
from crm_shared.events.customers import (ArchiveFrozen, ArchiveOpened, ArchiveTierChanged, ArchiveUnfrozen,
                                         ArchiveUpdated)
from crm_shared.events.deals import DealCancelled, DealSigned, DealSubscribed
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext

from crm_customers.revisits.service import DEAL_COPIES, replan


async def on_archive(ctx: ServiceContext, env: Envelope,
                     data: ArchiveOpened | ArchiveTierChanged | ArchiveFrozen | ArchiveUnfrozen | ArchiveUpdated) -> None:
    """Opened: plan; tier changed: replan the cycle; frozen: cancel open tasks; unfrozen: plan afresh; updated:
    the account manager, handover day or deals may have changed."""
    await replan(ctx, data.archive_id, utcnow())


async def on_deal(ctx: ServiceContext, env: Envelope, data: DealSubscribed | DealSigned | DealCancelled) -> None:
    """Keep a copy of the deal (for the after-sale plan and the `deal_id` a complaint names), then replan the
    archives it belongs to (by the archive's deals or its lead)."""
    fields = {"branch_id": env.branch_id, "lead_id": data.lead_id, "unit_id": data.unit_id,
              "customer_name": data.customer_name}
    if isinstance(data, DealSigned):
        fields |= {"status": "signed", "signed_at": data.signed_at or env.time}
    elif isinstance(data, DealCancelled):
        fields |= {"status": "cancelled"}
    else:
        fields |= {"status": "subscribed"}
    await newer_wins(ctx.db[DEAL_COPIES], data.deal_id, env.time, fields)
    query = {"branch_id": env.branch_id, "$or": [{"deals.deal_id": data.deal_id}, {"lead_id": data.lead_id}]}
    for archive in await ctx.db.archives.find(query, projection={"_id": 1}).to_list():
        await replan(ctx, archive["_id"], utcnow())
