"""What the notify views, handlers and dispatcher share in one process."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from crm_shared.ids import uuid7
from crm_shared.plugins import ServiceContext
from crm_notify.config import NotifySettings
from crm_notify.providers.base import Provider

SERVICE = "notify"


@dataclass
class NotifyRuntime:
    """The running service: platform context, notify settings, one provider per channel."""

    ctx: ServiceContext
    config: NotifySettings
    providers: dict[str, Provider]
    owner: str = field(default_factory=uuid7)
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def db(self):
        return self.ctx.db


_RUNTIMES: dict[int, NotifyRuntime] = {}


def attach(ctx: ServiceContext, rt: NotifyRuntime) -> None:
    _RUNTIMES[id(ctx)] = rt


def detach(ctx: ServiceContext) -> None:
    _RUNTIMES.pop(id(ctx), None)


def runtime_of(ctx: ServiceContext) -> NotifyRuntime:
    return _RUNTIMES[id(ctx)]


def _get(request: Request) -> NotifyRuntime:
    return runtime_of(request.app.state.contexts[SERVICE])


Rt = Annotated[NotifyRuntime, Depends(_get)]
