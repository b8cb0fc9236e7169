"""The whole inbound flow of deals on one screen: event class -> handler.

Every handler is idempotent and tolerates out-of-order delivery (newer event wins).
"""

from __future__ import annotations

from crm_shared import directory
from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.events.leads import BranchConfigured, StaffJoined, StaffLeft

main = SubscriptionTable(consumer="main")
main.on(BranchConfigured, StaffJoined, StaffLeft)(directory.record)

TABLES = (main,)
