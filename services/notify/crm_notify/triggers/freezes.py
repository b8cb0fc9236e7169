"""Frozen archives (冻结, customers): no marketing to that person from that branch while frozen; other branches
unaffected. Notify keeps each archive's person (phone hash, from `archive.opened`) and frozen flag (newer event
wins); the dispatcher's policy asks `is_frozen` before every marketing send that names its person.
"""

from __future__ import annotations

from typing import Any

from crm_shared.directory import newer_wins
from crm_shared.events import Envelope
from crm_shared.events.customers import ArchiveFrozen, ArchiveOpened, ArchiveUnfrozen
from crm_shared.phones import InvalidPhone, normalize, phone_hash
from crm_shared.plugins import ServiceContext

ARCHIVE_PEOPLE = "archive_people"
PERSON = "person"
"""A message's field naming its recipient as a phone hash (marketing messages), so a freeze can stop it."""


async def on_archive(ctx: ServiceContext, env: Envelope, data: ArchiveOpened | ArchiveFrozen | ArchiveUnfrozen) -> None:
    """Every archive event carries the archive's frozen state: the newer one wins. The person never changes, so
    `archive.opened` sets it whenever it arrives (also after a freeze that overtook it)."""
    col = ctx.db[ARCHIVE_PEOPLE]
    frozen = isinstance(data, ArchiveFrozen) or (data.frozen and not isinstance(data, ArchiveUnfrozen))
    await newer_wins(col, data.archive_id, env.time, {"branch_id": env.branch_id, "frozen": frozen})
    if isinstance(data, ArchiveOpened) and data.customer is not None:
        await col.update_one({"_id": data.archive_id}, {"$set": {"phone_hash": data.customer.phone_hash}})


async def is_frozen(db: Any, branch_id: str, person: str | None) -> bool:
    """Has this person a frozen archive in this branch? One indexed lookup on the hash; other branches do not count."""
    if not person:
        return False
    docs = await db[ARCHIVE_PEOPLE].find({"phone_hash": person}, projection={"branch_id": 1, "frozen": 1}).to_list(None)
    return any(d.get("branch_id") == branch_id and d.get("frozen") for d in docs)


def person_of(ctx: ServiceContext, phone: str | None) -> str | None:
    """The phone hash (group key) of a number, as archives name their person; None for no or a bad number."""
    if not phone:
        return None
    try:
        return phone_hash(normalize(phone, ctx.settings.default_region), ctx.settings.phone_hash_key)
    except InvalidPhone:
        return None
