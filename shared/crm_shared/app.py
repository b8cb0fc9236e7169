"""Assemble chosen service plugins into one FastAPI app with one FastStream broker.

The same code runs all four services in one process (a small office) or one per
container: only the plugin selection differs.
"""

from __future__ import annotations

import asyncio
import hmac
import contextlib
import functools
import logging
import os
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import nats
from fastapi import FastAPI, Request, Response
from fastapi.datastructures import DefaultPlaceholder
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from fastapi.responses import JSONResponse
from faststream.nats import NatsBroker, NatsRouter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pymongo import AsyncMongoClient

from crm_shared import asyncapi, erasure, sealing
from crm_shared.bus import consumers
from crm_shared.bus.connection import broker_options, connect_options, drain, split_url
from crm_shared.bus.outbox import OutboxRelay
from crm_shared.bus.streams import ensure_streams
from crm_shared.config import ServiceSettings, Settings, get_settings, service_settings
from crm_shared.events import registry
from crm_shared.http import problems
from crm_shared.http.concurrency import IDEMPOTENCY
from crm_shared.http.docs import install_docs
from crm_shared.ids import uuid7
from crm_shared.observability import HTTP_REQUESTS, configure_logging, correlation_id
from crm_shared.plugins import PluginError, ServiceContext, ServicePlugin, discover
from crm_shared.stores import detect as detect_store
from crm_shared.timers import Retention, Timer, TimerRunner, clean_up, ensure_retention_indexes

MAX_BODY_BYTES = 1_048_576
log = logging.getLogger("crm.app")


class _RequestContext:
    """Body-size limit, correlation id and the request metric, as plain ASGI middleware.

    The size limit holds on the bytes actually read, not only on `Content-Length`: a chunked
    body (no length) is counted as it arrives and refused with 413 the moment it passes the
    limit, whatever the app was doing with it.
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
        too_large = problems.problem_response(413, "payload-too-large", f"bodies here are limited to {limit} bytes")
        if length and (not length.isdigit() or int(length) > limit):
            await too_large(scope, receive, send)
            return
        token = correlation_id.set(headers.get(b"x-correlation-id", b"").decode("latin-1")[:100] or uuid7())
        started = time.perf_counter()
        status = 500
        read = 0
        refused = False

        async def receiving():
            nonlocal read, refused
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > limit:
                    refused = True  # the app's own answer to the error below is replaced by the 413
                    raise StarletteHTTPException(413, f"bodies here are limited to {limit} bytes")
            return message

        async def sending(message) -> None:
            nonlocal status
            if refused:
                if message["type"] == "http.response.start":
                    status = 413
                    await too_large(scope, receive, send)
                return
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receiving if not length else receive, sending)
        except StarletteHTTPException:
            if not refused:
                raise
            if status != 413:
                status = 413
                await too_large(scope, receive, send)
        finally:
            correlation_id.reset(token)
            route = scope.get("route")
            HTTP_REQUESTS.labels(scope["method"], getattr(route, "path", "unmatched"), status).observe(
                time.perf_counter() - started
            )


class _StartGate:
    """While the services are starting (the store or NATS not reached yet), their routes answer 503
    problem+json; the platform's own paths (/healthz, /readyz, /metrics, the docs) answer at once."""

    def __init__(self, app, open_paths: set[str], open_prefixes: tuple[str, ...]) -> None:
        self.app, self.open_paths, self.open_prefixes = app, open_paths, open_prefixes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and not getattr(scope["app"].state, "ready", True):
            path = scope["path"]
            if path not in self.open_paths and not path.startswith(self.open_prefixes):
                response = problems.problem_response(503, "starting", "the service is starting (waiting for the "
                                                     "store and NATS); retry shortly")
                response.headers["Retry-After"] = "2"
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _Opened:
    """What a start has opened so far, so that a stop (at any stage) closes exactly that; and
    what /readyz reports while the servers are not reached yet."""

    def __init__(self) -> None:
        self.mongo: AsyncMongoClient | None = None
        self.nc: Any = None
        self.running: list[tuple[ServicePlugin, ServiceContext]] = []
        self.broker = False
        self.waiting = {"store": "connecting", "nats": "connecting"}


def _reason(exc: BaseException) -> str:
    """An error in a few words for a log line (no traceback, no URL with credentials)."""
    name = type(exc).__name__
    text = str(exc).strip()
    if isinstance(exc, nats.errors.Error) and text and len(text) <= 80 and text != name:
        return f"{name}: {text}"
    return name


