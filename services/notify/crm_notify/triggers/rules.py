"""Pure trigger rules: which reminders an appointment gets, message keys, and times as people read them."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, time, timedelta

from crm_shared.branches import at_local, local_date, zone

EVENING_BEFORE = time(19, 0)
REMINDER_KINDS = ("reminder_7d", "reminder_2d", "reminder_evening")
_NS = uuid.UUID("6f1c5a8e-2b7d-4c1e-9a53-0d6b2f0c9e11")


def reminder_plan(start: datetime, now: datetime, tz: str | None) -> dict[str, datetime]:
    """Reminders 7 days and 2 days before, and 19:00 branch time the evening before; future ones only."""
    evening = at_local(local_date(start, tz) - timedelta(days=1), EVENING_BEFORE, tz)
    plan = {
        "reminder_7d": start - timedelta(days=7),
        "reminder_2d": start - timedelta(days=2),
        "reminder_evening": evening,
    }
    return {kind: due.astimezone(UTC) for kind, due in plan.items() if now < due < start}


def recipient_token(recipient: str) -> str:
    """Keys carry a digest of the address, so ids never reveal a phone or an email."""
    return hashlib.sha256(recipient.encode()).hexdigest()[:16]


def message_key(kind: str, entity: str, channel: str, recipient: str, occurrence: str) -> str:
    """The idempotency key of one planned send."""
    return f"{kind}|{entity}|{channel}|{recipient_token(recipient)}|{occurrence}"


def message_id(key: str) -> str:
    """A stable, opaque document id from the key: the same plan always lands on one document."""
    return str(uuid.uuid5(_NS, key))


def lead_time_label(kind: str, locale: str) -> str:
    labels = {
        "zh-CN": {"reminder_7d": "7天后", "reminder_2d": "2天后", "reminder_evening": "明天"},
        "en": {"reminder_7d": "in 7 days", "reminder_2d": "in 2 days", "reminder_evening": "tomorrow"},
    }
    return labels.get(locale, labels["zh-CN"]).get(kind, "")


def local_text(moment: datetime, tz: str, locale: str) -> str:
    """A moment in branch time, as a message shows it (`2026年12月1日 09:00`)."""
    local = moment.astimezone(zone(tz))
    if locale == "en":
        return local.strftime("%Y-%m-%d %H:%M")
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def local_day(day: date, locale: str) -> str:
    """A date as a message shows it (`2026年12月1日`)."""
    if locale == "en":
        return day.isoformat()
    return f"{day.year}年{day.month}月{day.day}日"
