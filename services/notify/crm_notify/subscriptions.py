"""Every event notify consumes and its handler: the whole flow on one screen."""

from __future__ import annotations

from crm_shared import directory
from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.events.leads import (
    AttributionDisputeOverdue, BranchConfigured, LeadAssigned, LeadClaimed, LeadFollowUpOverdue, LeadImportFinished,
    LeadReclaimWarning, LeadRegistered, LeadUpdated, StaffJoined, StaffLeft,
)
from crm_shared.events.reception import (
    AppointmentCancelled, AppointmentRescheduled, AppointmentScheduled, ReceptionApproved, ReceptionFeedbackOverdue,
)
from crm_shared.events.reports import DigestReady
from crm_notify.triggers import appointments, customers, office_notices, staff_notices

table = SubscriptionTable(consumer="main")

table.on(BranchConfigured, StaffJoined, StaffLeft)(directory.record)

table.on(AppointmentScheduled)(appointments.on_scheduled)
table.on(AppointmentRescheduled)(appointments.on_rescheduled)
table.on(AppointmentCancelled)(appointments.on_cancelled)

table.on(LeadRegistered)(staff_notices.on_lead_registered)  # remembers the customer's name, too
table.on(LeadUpdated)(customers.on_updated)  # a renamed customer
table.on(LeadAssigned, LeadClaimed)(staff_notices.on_lead_owner)
table.on(LeadFollowUpOverdue)(staff_notices.on_overdue)
table.on(LeadReclaimWarning)(staff_notices.on_reclaim_warning)
table.on(LeadImportFinished)(staff_notices.on_import_finished)  # one summary, never a notice per row

table.on(ReceptionApproved)(office_notices.on_reception_approved)
table.on(ReceptionFeedbackOverdue)(office_notices.on_feedback_overdue)
table.on(AttributionDisputeOverdue)(office_notices.on_dispute_overdue)
table.on(DigestReady)(office_notices.on_digest)