def _store_address(url: str) -> str:
    """`host:port[,host:port]` of a MongoDB URL, without credentials or options."""
    return url.split("://", 1)[-1].rsplit("@", 1)[-1].split("/", 1)[0].split("?", 1)[0]


def _nats_servers(settings: Settings) -> list[tuple[str, int]]:
    servers = connect_options(settings)["servers"]
    found = []
    for url in servers if isinstance(servers, list) else str(servers).split(","):
        parts = urlsplit(url.strip() if "://" in url else f"nats://{url.strip()}")
        found.append((parts.hostname or "127.0.0.1", parts.port or 4222))
    return found


async def _reach(what: str, where: str, attempt: Callable[[], Awaitable[Any]], waiting: dict[str, str], key: str,
                 settings: Settings) -> Any:
    """`attempt()` until it succeeds: one log line per failure, pauses of 1, 2, 4 ... up to
    CRM_START_RETRY_MAX_SECONDS; cancelled by a shutdown."""
    delay = 1.0
    while True:
        try:
            result = await attempt()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 -- any failure to reach the server is retried
            waiting[key] = f"down: {_reason(exc)}"
            log.warning("%s %s unreachable (%s); retrying in %s s", what, where, _reason(exc), f"{delay:g}")
            await asyncio.sleep(delay)
            delay = min(delay * 2, settings.start_retry_max_seconds)
        else:
            waiting[key] = "ok"
            log.info("%s %s reached", what, where)
            return result


async def _connect_nats(settings: Settings, name: str, what: str, where: str) -> Any:
    """One attempt: the server's port first (a refused port fails at once, without nats.py's own
    endless initial retries), then the connection with the services' credentials. Once connected,
    nats.py reconnects by itself; its errors are one log line each (`what` `where` ...), never a traceback."""
    await _any_port_open(_nats_servers(settings))
    last: list[BaseException] = []
    connected = False

    async def error(exc: Exception) -> None:
        if connected:
            log.warning("%s %s connection error (%s)", what, where, _reason(exc))
        else:
            last.append(exc)

    async def disconnected() -> None:
        if not nc.is_closed:  # closed: a stop on request, nothing lost
            log.warning("%s %s connection lost; reconnecting", what, where)

    async def reconnected() -> None:
        log.info("%s %s reconnected", what, where)

    nc = nats.NATS()
    try:
        await asyncio.wait_for(nc.connect(name=name, max_reconnect_attempts=-1, error_cb=error,
                                          disconnected_cb=disconnected, reconnected_cb=reconnected, drain_timeout=5,
                                          **connect_options(settings)), 10)
    except BaseException as exc:
        with contextlib.suppress(Exception):
            await nc.close()
        if isinstance(exc, TimeoutError) and last:
            raise last[-1] from None
        raise
    connected = True
    return nc


async def reach_nats(settings: Settings, name: str = "crm-platform", waiting: dict[str, str] | None = None,
                     what: str = "NATS") -> Any:
    """A NATS connection with the services' credentials, once the server answers (retried with backoff,
    one log line per failure, starting with `what`)."""
    where = split_url(settings.nats_url)[0].split("://", 1)[-1]
    return await _reach(what, where, lambda: _connect_nats(settings, name, what, where),
                        {} if waiting is None else waiting, "nats", settings)


async def _any_port_open(servers: list[tuple[str, int]]) -> None:
    """Raise the connection error unless one of the servers accepts a TCP connection."""
    error: BaseException = ConnectionRefusedError("no server")
    for host, port in servers:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 3)
        except (OSError, TimeoutError) as exc:
            error = exc
            continue
        writer.close()
        return
    raise error


async def _ping_store(mongo: AsyncMongoClient, url: str) -> None:
    """One attempt: the server's port first (unless the URL is a DNS seed list), then a ping."""
    if not url.startswith("mongodb+srv://"):
        hosts = [urlsplit(f"mongodb://{node}") for node in _store_address(url).split(",")]
        await _any_port_open([(h.hostname or "127.0.0.1", h.port or 27017) for h in hosts])
    await mongo.admin.command("ping")


def _stop_process(app: FastAPI, code: int) -> None:
    """End the server after a failed start: through `crm serve`'s hook (its exit code), or a SIGTERM."""
    stop = getattr(app.state, "stop_server", None)
    if stop is not None:
        stop(code)
    else:
        os.kill(os.getpid(), signal.SIGTERM)


