"""Every event notify consumes and its handler: the whole flow on one screen."""

from __future__ import annotations

from crm_shared import directory
from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.events.leads import (
    BranchConfigured, LeadAssigned, LeadClaimed, LeadFollowUpOverdue, LeadRegistered, StaffJoined, StaffLeft,
)
from crm_shared.events.reception import AppointmentCancelled, AppointmentRescheduled, AppointmentScheduled, ReceptionApproved
from crm_shared.events.reports import DigestReady
from crm_notify.triggers import appointments, staff_notices

table = SubscriptionTable(consumer="main")

table.on(BranchConfigured, StaffJoined, StaffLeft)(directory.record)

table.on(AppointmentScheduled)(appointments.on_scheduled)
table.on(AppointmentRescheduled)(appointments.on_rescheduled)
table.on(AppointmentCancelled)(appointments.on_cancelled)

table.on(LeadRegistered)(staff_notices.on_lead_registered)
table.on(LeadAssigned, LeadClaimed)(staff_notices.on_lead_owner)
table.on(LeadFollowUpOverdue)(staff_notices.on_overdue)
table.on(ReceptionApproved)(staff_notices.on_reception_approved)
table.on(DigestReady)(staff_notices.on_digest)
