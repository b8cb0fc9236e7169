"""Policy before each send: the branch's opt-outs, consent, quiet hours, duplicates, per-recipient rate limit.

Each check answers with a decision; the dispatcher applies it in one conditional write.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pymongo.errors import DuplicateKeyError

from crm_shared.directory import BranchFacts
from crm_notify.dispatch.rules import quiet_deferral, rate_key, rate_window
from crm_notify.optouts.service import has_consent, is_opted_out
from crm_notify.settings import NotifySettings
from crm_notify.triggers.freezes import PERSON, is_frozen

RATES = "rate_counters"
DUPLICATES = "recent_sends"


@dataclass(frozen=True)
class Decision:
    action: Literal["send", "suppress", "defer"]
    reason: str | None = None
    until: datetime | None = None


SEND = Decision("send")


STAFF_CHANNELS = ("wecom",)
"""Channels that reach staff only (a WeCom userid): nobody opts out of them, and no customer is written to there."""


async def before_render(db: Any, config: NotifySettings, doc: dict, branch: BranchFacts, now: datetime) -> Decision:
    channel, to, category = doc["channel"], doc["to"], doc["category"]
    if channel in STAFF_CHANNELS:
        return SEND if category == "transactional" else Decision("suppress", f"no marketing by {channel}")
    if await is_opted_out(db, doc["branch_id"], channel, to, category):
        return Decision("suppress", f"recipient opted out of {channel}")
    if category == "marketing" and not await has_consent(db, doc["branch_id"], channel, to):
        return Decision("suppress", "no marketing consent")
    if category == "marketing" and await is_frozen(db, doc["branch_id"], doc.get(PERSON)):
        return Decision("suppress", "the customer's archive is frozen in this branch")
    if until := quiet_deferral(now, category, branch.settings.quiet_hours, branch.timezone):
        return Decision("defer", "quiet hours", until)
    return SEND


async def duplicate(db: Any, config: NotifySettings, doc: dict, text: str, now: datetime) -> Decision:
    """Same text to the same recipient inside the window, from another message: suppressed.

    Keys already make one plan one message; this catches two plans saying the same thing.
    """
    if config.duplicate_window_seconds <= 0:
        return SEND
    window = int(now.timestamp()) // config.duplicate_window_seconds
    digest = hashlib.sha256(f"{doc['channel']}|{doc['to']}|{text}".encode()).hexdigest()[:32]
    _id = f"{digest}:{window}"
    try:
        await db[DUPLICATES].insert_one({"_id": _id, "message_id": doc["_id"], "at": now})
        return SEND
    except DuplicateKeyError:
        first = await db[DUPLICATES].find_one({"_id": _id})
    if first and first.get("message_id") == doc["_id"]:
        return SEND
    return Decision("suppress", f"duplicate of message {first.get('message_id') if first else '?'}")


async def take_rate(db: Any, config: NotifySettings, doc: dict, now: datetime) -> Decision:
    """Fixed-window counter per (channel, recipient); over the limit waits for the next window."""
    limit = config.rate_limit(doc["channel"])
    window = config.rate_limit_window_seconds
    _id = rate_key(doc["channel"], doc["to"], now, window)
    try:  # first send in the window: an insert (cheap on both stores), else a guarded increment
        await db[RATES].insert_one({"_id": _id, "n": 1, "at": now})
        return SEND
    except DuplicateKeyError:
        pass
    taken = await db[RATES].update_one({"_id": _id, "n": {"$lt": limit}}, {"$inc": {"n": 1}, "$set": {"at": now}})
    if taken.modified_count:
        return SEND
    return Decision("defer", "rate limit", rate_window(now, window)[1] + timedelta(seconds=1))
