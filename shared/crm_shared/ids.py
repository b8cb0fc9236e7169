"""Time-ordered ids (UUIDv7, RFC 9562): sortable, so they double as cursor keys."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime


def uuid7() -> str:
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def utcnow() -> datetime:
    return datetime.now(UTC)


def stored_now() -> datetime:
    """Now to the millisecond, as the store keeps it: what a write answers equals what a later read of it
    answers, and an event's times equal the stored ones."""
    now = utcnow()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