def metrics_allowed(settings: Settings, authorization: str) -> bool:
    token = settings.metrics_token
    if not token:
        return settings.environment != "production"
    scheme, _, given = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def create_app(plugins: list[ServicePlugin] | None = None, settings: Settings | None = None, *,
               serve_while_starting: bool = False) -> FastAPI:
    """The app of the chosen services; every setting is validated here, before any connection.

    `serve_while_starting` (`crm serve`): the lifespan returns at once and the start (reaching the
    store and NATS, with retries, then the services) runs in the background: /healthz answers,
    /readyz and the services' routes say 503 until it is done, and a shutdown can come at any
    stage. Without it (tests, embedding) the lifespan returns once everything has started.
    """
    settings = settings or get_settings()
    plugins = plugins if plugins is not None else discover(settings.services)
    broker = NatsBroker(**broker_options(settings), logger=logging.getLogger("crm.broker"),
                        graceful_timeout=settings.shutdown_grace_seconds)
    contexts: dict[str, ServiceContext] = {}

    configs = {plugin.name: _service_settings(plugin, settings) for plugin in plugins}
    known = registry()
    for plugin in plugins:
        router = NatsRouter()
        for table in plugin.subscriptions():
            try:
                table.check(known)
            except ValueError as exc:
                raise PluginError(f"service {plugin.name!r}: {exc}") from None
            consumers.bind(router, plugin.name, table, settings, lambda n=plugin.name: contexts[n])
        broker.include_router(router)

    async def start(app: FastAPI, run: _Opened) -> None:
        mongo = run.mongo = AsyncMongoClient(settings.mongo_url, tz_aware=True, serverSelectionTimeoutMS=5000)

        async def connect() -> None:
            run.nc = await reach_nats(settings, waiting=run.waiting)

        await asyncio.gather(
            _reach("store", _store_address(settings.mongo_url), lambda: _ping_store(mongo, settings.mongo_url), run.waiting,
                   "store", settings),
            connect())
        nc = run.nc
        js = nc.jetstream()
        await ensure_streams(js, settings)
        keys = await sealing.open_keys(js, settings)  # per-customer data keys (CRM_KEYS), one cache per process
        store = await detect_store(mongo)  # MongoDB or the dev store: what each may rely on (crm_shared.stores)
        for plugin in plugins:
            db = mongo[settings.database_name(plugin.name)]
            relay = OutboxRelay(db, plugin.outbox_collections, js, settings)
            ctx = contexts[plugin.name] = ServiceContext(plugin.name, settings, db, js, relay, config=configs[plugin.name],
                                                         keys=keys, store=store)
            run.running.append((plugin, ctx))
            await consumers.ensure_indexes(db)
            await relay.ensure_indexes()
            for table in plugin.subscriptions():
                await js.add_consumer(settings.stream_name, consumers.consumer_config(plugin.name, table, settings))
            await plugin.startup(ctx)
            ctx._timers = TimerRunner(ctx)
            await ensure_retention_indexes(db, _retentions(plugin, ctx), ttl=store.ttl_indexes)
            ctx._timers.start([*plugin.timers(ctx), *_platform_timers(plugin, ctx)])
        app.state.mongo, app.state.nc, app.state.js = mongo, nc, js
        await erasure.serve(nc, settings, contexts)  # subject-access answers of the services with personal data
        run.broker = True
        await broker.start()
        for plugin in plugins:
            for table in plugin.subscriptions():
                if table.batch is not None:  # batch tables run their own pull loop (crm_shared.bus.consumers)
                    contexts[plugin.name].spawn(consumers.consume_batches(contexts[plugin.name], table),
                                                name=f"consume:{consumers.durable_name(plugin.name, table)}")
        app.state.ready = True
        log.info("started", extra={"services": [p.name for p in plugins]})

    async def stop(run: _Opened) -> None:
        """Whatever was started, in order, each step bounded by CRM_SHUTDOWN_GRACE_SECONDS: consumers and
        timers end (the batch and the pass in hand finish, with their acks), the services release what
        they took, then the connections close."""
        grace = settings.shutdown_grace_seconds
        for _ in range(2):  # a pass that finishes may spawn its events' publishing: wait for that too
            tasks = [task for _, ctx in run.running for task in ctx.tasks]
            if not tasks:
                break
            for task in tasks:
                task.cancel()
            waiting = [asyncio.wait(tasks, timeout=grace)]
            if run.broker:
                run.broker = False
                waiting.append(asyncio.wait_for(broker.stop(), grace))
            await asyncio.gather(*waiting, return_exceptions=True)
        if run.broker:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(broker.stop(), grace)
        for plugin, ctx in reversed(run.running):
            try:
                await asyncio.wait_for(plugin.shutdown(ctx), grace)
            except Exception as exc:  # noqa: BLE001 -- the other services still stop
                log.warning("service shutdown failed", extra={"service": plugin.name, "error": repr(exc)})
        if run.nc is not None:
            await drain(run.nc)
        if run.mongo is not None:
            await run.mongo.close()
        log.info("stopped", extra={"services": [p.name for p in plugins]})

    def start_done(app: FastAPI, task: asyncio.Task) -> None:
        if task.cancelled():
            return
        if (exc := task.exception()) is not None:
            log.critical("start-up failed; stopping", exc_info=exc)
            _stop_process(app, 3)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        run = _Opened()
        app.state.ready, app.state.stopping, app.state.waiting = False, False, run.waiting
        starting = None
        if serve_while_starting:
            starting = asyncio.create_task(start(app, run), name="crm:start")
            starting.add_done_callback(lambda task: start_done(app, task))
        else:
            try:
                await start(app, run)
            except BaseException:
                await stop(run)
                raise
        try:
            yield
        finally:
            app.state.ready, app.state.stopping = False, True  # /readyz says 503 at once: load balancers stop sending
            if starting is not None and not starting.done():
                starting.cancel()
                await asyncio.gather(starting, return_exceptions=True)
            await stop(run)

    names = ", ".join(p.name for p in plugins)
    app = FastAPI(
        title=f"CRM ({names})",
        version="0.1.0",
        description="Multi-branch sales CRM. Errors are RFC 9457 problem+json.",
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc come from install_docs, with local assets
        redoc_url=None,
    )
    app.state.settings, app.state.contexts, app.state.broker, app.state.plugins = settings, contexts, broker, plugins
    problems.install(app)

    body_limits = {path: size for plugin in plugins for path, size in plugin.body_limits.items()}

    app.add_middleware(_RequestContext, body_limits=body_limits)

    @app.get("/healthz", tags=["ops"], summary="Process is alive")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], summary="Store and NATS reachable")
    async def readyz(request: Request) -> JSONResponse:
        if not getattr(request.app.state, "ready", False):
            checks = dict(getattr(request.app.state, "waiting", {"store": "stopped", "nats": "stopped"}))
            status = "stopping" if getattr(request.app.state, "stopping", False) else "starting"
            return JSONResponse({"status": status, "checks": checks}, status_code=503)
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

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics (bearer CRM_METRICS_TOKEN)")
    async def metrics(request: Request) -> Response:
        """Internal figures (routes, event counts, errors): only for the scraper that holds the token.
        Without a token configured they are open in development and test, and closed in production."""
        if not metrics_allowed(settings, request.headers.get("authorization", "")):
            return problems.problem_response(401, "unauthorized", "metrics need the scraper's bearer token")
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    events_document = functools.cache(lambda: asyncapi.service_document(settings, plugins))  # on first request

    @app.get("/asyncapi.json", tags=["ops"], summary="AsyncAPI document of the events these services publish")
    async def asyncapi_json() -> JSONResponse:
        """The public events the mounted services publish (crm_shared.asyncapi); `crm asyncapi` writes all of them."""
        return JSONResponse(events_document())

    install_docs(app, events_document)  # /docs, /redoc, /asyncapi: no asset from the internet

    open_paths = {route.path for route in app.router.routes if not hasattr(route, "routes")}  # the platform's own
    open_prefixes = tuple(f"{route.path}/" for route in app.router.routes if hasattr(route, "routes"))  # docs assets
    app.add_middleware(_StartGate, open_paths=open_paths, open_prefixes=open_prefixes)
    for plugin in plugins:
        app.router.routes.extend(_leaf_routes(plugin.http_router()))
    if mark_changed := getattr(app.router, "_mark_routes_changed", None):
        mark_changed()
    return app


