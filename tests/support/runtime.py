"""Build isolated settings and run an app (lifespan included) in-process against the real stack."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import httpx
import nats
from fastapi import FastAPI

from crm_shared.app import create_app
from crm_shared.bus.connection import connect
from crm_shared.config import Settings
from crm_shared.http.auth import mint_token
from crm_shared.plugins import ServicePlugin


def isolated_settings(mongo_url: str, nats_url: str, **overrides) -> Settings:
    tag = uuid.uuid4().hex[:10]
    values = dict(
        environment="test",
        mongo_url=mongo_url,
        nats_url=nats_url,
        db_prefix=f"t{tag}_",
        stream_name=f"T{tag}",
        subject_prefix=f"t{tag}",
        dead_letter_stream=f"T{tag}_DLQ",
        dead_letter_prefix=f"t{tag}dlq",
        keys_bucket=f"T{tag}_KEYS",
        dead_letter_max_bytes=-1,  # NATS reserves a stream's max_bytes: hundreds of test streams would exhaust it
        relay_interval_seconds=0.2,
        consumer_max_deliver=3,
        consumer_backoff_seconds=[0.05],
        log_json=False,
    )
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running(plugins: list[ServicePlugin], settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(plugins, settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield app, client


def bearer(settings: Settings, role: str, branches: list[str], sub: str = "u1") -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(settings, sub, role, branches)}"}  # type: ignore[arg-type]


async def stream_messages(settings: Settings, stream: str | None = None, subject: str | None = None) -> list:
    """Every message currently in a stream (ephemeral ordered read)."""
    nc = await connect(settings)  # the services' credentials: only they may read the whole stream and publish
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream or settings.stream_name)
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if info.state.messages == 0:
                break
            try:
                msg = await js.get_msg(stream or settings.stream_name, seq)
            except nats.js.errors.NotFoundError:
                continue
            if subject is None or msg.subject == subject or subject.endswith(">") and msg.subject.startswith(subject[:-1]):
                out.append(msg)
        return out
    finally:
        await nc.close()


async def eventually(check, timeout: float = 15.0):
    """Poll an async check until it returns something truthy (or time runs out)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.1)


async def publish_event(settings: Settings, env, msg_id: str | None = None) -> None:
    """Put an envelope on the stream as a producing service would (for consumer tests)."""
    nc = await connect(settings)  # the services' credentials: only they may read the whole stream and publish
    try:
        await nc.jetstream().publish(
            f"{settings.subject_prefix}.{env.branch_id}.{env.type}", env.model_dump_json().encode(),
            headers={"Nats-Msg-Id": msg_id or env.id}, stream=settings.stream_name,
        )
    finally:
        await nc.close()


@contextmanager
def served(settings: Settings, plugins: list[ServicePlugin] | None = None) -> Iterator[str]:
    """The app on a real uvicorn server in a thread (real HTTP parsing: chunked bodies, raw bytes); yields its base URL."""
    import threading

    import uvicorn

    from crm_shared.plugins import discover
    from crm_shared.stack import free_port

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(plugins or discover("all"), settings), port=port, log_level="error"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    try:
        yield base
    finally:
        srv.should_exit = True
        thread.join(timeout=30)
