"""The reports service's subscription table: every event class with a projection
(crm_reports.projections.flow) and `customer.erased` (which scrubs names from the list rows), many per call,
into one durable consumer `reports-main`."""

from __future__ import annotations

from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.events.privacy import CustomerErased
from crm_reports import privacy
from crm_reports.projections import subscribers
from crm_reports.projections.flow import PROJECTIONS

BATCH_SIZE = 500


def table() -> SubscriptionTable:
    t = SubscriptionTable(consumer="main")
    t.handle_batch(privacy.with_erasures(subscribers.on_events), *PROJECTIONS, CustomerErased, batch_size=BATCH_SIZE)
    return t
