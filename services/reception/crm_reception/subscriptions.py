"""The whole inbound flow of reception on one screen: event class -> handler.

Every handler is idempotent and tolerates out-of-order delivery (newer event wins).
"""

from __future__ import annotations

from crm_shared import directory
from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.events.leads import (
    BranchConfigured, LeadAssigned, LeadClaimed, LeadLost, LeadRegistered, LeadReleased, LeadWon, StaffJoined,
    StaffLeft,
)
from crm_reception.projections import subscribers as leads
from crm_reception.rotation import subscribers as rotation
from crm_reception import privacy
from crm_shared.events.privacy import CustomerErased

table = SubscriptionTable(consumer="projections")
table.on(BranchConfigured, StaffJoined)(directory.record)
table.on(StaffLeft)(rotation.on_staff_left)
table.on(LeadRegistered)(leads.on_lead_registered)
table.on(LeadAssigned, LeadClaimed, LeadReleased)(leads.on_owner_changed)
table.on(LeadWon, LeadLost)(leads.on_lead_closed)
table.on(CustomerErased)(privacy.on_customer_erased)  # PIPL erasure: visits and appointments anonymised
