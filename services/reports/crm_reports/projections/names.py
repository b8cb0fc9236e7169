"""What partners and referrers are called, from their registrations (`partner.registered`,
`referrer.registered`), so reports show names instead of ids. A redelivered event writes the
same document again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pymongo.errors import DuplicateKeyError

from crm_shared.events import Envelope
from crm_shared.events.leads import PartnerRegistered, ReferrerRegistered

if TYPE_CHECKING:
    from crm_reports.projections.window import Window


async def on_registered(w: Window, env: Envelope, data: PartnerRegistered | ReferrerRegistered) -> None:
    if isinstance(data, PartnerRegistered):
        _id, fields = f"partner:{data.partner_id}", {"agency_id": data.agency_id, "kind": data.kind}
    else:
        _id, fields = f"referrer:{data.referrer_id}", {"kind": data.kind}
    update = {"$set": {"branch_id": env.branch_id, "name": data.name, **fields}}
    try:
        await w.g.names.update_one({"_id": _id}, update, upsert=True)
    except DuplicateKeyError:  # written concurrently (a replica): now it exists
        await w.g.names.update_one({"_id": _id}, update)
