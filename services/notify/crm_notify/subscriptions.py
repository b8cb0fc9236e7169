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
from crm_shared.events.customers import (
    ArchiveFrozen, ArchiveOpened, ArchiveUnfrozen, ComplaintAssigned, ComplaintOverdue, ComplaintReceived, GreetingDue,
    RevisitDue,
)
from crm_shared.events.deals import DealSubscribed, PayoutDue
from crm_shared.events.reports import DigestReady
from crm_notify import privacy
from crm_shared.events.privacy import CustomerErased
from crm_notify.triggers import (
    appointments, customer_care, customers, freezes, greetings, office_notices, sales_notices, staff_notices,
)

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

table.on(ComplaintReceived)(customer_care.on_complaint_received)  # the number to the customer; a major one to the managers
table.on(ComplaintAssigned)(customer_care.on_complaint_assigned)
table.on(ComplaintOverdue)(customer_care.on_complaint_overdue)  # escalation, once per missed deadline
table.on(RevisitDue)(customer_care.on_revisit_due)
table.on(GreetingDue)(greetings.on_greeting_due)  # marketing: consent, opt-outs, freezes, quiet hours at send time
table.on(ArchiveOpened, ArchiveFrozen, ArchiveUnfrozen)(freezes.on_archive)  # a frozen person gets no marketing there
table.on(DealSubscribed)(sales_notices.on_deal_subscribed)  # price approval (价格核定) waiting: the managers
table.on(PayoutDue)(sales_notices.on_payout_due)  # finance and the managers
table.on(CustomerErased)(privacy.on_customer_erased)  # PIPL erasure: messages, contacts; opt-outs kept without the number
