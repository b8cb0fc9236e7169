"""What every leads module shares: the request context, its per-process state, ids and branch lookup."""

from __future__ import annotations

import hashlib
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Path
from pydantic import AfterValidator, Field

from crm_shared.branches import BranchSettings
from crm_shared.errors import NotFound
from crm_shared.http.auth import Principal
from crm_shared.plugins import ServiceContext, context_of
from crm_shared.text import clean_line

from crm_leads.assigners.base import Assigner

Ctx = Annotated[ServiceContext, Depends(context_of("leads"))]
IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
ID_FIELD = dict(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
BRANCH_FIELD = dict(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", max_length=63)
MANAGERS = ("manager", "admin")
STAFF_READERS = ("consultant", "reception", "finance", "integrator", *MANAGERS)
"""Who reads the staff list (names, work phones): everyone but partners."""
LEAD_READERS = ("consultant", "reception", *MANAGERS)
"""Who reads leads at all: not partners and integrators (their own reports, the floor), nor finance (the deals'
money, not the sales floor's customers)."""
OPEN_STATUSES = ("new", "contacted", "visited", "negotiating")
BRANCH_CACHE_SECONDS = 5.0  # another replica's settings change reaches this one within this time


def _no_hidden_characters(value: str) -> str:
    """An address is one visible token: no spaces, controls or zero-width characters anywhere in it."""
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in value):
        raise ValueError("an email address holds no spaces, control or invisible characters")
    return value


Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$"), AfterValidator(clean_line),
                  AfterValidator(_no_hidden_characters)]


def seeded_id(seed: str, at: datetime) -> str:
    """A uuid7-shaped id fixed by a seed, so a redelivered event makes the same document."""
    ms = int(at.timestamp() * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:10], "big")
    value = ms << 80 | 0x7 << 76 | ((rand >> 62) & 0xFFF) << 64 | 0b10 << 62 | rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


class Branch:
    """A branch's id, timezone and effective settings, as the rules need them."""

    def __init__(self, doc: dict[str, Any], default_timezone: str) -> None:
        self.id: str = doc["_id"]
        self.timezone: str = doc.get("timezone") or default_timezone
        self.settings = BranchSettings.from_event(doc.get("settings") or {})


@dataclass
class LeadsState:
    """The service's per-process objects (`ctx.state`, set at start): the configured assigner and
    the branches read in the last `BRANCH_CACHE_SECONDS` (branch id -> (good until, branch))."""

    assigner: Assigner
    branches: dict[str, tuple[float, Branch]] = field(default_factory=dict)


def forget_branch(ctx: ServiceContext, branch_id: str) -> None:
    ctx.state.branches.pop(branch_id, None)


async def load_branch(ctx: ServiceContext, branch_id: str, who: Principal | None = None) -> Branch:
    """The branch, or 404 when unknown or outside the caller's scope (read through a short cache)."""
    if who is not None:
        who.require_branch(branch_id)
    cache = ctx.state.branches
    cached = cache.get(branch_id)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    doc = await ctx.aggregate("branches").find_one({"_id": branch_id})
    if doc is None:
        raise NotFound("branch")
    cache[branch_id] = (time.monotonic() + BRANCH_CACHE_SECONDS, Branch(doc, ctx.config.default_timezone))
    return cache[branch_id][1]


async def branch_or_default(ctx: ServiceContext, branch_id: str) -> Branch:
    """For timers and consumers: a branch never configured gets the defaults."""
    doc = await ctx.aggregate("branches").find_one({"_id": branch_id})
    return Branch(doc or {"_id": branch_id}, ctx.config.default_timezone)
