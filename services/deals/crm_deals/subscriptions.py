"""The whole inbound flow of deals on one screen: event class -> handler.

Every handler is idempotent and tolerates out-of-order delivery (newer event wins).
"""

from __future__ import annotations

from crm_shared import directory
from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.events.leads import BranchConfigured, StaffJoined, StaffLeft
from crm_shared.events.deals import DealAttributionChanged, DealCancelled, DealPaid, DealSigned, DealUnitChanged
from crm_shared.events.leads import PartnerRegistered, ReferrerRegistered
from crm_deals.payouts import subscribers as payout_subscribers
from crm_deals import privacy
from crm_shared.events.privacy import CustomerErased

main = SubscriptionTable(consumer="main")
main.on(BranchConfigured, StaffJoined, StaffLeft)(directory.record)
main.on(CustomerErased)(privacy.on_customer_erased)  # PIPL erasure: the buyer's name on deals, payouts and lead copies

# payouts (结佣, 全民营销奖励): deals' own events settle each deal's payouts; registrations give the names
payouts = SubscriptionTable(consumer="payouts")
payouts.on(DealSigned, DealPaid, DealCancelled, DealUnitChanged, DealAttributionChanged)(payout_subscribers.on_deal)
payouts.on(PartnerRegistered, ReferrerRegistered)(payout_subscribers.on_registered)

# leads (deals' copy of the leads it sells to): owner, status, channel, confirmed reports, disputes, names
from crm_shared.events.leads import (AttributionDecided, ChannelReportConfirmed, ChannelReportExpired,  # noqa: E402
                                     ChannelReportRenewed, LeadAssigned, LeadClaimed, LeadLost, LeadRegistered,
                                     LeadReleased, LeadUpdated, LeadWon)
from crm_deals.leads import subscribers as lead_copies  # noqa: E402

leads = SubscriptionTable(consumer="leads")
leads.on(LeadRegistered)(lead_copies.on_registered)
leads.on(LeadAssigned, LeadClaimed, LeadReleased)(lead_copies.on_owner_changed)
leads.on(LeadUpdated)(lead_copies.on_updated)
leads.on(LeadWon, LeadLost)(lead_copies.on_closed)
leads.on(ChannelReportConfirmed, ChannelReportRenewed, ChannelReportExpired)(lead_copies.on_report)
leads.on(AttributionDecided)(lead_copies.on_decided)
leads.on(ReferrerRegistered)(lead_copies.on_referrer)
leads.on(PartnerRegistered)(lead_copies.on_partner)

TABLES = (main, payouts, leads)
