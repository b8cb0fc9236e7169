"""Reception's `appointment.scheduled`: the office knows the booked customer from the booking on,
so a later channel report cannot claim them. Only the hash and the mask of the number are kept: as the
event carries them (`schema_version` 2, the number sealed), or made from the number in clear of a
version-1 event."""

from __future__ import annotations

import logging

from crm_shared.events import Envelope
from crm_shared.events.reception import AppointmentScheduled
from crm_shared.phones import InvalidPhone, mask, normalize, phone_hash
from crm_shared.plugins import ServiceContext

from crm_leads.channel_reports import known

log = logging.getLogger("crm.leads")


async def on_appointment_scheduled(ctx: ServiceContext, env: Envelope, data: AppointmentScheduled) -> None:
    customer = data.customer
    if customer.phone_hash and customer.phone_masked:  # version 2: nothing to open
        await known.learn(ctx, env.branch_id, customer.phone_hash, customer.phone_masked, customer.name, env.time)
        return
    try:
        e164 = normalize(customer.phone or "", ctx.settings.default_region)
    except InvalidPhone:  # nothing to match a report on; retrying cannot help
        log.warning("appointment without a usable phone", extra={"appointment_id": data.appointment_id})
        return
    await known.learn(ctx, env.branch_id, phone_hash(e164, ctx.settings.phone_hash_key), mask(e164), customer.name, env.time)
