"""Assemble chosen service plugins into one FastAPI app with one FastStream broker.

The same code runs all four services in one process (a small office) or one per
container: only the plugin selection differs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import nats
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from faststream.nats import NatsBroker, NatsRouter
from faststream.specification import AsyncAPI, get_asyncapi_html
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import create_model
from pymongo import AsyncMongoClient

from crm_shared.bus import consumers
from crm_shared.bus.outbox import OutboxRelay
from crm_shared.bus.streams import ensure_streams
from crm_shared.config import Settings, get_settings
from crm_shared.events import Envelope
from crm_shared.http import problems
from crm_shared.ids import uuid7
from crm_shared.observability import HTTP_REQUESTS, configure_logging, correlation_id
from crm_shared.plugins import ServiceContext, ServicePlugin, discover

MAX_BODY_BYTES = 1_048_576
log = logging.getLogger("crm.app")


class _RequestContext:
    """Body-size limit, correlation id and the request metric, as plain ASGI middleware.

    (Starlette's `@app.middleware("http")` wraps every request in extra tasks and streams;
    on a registration that was a measurable share of the CPU.)"""

    def __init__(self, app, body_limits: dict[str, int]) -> None:
        self.app, self.body_limits = app, body_limits

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        length = headers.get(b"content-length", b"").decode("latin-1")
        limit = self.body_limits.get(scope["path"], MAX_BODY_BYTES)
        if length and (not length.isdigit() or int(length) > limit):
            response = problems.problem_response(413, "payload-too-large", f"bodies here are limited to {limit} bytes")
            await response(scope, receive, send)
            return
        token = correlation_id.set(headers.get(b"x-correlation-id", b"").decode("latin-1")[:100] or uuid7())
        started = time.perf_counter()
        status = 500

        async def sending(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            correlation_id.reset(token)
            route = scope.get("route")
            HTTP_REQUESTS.labels(scope["method"], getattr(route, "path", "unmatched"), status).observe(
                time.perf_counter() - started
            )


def _document_events(router: NatsRouter, plugin: ServicePlugin, settings: Settings) -> None:
    """AsyncAPI entries for what the service publishes: envelope with the typed payload."""
    for data_cls in plugin.produces:
        model = create_model(f"{data_cls.__name__}Event", __base__=Envelope, data=(data_cls, ...))
        router.publisher(
            f"{settings.subject_prefix}.*.{data_cls.event_type}",
            schema=model,
            title=f"{data_cls.event_type}",
            description=(data_cls.__doc__ or data_cls.event_type).strip(),
        )


def create_app(plugins: list[ServicePlugin] | None = None, settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    plugins = plugins if plugins is not None else discover(settings.services)
    broker = NatsBroker(settings.nats_url, logger=logging.getLogger("crm.broker"))
    contexts: dict[str, ServiceContext] = {}

    for plugin in plugins:
        router = NatsRouter()
        for table in plugin.subscriptions():
            consumers.bind(router, plugin.name, table, settings, lambda n=plugin.name: contexts[n])
        _document_events(router, plugin, settings)
        broker.include_router(router)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        mongo = AsyncMongoClient(settings.mongo_url, tz_aware=True, serverSelectionTimeoutMS=5000)
        nc = await nats.connect(settings.nats_url, name="crm-platform", max_reconnect_attempts=-1)
        js = nc.jetstream()
        await ensure_streams(js, settings)
        relays = []
        for plugin in plugins:
            db = mongo[settings.database_name(plugin.name)]
            relay = OutboxRelay(db, plugin.outbox_collections, js, settings)
            ctx = contexts[plugin.name] = ServiceContext(plugin.name, settings, db, js, relay)
            await consumers.ensure_indexes(db)
            await relay.ensure_indexes()
            for table in plugin.subscriptions():
                await js.add_consumer(settings.stream_name, consumers.consumer_config(plugin.name, table, settings))
            await plugin.startup(ctx)
            if plugin.outbox_collections:
                ctx.spawn(relay.run(), name=f"relay:{plugin.name}")
                relays.append(relay)
        app.state.mongo, app.state.nc, app.state.js = mongo, nc, js
        await broker.start()
        log.info("started", extra={"services": [p.name for p in plugins]})
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                await broker.stop()
            for relay in relays:
                relay.stop()
            for plugin in plugins:
                ctx = contexts[plugin.name]
                await plugin.shutdown(ctx)
                for task in list(ctx.tasks):
                    task.cancel()
                await asyncio.gather(*ctx.tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await nc.drain()
            await mongo.close()

    names = ", ".join(p.name for p in plugins)
    app = FastAPI(
        title=f"CRM ({names})",
        version="0.1.0",
        description="Multi-branch sales CRM. Errors are RFC 9457 problem+json.",
        lifespan=lifespan,
    )
    app.state.settings, app.state.contexts, app.state.broker, app.state.plugins = settings, contexts, broker, plugins
    problems.install(app)
    asyncapi = AsyncAPI(broker, title=f"CRM events ({names})", version="0.1.0",
                        description="Stream CRM, subjects crm.<branch_id>.<type>, header Nats-Msg-Id = envelope id.")

    body_limits = {path: size for plugin in plugins for path, size in plugin.body_limits.items()}

    app.add_middleware(_RequestContext, body_limits=body_limits)

    @app.get("/healthz", tags=["ops"], summary="Process is alive")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], summary="Store and NATS reachable")
    async def readyz(request: Request) -> JSONResponse:
        checks = {}
        try:
            await asyncio.wait_for(request.app.state.mongo.admin.command("ping"), 3)
            checks["store"] = "ok"
        except Exception as exc:
            checks["store"] = f"down: {type(exc).__name__}"
        try:
            await asyncio.wait_for(request.app.state.js.stream_info(settings.stream_name), 3)
            checks["nats"] = "ok"
        except Exception as exc:
            checks["nats"] = f"down: {type(exc).__name__}"
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503)

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/asyncapi.json", tags=["ops"], summary="AsyncAPI document of the events")
    async def asyncapi_json() -> Response:
        return Response(asyncapi.to_specification().to_json(), media_type="application/json")

    @app.get("/asyncapi", tags=["ops"], summary="AsyncAPI document, rendered", response_class=HTMLResponse)
    async def asyncapi_html() -> HTMLResponse:
        return HTMLResponse(get_asyncapi_html(asyncapi.to_specification(), try_it_out_path=None))

    for plugin in plugins:
        app.router.routes.extend(_leaf_routes(plugin.http_router()))
    if mark_changed := getattr(app.router, "_mark_routes_changed", None):
        mark_changed()
    return app


def _leaf_routes(router) -> list:
    """A plugin's routes, flat, in order.

    FastAPI 0.16x keeps an included router as a lazy branch and walks the branches on every
    request (route versions, effective contexts); with the plugins' feature routers one level
    down, that walk cost about a tenth of a registration's CPU. The plugins include their
    routers without prefix, tags or dependencies (see `ServicePlugin.http_router`), so the leaf
    routes are the same routes, and the app matches them in one pass.
    """
    routes = []
    for route in router.routes:
        inner = getattr(route, "original_router", None)  # FastAPI's lazy include
        routes.extend(_leaf_routes(inner) if inner is not None else [route])
    return routes


def app_from_env() -> FastAPI:
    """Uvicorn factory: `uvicorn --factory crm_shared.app:app_from_env`."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(settings=settings)