def _service_settings(plugin: ServicePlugin, settings: Settings) -> ServiceSettings:
    try:
        return service_settings(plugin.settings_model, plugin.name, settings, plugin.settings)
    except ValueError as exc:
        raise PluginError(str(exc)) from None


def _retentions(plugin: ServicePlugin, ctx: ServiceContext) -> list[Retention]:
    """What the clean-up deletes: the platform's bounded records of every service, and the plugin's own."""
    settings = ctx.settings
    return [
        Retention(consumers.INBOX, "at", timedelta(days=settings.inbox_retention_days)),
        Retention(IDEMPOTENCY, "at", timedelta(hours=settings.idempotency_retention_hours)),
        Retention(consumers.DEAD_LETTERS_COLLECTION, "at", timedelta(days=settings.dead_letter_retention_days)),
        *plugin.retention(ctx),
    ]


def _platform_timers(plugin: ServicePlugin, ctx: ServiceContext) -> list[Timer]:
    """The outbox sweep (every replica: it takes a lease per document) and the clean-up."""
    settings = ctx.settings
    timers = [Timer("platform:clean-up", settings.cleanup_interval_seconds, clean_up(_retentions(plugin, ctx)))]
    if plugin.outbox_collections:
        timers.append(Timer("platform:outbox", settings.relay_interval_seconds, _sweep, leased=False))
    return timers


