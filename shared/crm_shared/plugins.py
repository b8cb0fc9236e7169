"""Service plugins (entry-point group `crm.services`) and the runtime context each gets.

Discovery fails fast, like pluggy: an unknown name or a plugin that cannot be loaded
stops start-up with a message naming it, instead of surfacing at the first request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any, ClassVar

from fastapi import APIRouter, Request
from nats.js import JetStreamContext
from pymongo.asynchronous.database import AsyncDatabase

from crm_shared.aggregates import Aggregate
from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.bus.outbox import OUTBOX_FIELD, OutboxRelay, outbox_entries
from crm_shared.config import ServiceSettings, Settings
from crm_shared.events import Envelope, EventData, registry
from crm_shared.stores import DEV_STORE, StoreCapabilities
from crm_shared.timers import Retention, Timer, TimerRunner

GROUP = "crm.services"
log = logging.getLogger("crm.plugins")


class PluginError(RuntimeError):
    """A service plugin is unknown, broken or misdeclared."""


@dataclass
class ServiceContext:
    """What a running service uses: its own database, the bus, its outbox relay, its settings
    (`config`, the plugin's `settings_model`) and whatever per-process objects it keeps
    (`state`, set in `startup`: providers, caches) -- never module globals."""

    name: str
    settings: Settings
    db: AsyncDatabase
    js: JetStreamContext
    relay: OutboxRelay
    config: Any = None
    state: Any = None
    keys: Any = None  # crm_shared.sealing.DataKeys: seal/unseal personal data under per-customer keys
    store: StoreCapabilities = DEV_STORE  # what the store allows beyond the portable rules (crm_shared.stores)
    tasks: set[asyncio.Task] = field(default_factory=set)
    _aggregates: dict[str, Aggregate] = field(default_factory=dict)
    _timers: TimerRunner | None = None

    def aggregate(self, collection: str) -> Aggregate:
        """Writes with events on one of the service's outbox collections (crm_shared.aggregates)."""
        found = self._aggregates.get(collection)
        if found is None:
            if collection not in self.relay.collections:
                raise PluginError(f"service {self.name!r} writes events to {collection!r}, "
                                  f"which is not in its outbox_collections {self.relay.collections}")
            found = self._aggregates[collection] = Aggregate(self, collection)
        return found

    def wake(self, timer: str) -> None:
        """End a timer's wait now (new work for it was just written)."""
        if self._timers is not None:
            self._timers.wake(timer)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str | None = None) -> asyncio.Task:
        """Run a background job for the life of the service; cancelled at shutdown."""
        task = asyncio.create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def inserted(self, collection: str, doc: dict[str, Any]) -> None:
        """Publish the events of a document just inserted as `new_document` made it, in the
        background; its removal joins the one-statement clear of fresh documents."""
        if entries := doc.get(OUTBOX_FIELD):
            self.spawn(self.relay.publish_written(collection, doc["_id"], entries, inserted=True), name=f"publish:{collection}")

    def events_written(self, collection: str, doc_id: Any, *envelopes: Envelope) -> None:
        """Publish a document's just-written events now, in the background.

        Pass the envelopes you wrote for the fast path; without them the document's pending
        events are flushed under a lease. The relay's periodic sweep is the safety net.
        """
        if envelopes:
            entries = outbox_entries(self.settings, envelopes)
            self.spawn(self.relay.publish_written(collection, doc_id, entries), name=f"publish:{collection}")
        else:
            self.spawn(self.relay.flush(collection, doc_id), name=f"flush:{collection}")


class ServicePlugin:
    """Base of every service: what it serves over HTTP, consumes, produces, keeps and runs.

    `settings`: the service's settings for this instance (tests, embedding); None reads them
    from `CRM_<NAME>__*` at start (crm_shared.config.service_settings).
    """

    name: ClassVar[str]
    title: ClassVar[str] = ""
    settings_model: ClassVar[type[ServiceSettings]] = ServiceSettings
    produces: ClassVar[tuple[type[EventData], ...]] = ()
    outbox_collections: ClassVar[tuple[str, ...]] = ()
    body_limits: ClassVar[dict[str, int]] = {}
    """Paths that take bodies above the default 1 MiB (e.g. a spreadsheet upload), in bytes."""

    def __init__(self, settings: ServiceSettings | None = None) -> None:
        if settings is not None and not isinstance(settings, self.settings_model):
            raise PluginError(f"service {self.name!r} takes {self.settings_model.__name__}, not {type(settings).__name__}")
        self.settings = settings

    def http_router(self) -> APIRouter:
        """The service's routes. Feature routers may be included with a prefix, tags and
        dependencies; the app mounts the leaf routes flat with those applied
        (crm_shared.app._leaf_routes)."""
        return APIRouter()

    def timers(self, ctx: ServiceContext) -> list[Timer]:
        """Periodic jobs; the platform runs them (crm_shared.timers). `ctx.config` is loaded."""
        return []

    def retention(self, ctx: ServiceContext) -> list[Retention]:
        """Bounded-life records of the service, deleted by the platform's clean-up timer."""
        return []

    def subscriptions(self) -> list[SubscriptionTable]:
        return []

    async def startup(self, ctx: ServiceContext) -> None:
        """Create indexes, set `ctx.state`; runs before the timers and consumers start."""

    async def shutdown(self, ctx: ServiceContext) -> None:
        """Release what startup took."""



