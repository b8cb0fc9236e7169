"""Named leases in a service's own database, so a timer runs on one replica at a time.

`_id` is the lease name; taking it is one conditional `find_one_and_update`, which is
atomic on both stores. A replica that dies simply lets its lease run out.
"""

from __future__ import annotations

from datetime import timedelta

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from crm_shared.ids import utcnow

LEASES = "leases"


async def acquire(db: AsyncDatabase, name: str, owner: str, seconds: float) -> bool:
    """Take or renew the lease; False while another owner holds an unexpired one."""
    now = utcnow()
    until = now + timedelta(seconds=seconds)
    taken = await db[LEASES].find_one_and_update(
        {"_id": name, "$or": [{"owner": owner}, {"until": {"$lt": now}}]},
        {"$set": {"owner": owner, "until": until}},
        return_document=ReturnDocument.AFTER,
    )
    if taken is not None:
        return True
    try:
        await db[LEASES].insert_one({"_id": name, "owner": owner, "until": until})
        return True
    except DuplicateKeyError:
        return False


async def release(db: AsyncDatabase, name: str, owner: str) -> None:
    await db[LEASES].delete_one({"_id": name, "owner": owner})
