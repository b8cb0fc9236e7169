"""The live consumer's handler: each batch of events into every active generation."""

from __future__ import annotations

from typing import Any

from crm_reports import generations
from crm_reports.generations import Generation
from crm_reports.projections.window import Window
from crm_shared.events import Envelope
from crm_shared.plugins import ServiceContext


async def project(g: Generation, events: list[tuple[Envelope, Any]], default_timezone: str) -> None:
    """Apply events to one generation and write them: one window."""
    window = Window(g, default_timezone)
    await window.apply(events)
    await window.flush()


async def on_events(ctx: ServiceContext, events: list[tuple[Envelope, Any]]) -> None:
    """The current generation and the one being rebuilt, if any (idempotent per event)."""
    for g in await generations.active(ctx.db, ctx.state.pointer):
        await project(g, events, ctx.config.default_timezone)
