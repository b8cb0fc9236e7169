"""Every event the leads service consumes, and its handler: the whole inbound flow in one screen."""

from __future__ import annotations

from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.events.deals import DealCancelled, DealPaid, DealSigned, DealUnitChanged
from crm_shared.events.reception import AppointmentScheduled, VisitAssigned, VisitCheckedIn

from crm_leads.channel_reports.subscribers import on_appointment_scheduled
from crm_leads.deals.subscribers import on_deal, on_unit_changed
from crm_leads.leads.subscribers import on_visit_assigned, on_visit_checked_in
from crm_leads import privacy
from crm_shared.events.privacy import CustomerErased

# one consumer, so a booking is known before the check-in that follows it is judged
table = SubscriptionTable(consumer="main")
table.on(VisitCheckedIn)(on_visit_checked_in)  # walk-in leads, visited marks, report confirmation, the office knows them
table.on(AppointmentScheduled)(on_appointment_scheduled)  # the office knows the booked customer
table.on(VisitAssigned)(on_visit_assigned)  # a walk-in who waited: the lead goes to whoever serves them
table.on(DealSigned, DealPaid, DealCancelled)(on_deal)  # the lead is won, paid, refunded (reopened when its deal is cancelled)
table.on(DealUnitChanged)(on_unit_changed)  # 换房: the lead's deal moves to the new unit and price
table.on(CustomerErased)(privacy.on_customer_erased)  # PIPL erasure: the customer's leads, follow-ups, reports' names