async def _sweep(ctx: ServiceContext, _now) -> int:
    return await ctx.relay.sweep()


def _leaf_routes(router) -> list:
    """A plugin's routes, flat, in order, with what each include added applied to its routes.

    FastAPI 0.16x keeps an included router as a lazy branch and walks the branches on every
    request (route versions, effective contexts); with the plugins' feature routers one level
    down, that walk was a visible share of a registration's CPU (bench/NOTES.md). So the app mounts the leaf
    routes flat and matches them in one pass. An include's prefix, tags, dependencies,
    responses, `deprecated` and `include_in_schema` are applied to copies of its routes; any
    other include option stops start-up rather than being dropped.
    """
    routes = []
    for route in router.routes:
        inner = getattr(route, "original_router", None)  # FastAPI's lazy include
        if inner is None:
            routes.append(route)
            continue
        leaves = _leaf_routes(inner)
        include = route.include_context
        if _plain(include):
            routes.extend(leaves)
        else:
            routes.extend(_with_include(leaf, include) for leaf in leaves)
    return routes


def _plain(include) -> bool:
    return (not include.prefix and not include.tags and not include.dependencies and not include.responses
            and include.deprecated is None and include.include_in_schema and not include.callbacks
            and isinstance(include.default_response_class, DefaultPlaceholder)
            and isinstance(include.generate_unique_id_function, DefaultPlaceholder))


def _with_include(route, include) -> APIRoute:
    """A copy of `route` as FastAPI's eager include used to make it."""
    if not isinstance(route, APIRoute):
        raise PluginError(f"cannot apply a router include's options to {route!r}: include it without them")
    if include.callbacks or not isinstance(include.default_response_class, DefaultPlaceholder) \
            or not isinstance(include.generate_unique_id_function, DefaultPlaceholder):
        raise PluginError(f"{route.path}: include_router(callbacks=, default_response_class=, "
                          "generate_unique_id_function=) are not supported by the flat mount; set them on the routes")
    return APIRoute(
        include.prefix + route.path, route.endpoint, response_model=route.response_model,
        status_code=route.status_code, tags=[*include.tags, *route.tags],
        dependencies=[*include.dependencies, *route.dependencies], summary=route.summary,
        description=route.description, response_description=route.response_description,
        responses={**include.responses, **route.responses},
        deprecated=route.deprecated if include.deprecated is None else (route.deprecated or include.deprecated),
        methods=route.methods, operation_id=route.operation_id,
        response_model_include=route.response_model_include, response_model_exclude=route.response_model_exclude,
        response_model_by_alias=route.response_model_by_alias,
        response_model_exclude_unset=route.response_model_exclude_unset,
        response_model_exclude_defaults=route.response_model_exclude_defaults,
        response_model_exclude_none=route.response_model_exclude_none,
        include_in_schema=route.include_in_schema and include.include_in_schema,
        response_class=route.response_class, name=route.name, callbacks=route.callbacks,
        openapi_extra=route.openapi_extra, generate_unique_id_function=route.generate_unique_id_function,
    )


def app_from_env() -> FastAPI:
    """Uvicorn factory: `uvicorn --factory crm_shared.app:app_from_env`."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(settings=settings, serve_while_starting=True)
