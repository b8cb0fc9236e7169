"""The whole inbound flow of customers on one screen: event class -> handler.

Every handler is idempotent and tolerates out-of-order delivery (newer event wins).
"""

from __future__ import annotations

from crm_shared import directory
from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.events.deals import DealSigned
from crm_shared.events.leads import BranchConfigured, StaffJoined, StaffLeft
from crm_customers.archives import subscribers as archive_subscribers
from crm_customers.revisits import subscribers as revisit_subscribers
from crm_customers import leads
from crm_shared.events.leads import LeadRegistered
from crm_shared.events.customers import (ArchiveFrozen, ArchiveOpened, ArchiveTierChanged, ArchiveUnfrozen,
                                         ArchiveUpdated)
from crm_shared.events.deals import DealCancelled, DealSubscribed

main = SubscriptionTable(consumer="main")
main.on(BranchConfigured, StaffJoined, StaffLeft)(directory.record)

archives = SubscriptionTable(consumer="archives")
archives.on(DealSigned)(archive_subscribers.on_deal_signed)  # the buyer's owner archive (业主档案)

revisits = SubscriptionTable(consumer="revisits")  # revisit plans follow the archive as stored, in any order
revisits.on(ArchiveOpened, ArchiveTierChanged, ArchiveFrozen, ArchiveUnfrozen, ArchiveUpdated)(revisit_subscribers.on_archive)
revisits.on(DealSubscribed, DealSigned, DealCancelled)(revisit_subscribers.on_deal)  # deal copies, after-sale plans

complaints = SubscriptionTable(consumer="complaints")
complaints.on(LeadRegistered)(leads.on_lead_registered)  # an archive or a complaint may name the customer's lead

from crm_customers.privacy.part import table as privacy  # noqa: E402  (erasures: own records, every service's answer)

TABLES = (main, archives, revisits, complaints, privacy)
