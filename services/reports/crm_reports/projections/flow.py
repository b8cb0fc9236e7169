"""The reports service's whole flow on one screen: event class -> projections.

The live consumer (`reports-main`, crm_reports.subscriptions) and a rebuild's replay run the
same projections, many events at a time (crm_reports.projections.window).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from crm_reports.projections import care, channels, directory, funnel, names, outcomes, sales, traffic
from crm_shared.events import Envelope, EventData
from crm_shared.events.customers import (
    ArchiveFrozen, ArchiveOpened, ArchiveReviewed, ArchiveTierChanged, ArchiveUnfrozen, ArchiveUpdated,
    ComplaintActionDone, ComplaintClosed, ComplaintOverdue, ComplaintReceived, ComplaintReopened, EvaluationReviewed,
    EvaluationSubmitted, RevisitDue, RevisitLogged, RevisitOverdue,
)
from crm_shared.events.deals import (
    DealAttributionChanged, DealCancelled, DealPaid, DealPaymentReceived, DealPriceApproved, DealSigned, DealSubscribed,
    DealUnitChanged, PayoutApproved, PayoutDue, PayoutPaid, PayoutPending, PayoutVoided, UnitCreated, UnitStatusChanged,
)
from crm_shared.events.leads import (
    AttributionDecided, AttributionDisputed, BranchConfigured, ChannelReportAccepted, ChannelReportConfirmed,
    ChannelReportExpired, ChannelReportRejected, LeadAssigned, LeadClaimed, LeadFollowedUp, LeadFollowUpOverdue,
    LeadGraded, LeadLost, LeadRegistered, LeadReleased, LeadWon, PartnerRegistered, ReferrerRegistered, StaffJoined,
    StaffLeft,
)
from crm_shared.events.notify import NotificationDelivered, NotificationFailed, NotificationSent
from crm_shared.events.reception import (
    AppointmentCancelled, AppointmentNoShow, AppointmentRescheduled, AppointmentScheduled, ReceptionApproved,
    ReceptionCompleted, ReceptionRejected, ReceptionRequested, VisitCheckedIn, VisitEnded,
)

if TYPE_CHECKING:
    from crm_reports.projections.window import Window

Projection = Callable[["Window", Envelope, Any], Awaitable[None]]

PROJECTIONS: dict[type[EventData], tuple[Projection, ...]] = {
    BranchConfigured: (directory.on_directory_event,),
    StaffJoined: (directory.on_directory_event,),
    StaffLeft: (directory.on_directory_event,),
    LeadRegistered: (traffic.on_lead_registered, funnel.on_lead_registered),
    LeadGraded: (outcomes.on_lead_graded,),
    LeadAssigned: (traffic.on_owner_change,),
    LeadReleased: (traffic.on_owner_change,),
    LeadClaimed: (traffic.on_owner_change,),
    LeadFollowedUp: (traffic.on_followed_up,),
    LeadFollowUpOverdue: (outcomes.on_overdue,),
    LeadWon: (outcomes.on_lead_won, funnel.on_lead_won),  # once per lead: the first win (deals, partners' deals)
    LeadLost: (outcomes.on_lead_lost, funnel.on_lead_lost),
    ChannelReportAccepted: (channels.on_channel_report,),
    ChannelReportRejected: (channels.on_channel_report,),
    ChannelReportConfirmed: (channels.on_channel_report,),
    ChannelReportExpired: (channels.on_channel_report,),
    AttributionDisputed: (channels.on_dispute,),
    AttributionDecided: (channels.on_dispute,),
    PartnerRegistered: (names.on_registered,),
    ReferrerRegistered: (names.on_registered,),
    AppointmentScheduled: (traffic.on_appointment,),
    AppointmentRescheduled: (traffic.on_appointment,),
    AppointmentCancelled: (traffic.on_appointment,),
    AppointmentNoShow: (traffic.on_appointment,),
    VisitCheckedIn: (traffic.on_visit_checked_in, funnel.on_visit_checked_in),
    VisitEnded: (traffic.on_visit_ended,),
    ReceptionRequested: (channels.on_reception,),
    ReceptionApproved: (channels.on_reception,),
    ReceptionRejected: (channels.on_reception,),
    ReceptionCompleted: (channels.on_reception,),
    NotificationSent: (traffic.on_notification,),
    NotificationDelivered: (traffic.on_notification,),
    NotificationFailed: (traffic.on_notification,),
    # deals (crm_reports.projections.sales; deal stages into the funnel)
    UnitCreated: (sales.on_unit,),
    UnitStatusChanged: (sales.on_unit,),
    DealSubscribed: (funnel.on_deal_stage,),
    DealPriceApproved: (sales.on_price_approved,),
    DealSigned: (sales.on_signed, funnel.on_deal_stage),
    DealPaymentReceived: (sales.on_payment,),
    DealPaid: (funnel.on_deal_stage,),
    DealCancelled: (sales.on_cancelled,),
    DealUnitChanged: (sales.on_unit_changed,),
    DealAttributionChanged: (sales.on_attribution_changed, channels.on_credit_moved),  # both reports move the deal
    PayoutPending: (sales.on_payout,),
    PayoutDue: (sales.on_payout,),
    PayoutApproved: (sales.on_payout,),
    PayoutPaid: (sales.on_payout,),
    PayoutVoided: (sales.on_payout,),
    # customers (crm_reports.projections.care)
    ComplaintReceived: (care.on_complaint,),
    ComplaintOverdue: (care.on_complaint,),
    ComplaintClosed: (care.on_complaint,),
    ComplaintReopened: (care.on_complaint,),
    ComplaintActionDone: (care.on_complaint,),
    RevisitDue: (care.on_revisit,),
    RevisitOverdue: (care.on_revisit,),
    RevisitLogged: (care.on_revisit,),
    ArchiveOpened: (care.on_archive,),
    ArchiveReviewed: (care.on_archive,),
    ArchiveTierChanged: (care.on_archive,),
    ArchiveUpdated: (care.on_archive,),
    ArchiveFrozen: (care.on_archive,),
    ArchiveUnfrozen: (care.on_archive,),
    EvaluationSubmitted: (care.on_evaluation,),
    EvaluationReviewed: (care.on_evaluation,),
}
