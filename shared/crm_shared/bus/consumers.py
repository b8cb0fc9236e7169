"""Durable, idempotent event consumers with bounded retries and a dead-letter record.

Each service declares one subscription table (event type -> handler). The platform binds
it to a durable pull consumer on the CRM stream, filtered to those types, so one reader
sees the service's whole flow in one place. Per message:

- not an envelope / unknown payload -> dead-lettered at once (retrying cannot help);
- already in the inbox -> acked, no effect (redelivery after a crash or a replay);
- handler raises -> nak with backoff; on the last allowed delivery -> dead-lettered with
  the error, acked, and the stream keeps flowing;
- handler succeeds -> recorded in the inbox, then acked.

A crash between a handler's write and the inbox record redelivers the event, so handlers
that count must also guard their own write (e.g. `$addToSet` of the event id).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from faststream import AckPolicy
from faststream.nats import JStream, NatsMessage, NatsRouter, PullSub
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy
from pymongo.errors import DuplicateKeyError

from crm_shared.config import Settings
from crm_shared.events import BadEvent, Envelope, EventData, parse
from crm_shared.ids import utcnow
from crm_shared.observability import DEAD_LETTERS, EVENTS_HANDLED, correlation_id

if TYPE_CHECKING:
    from crm_shared.plugins import ServiceContext

Handler = Callable[["ServiceContext", Envelope, Any], Awaitable[None]]
INBOX = "inbox"
DEAD_LETTERS_COLLECTION = "dead_letters"
log = logging.getLogger("crm.consumer")


@dataclass
class SubscriptionTable:
    """event type -> handler, for one durable consumer of one service."""

    consumer: str = "main"
    handlers: dict[str, Handler] = field(default_factory=dict)

    def on(self, *event_types: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for event_type in event_types:
                if event_type in self.handlers:
                    raise ValueError(f"{event_type!r} already has a handler in {self.consumer!r}")
                self.handlers[event_type] = handler
            return handler

        return register


def durable_name(service: str, table: SubscriptionTable) -> str:
    return f"{service}-{table.consumer}"


def consumer_config(service: str, table: SubscriptionTable, settings: Settings) -> ConsumerConfig:
    name = durable_name(service, table)
    return ConsumerConfig(
        name=name,
        durable_name=name,
        ack_policy=JsAckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        max_deliver=settings.consumer_max_deliver,
        ack_wait=settings.consumer_ack_wait_seconds,
        filter_subjects=sorted(f"{settings.subject_prefix}.*.{t}" for t in table.handlers),
        max_ack_pending=1000,
    )


async def dead_letter(
    ctx: "ServiceContext", consumer: str, msg: NatsMessage, error: str, attempts: int, env: Envelope | None
) -> None:
    """Keep the message and its error: a collection for operators, a stream for tooling."""
    raw = msg.raw_message
    seq = raw.metadata.sequence.stream if raw.metadata else None
    body = raw.data.decode("utf-8", errors="replace")
    record = {
        "_id": f"{consumer}:{seq}",
        "consumer": consumer,
        "subject": raw.subject,
        "stream_sequence": seq,
        "event_id": env.id if env else None,
        "type": env.type if env else None,
        "body": body,
        "error": error[:4000],
        "attempts": attempts,
        "at": utcnow(),
    }
    await ctx.db[DEAD_LETTERS_COLLECTION].update_one({"_id": record["_id"]}, {"$set": record}, upsert=True)
    dlq_subject = f"{ctx.settings.dead_letter_prefix}.{consumer}"
    payload = {k: v for k, v in record.items() if k != "at"} | {"at": record["at"].isoformat()}
    await ctx.js.publish(
        dlq_subject, json.dumps(payload).encode(), stream=ctx.settings.dead_letter_stream,
        headers={"Nats-Msg-Id": f"dlq:{record['_id']}"},
    )
    DEAD_LETTERS.labels(consumer).inc()
    log.error("dead-lettered", extra={"consumer": consumer, "subject": raw.subject, "error": error[:500]})


async def process(ctx: "ServiceContext", table: SubscriptionTable, msg: NatsMessage) -> None:
    """Handle one delivery; always ends in ack or nak, never leaves it to FastStream."""
    consumer = durable_name(ctx.name, table)
    raw = msg.raw_message
    attempts = raw.metadata.num_delivered if raw.metadata else 1
    try:
        env, data = parse(raw.data)
    except BadEvent as exc:
        await dead_letter(ctx, consumer, msg, str(exc), attempts, None)
        await msg.ack()
        return
    handler = table.handlers.get(env.type)
    inbox_id = f"{consumer}:{env.id}"
    if handler is None or await ctx.db[INBOX].find_one({"_id": inbox_id}, projection={"_id": 1}):
        EVENTS_HANDLED.labels(consumer, env.type, "skipped").inc()
        await msg.ack()
        return
    token = correlation_id.set(env.correlation_id or env.id)
    try:
        await handler(ctx, env, data)
    except Exception as exc:
        EVENTS_HANDLED.labels(consumer, env.type, "error").inc()
        if attempts >= ctx.settings.consumer_max_deliver:
            await dead_letter(ctx, consumer, msg, f"{type(exc).__name__}: {exc}", attempts, env)
            await msg.ack()
        else:
            backoff = ctx.settings.consumer_backoff_seconds
            delay = backoff[min(attempts - 1, len(backoff) - 1)] if backoff else None
            log.warning("handler failed, will retry", extra={"consumer": consumer, "attempt": attempts, "error": repr(exc)})
            await msg.nack(delay=delay)
        return
    finally:
        correlation_id.reset(token)
    try:
        await ctx.db[INBOX].insert_one({"_id": inbox_id, "consumer": consumer, "type": env.type, "at": utcnow()})
    except DuplicateKeyError:
        pass
    EVENTS_HANDLED.labels(consumer, env.type, "ok").inc()
    await msg.ack()


async def _raw_body(msg: Any) -> bytes:
    """Skip FastStream's JSON decoding: a malformed body must reach `process` to be dead-lettered."""
    return msg.body


def bind(
    router: NatsRouter, service: str, table: SubscriptionTable, settings: Settings,
    context: Callable[[], "ServiceContext"],
) -> None:
    """Register the table as one durable pull subscriber on the service's FastStream router."""
    config = consumer_config(service, table, settings)

    @router.subscriber(
        f"{settings.subject_prefix}.>",
        stream=JStream(settings.stream_name, declare=False),
        durable=config.durable_name,
        config=config,
        # Long polls: nats-py's batch fetch can end in a bare asyncio.TimeoutError that
        # FastStream 0.7 does not suppress (it restarts the task and logs an ERROR); a
        # 5 s poll makes that rare and costs nothing, messages arrive as soon as published.
        pull_sub=PullSub(batch_size=16, timeout=5.0),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=_raw_body,
        title=f"{config.durable_name}:consume",
        description="Handles: " + ", ".join(sorted(table.handlers)),
    )
    async def handle(body: bytes, msg: NatsMessage) -> None:
        await process(context(), table, msg)


async def ensure_indexes(db: Any) -> None:
    """Inbox and dead letters are keyed by `_id`; nothing else is needed on either store."""
    await db[DEAD_LETTERS_COLLECTION].create_index([("consumer", 1)])
