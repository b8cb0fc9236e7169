"""What notify keeps per process on its context (`ctx.state`), and the views' dependency on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends

from crm_shared.directory import Directory
from crm_shared.ids import uuid7
from crm_shared.plugins import ServiceContext, context_of
from crm_notify.providers.base import Provider

SERVICE = "notify"


@dataclass
class NotifyRuntime:
    """Set in startup: one started provider per channel, the branch/staff directory, and this
    replica's owner id for job leases."""

    providers: dict[str, Provider]
    directory: Directory
    owner: str = field(default_factory=uuid7)


Ctx = Annotated[ServiceContext, Depends(context_of(SERVICE))]
"""A view's running notify context: `ctx.db`, `ctx.config` (NotifySettings), `ctx.state` (NotifyRuntime)."""
