"""The reports service's whole flow on one screen: event class -> projections.

The live consumer (`reports-main`, crm_reports.subscriptions) and a rebuild's replay run the
same projections, many events at a time (crm_reports.projections.window).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from crm_reports.projections import channels, directory, funnel, names, outcomes, traffic
from crm_shared.events import Envelope, EventData
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
    LeadWon: (outcomes.on_lead_won, funnel.on_lead_won, channels.on_partner_deal),
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
}