class PartedService(ServicePlugin):
    """A service made of parts (deals: units, deals, payouts; customers: archives, complaints, ...).

    Each part is a module (the subpackage's `part.py`) declaring `router`, `OUTBOX` (its outbox
    collections), `timers(ctx)`, `retention(ctx)` and `startup(ctx)` (its indexes); `tables` are the
    service's subscription tables (one per part, its own durable consumer). The service produces every
    registered event whose source is its name; `ctx.state` is the shared directory. Adding a part never
    edits another part's registration.
    """

    parts: ClassVar[tuple[ModuleType, ...]] = ()
    tables: ClassVar[tuple[SubscriptionTable, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.outbox_collections = tuple(name for part in cls.parts for name in part.OUTBOX)
        cls.produces = tuple(c for c in registry().values() if c.event_source == cls.name)

    def http_router(self) -> APIRouter:
        router = APIRouter()
        for part in self.parts:
            router.include_router(part.router)
        return router

    def subscriptions(self) -> list[SubscriptionTable]:
        return [table for table in self.tables if table.classes]

    def timers(self, ctx: ServiceContext) -> list[Timer]:
        if not getattr(ctx.config, "timers", True):
            return []
        return [timer for part in self.parts for timer in part.timers(ctx)]

    def retention(self, ctx: ServiceContext) -> list[Retention]:
        return [kept for part in self.parts for kept in part.retention(ctx)]

    async def startup(self, ctx: ServiceContext) -> None:
        from crm_shared.directory import Directory  # the directory reads events of leads; imported late

        await ctx.db.command("ping")
        ctx.state = Directory(ctx.db, ctx.config.default_timezone)
        await ctx.state.ensure_indexes()
        for part in self.parts:
            await part.startup(ctx)

def available() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def discover(selection: str | list[str]) -> list[ServicePlugin]:
    """Load the chosen service plugins ('all' or names); any problem raises PluginError."""
    eps = available()
    names = sorted(eps) if selection in ("all", ["all"]) else (
        [s.strip() for s in selection.split(",") if s.strip()] if isinstance(selection, str) else list(selection)
    )
    if not names:
        raise PluginError("no service selected")
    unknown = [n for n in names if n not in eps]
    if unknown:
        raise PluginError(f"unknown service plugin(s): {', '.join(unknown)}; installed: {', '.join(sorted(eps)) or 'none'}")
    plugins = []
    for n in dict.fromkeys(names):
        try:
            obj = eps[n].load()
        except Exception as exc:
            raise PluginError(f"service plugin {n!r} ({eps[n].value}) failed to load: {type(exc).__name__}: {exc}") from exc
        if not isinstance(obj, ServicePlugin):
            raise PluginError(f"service plugin {n!r} ({eps[n].value}) is not a ServicePlugin instance")
        if obj.name != n:
            raise PluginError(f"service plugin registered as {n!r} calls itself {obj.name!r}")
        plugins.append(obj)
    return plugins


def context_of(name: str):
    """FastAPI dependency giving a view its service's running context.

    Use at module level: `Ctx = Annotated[ServiceContext, Depends(context_of("leads"))]`.
    Async, so FastAPI calls it inline (a plain `def` dependency costs a worker-thread hop).
    """

    async def get(request: Request) -> ServiceContext:
        return request.app.state.contexts[name]

    return get


def state_of(name: str):
    """FastAPI dependency giving a view its service's `ctx.state` (set in `startup`)."""

    async def get(request: Request) -> Any:
        return request.app.state.contexts[name].state

    return get
