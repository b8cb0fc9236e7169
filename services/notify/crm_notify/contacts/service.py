"""Customer contacts notify may greet: name, phone/email, birthday and marketing consent per channel."""

from __future__ import annotations

from datetime import date
from typing import Any

from crm_shared.ids import utcnow
from crm_notify.optouts.service import set_consent
from crm_notify.triggers.rules import recipient_token

CONTACTS = "contacts"


def contact_id(branch_id: str, phone: str | None, email: str | None) -> str:
    return f"{branch_id}:{recipient_token(phone or email or '')}"


async def upsert(db: Any, branch_id: str, name: str, phone: str | None, email: str | None,
                 birthday: date | None, consent: dict[str, bool]) -> dict:
    _id = contact_id(branch_id, phone, email)
    doc = {"branch_id": branch_id, "name": name, "phone": phone, "email": email,
           "birthday": birthday.isoformat() if birthday else None,
           "birthday_md": birthday.strftime("%m-%d") if birthday else None,
           "consent": consent, "updated_at": utcnow()}
    await db[CONTACTS].update_one({"_id": _id}, {"$set": doc}, upsert=True)
    for channel, to in (("sms", phone), ("email", email)):
        if to is not None:
            await set_consent(db, branch_id, channel, to, bool(consent.get(channel)))
    return {"id": _id, **doc}


async def with_birthday(db: Any, branch_id: str, day: date) -> list[dict]:
    """Dev store: a scan of the branch's contacts, once per branch and day (see birthdays trigger)."""
    md = day.strftime("%m-%d")
    docs = await db[CONTACTS].find({"branch_id": branch_id, "birthday_md": md}).to_list(100_000)
    if md == "02-28" and not _leap(day.year):
        docs += await db[CONTACTS].find({"branch_id": branch_id, "birthday_md": "02-29"}).to_list(100_000)
    return docs


async def consented(db: Any, branch_id: str, channel: str, limit: int) -> list[dict]:
    return await db[CONTACTS].find({"branch_id": branch_id, f"consent.{channel}": True}).to_list(limit)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
