"""What every bench shares: uuid-named stream, subjects and databases, set up and torn down."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import nats
from pymongo import AsyncMongoClient

from crm_shared.bus.streams import ensure_streams
from crm_shared.config import Settings


def bench_settings(mongo_url: str, nats_url: str, letter: str = "b", **overrides) -> Settings:
    tag = f"{letter}{uuid.uuid4().hex[:8]}"
    return Settings(mongo_url=mongo_url, nats_url=nats_url, stream_name=tag.upper(), subject_prefix=tag,
                    dead_letter_stream=f"{tag.upper()}_DLQ", dead_letter_prefix=f"{tag}dlq", db_prefix=f"{tag}_",
                    **overrides)


@asynccontextmanager
async def bench_env(mongo_url: str, nats_url: str, letter: str, service: str) -> AsyncIterator[tuple]:
    """(settings, the service's database, JetStream) with the streams made; all removed afterwards."""
    settings = bench_settings(mongo_url, nats_url, letter)
    mongo = AsyncMongoClient(mongo_url, tz_aware=True)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await ensure_streams(js, settings)
    db = mongo[settings.database_name(service)]
    try:
        yield settings, db, js
    finally:
        await js.delete_stream(settings.stream_name)
        await js.delete_stream(settings.dead_letter_stream)
        await mongo.drop_database(db.name)
        await mongo.close()
        await nc.close()
