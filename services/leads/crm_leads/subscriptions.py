"""Every event the leads service consumes, and its handler: the whole inbound flow in one screen."""

from __future__ import annotations

from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.events.reception import VisitCheckedIn

from crm_leads.leads.subscribers import on_visit_checked_in

table = SubscriptionTable(consumer="main")
table.on(VisitCheckedIn)(on_visit_checked_in)  # walk-in leads, visited marks, report confirmation
