"""Every event notify consumes and its handler: the whole flow on one screen."""

from __future__ import annotations

from crm_shared.bus.consumers import SubscriptionTable
from crm_notify.triggers import appointments, directory, staff_notices

table = SubscriptionTable(consumer="main")

table.on("branch.configured")(directory.on_branch_configured)
table.on("staff.joined")(directory.on_staff_joined)
table.on("staff.left")(directory.on_staff_left)

table.on("appointment.scheduled")(appointments.on_scheduled)
table.on("appointment.rescheduled")(appointments.on_rescheduled)
table.on("appointment.cancelled")(appointments.on_cancelled)

table.on("lead.registered")(staff_notices.on_lead_registered)
table.on("lead.assigned", "lead.claimed")(staff_notices.on_lead_owner)
table.on("lead.follow_up_overdue")(staff_notices.on_overdue)
table.on("reception.approved")(staff_notices.on_reception_approved)
table.on("report.digest_ready")(staff_notices.on_digest)
