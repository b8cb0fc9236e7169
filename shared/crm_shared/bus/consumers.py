"""Durable, idempotent event consumers with bounded retries and a dead-letter record.

Each service declares its subscription tables (event class -> handler) in one module. The
platform checks the classes against the event registry at start and binds each table to a
durable pull consumer on the CRM stream, filtered to those types, so one reader sees the
service's whole flow in one place. Per message:

- not an envelope / unknown payload -> dead-lettered at once (retrying cannot help);
- already in the inbox -> acked, no effect (redelivery after a crash or a replay);
- handler raises -> nak with backoff; on the last allowed delivery -> dead-lettered with
  the error, acked, and the stream keeps flowing;
- handler succeeds -> recorded in the inbox, then acked.

A crash between a handler's write and the inbox record redelivers the event, so handlers
that count must also guard their own write (e.g. `$addToSet` of the event id).

A table may instead have one batch handler (`table.handle_batch(handler, *classes)`): it gets
up to `batch_size` events per call, in stream order, so a projection can apply them in one
bulk write. The guarantees stay per event: events already in the inbox (or twice in one
delivery) are left out, and a batch that raises is retried one event per call, so only the
event that fails is retried with backoff and dead-lettered. A batch handler must therefore be
idempotent per event (a failed batch may have applied part of its writes).

A batch table has its own pull loop (`consume_batches`, started by the platform with the
service): each fetch takes what is waiting, up to `batch_size`, and an idle consumer long-polls.
Nothing waits to fill a batch, so a trickle of events is handled one by one at once and a
backlog in full batches. (FastStream's batch subscriber keeps fetching to fill a batch and,
when a late fetch ends in a bare `asyncio.TimeoutError`, drops what it had collected until
the ack wait redelivers it.)
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from faststream import AckPolicy
from faststream.nats import JStream, NatsRouter, PullSub
from faststream.nats.annotations import NatsMessage
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy
from pymongo.errors import BulkWriteError, DuplicateKeyError

from crm_shared.config import Settings
from crm_shared.events import BadEvent, Envelope, EventData, parse
from crm_shared.ids import utcnow
from crm_shared.observability import DEAD_LETTERS, EVENTS_HANDLED, correlation_id
from crm_shared.timers import finish_first

if TYPE_CHECKING:
    from crm_shared.plugins import ServiceContext

Handler = Callable[["ServiceContext", Envelope, Any], Awaitable[None]]
BatchHandler = Callable[["ServiceContext", list[tuple[Envelope, Any]]], Awaitable[None]]
INBOX = "inbox"
DEAD_LETTERS_COLLECTION = "dead_letters"
POLL_SECONDS = 5.0
log = logging.getLogger("crm.consumer")


@dataclass
class SubscriptionTable:
    """event class -> handler, for one durable consumer of one service.

    `table.on(VisitCheckedIn)(handler)` or as a decorator. With `batch`, every event of
    `batch_types` goes to that one handler, many per call (see the module doc).
    """

    consumer: str = "main"
    handlers: dict[str, Handler] = field(default_factory=dict)
    classes: dict[str, type[EventData]] = field(default_factory=dict)
    batch: BatchHandler | None = None
    batch_size: int = 200

    def on(self, *event_classes: type[EventData]) -> Callable[[Handler], Handler]:
        if self.batch is not None:
            raise ValueError(f"table {self.consumer!r} has a batch handler; list its classes with handle_batch")

        def register(handler: Handler) -> Handler:
            for cls in event_classes:
                self._add(cls)
                self.handlers[cls.event_type] = handler
            return handler

        return register

    def handle_batch(self, handler: BatchHandler, *event_classes: type[EventData], batch_size: int = 200) -> None:
        """Every event of `event_classes` to `handler`, up to `batch_size` per call."""
        if self.handlers:
            raise ValueError(f"table {self.consumer!r} has per-event handlers; a batch table has only one handler")
        for cls in event_classes:
            self._add(cls)
        self.batch, self.batch_size = handler, batch_size

    def _add(self, cls: type[EventData]) -> None:
        if not (isinstance(cls, type) and issubclass(cls, EventData) and hasattr(cls, "event_type")):
            raise TypeError(f"subscriptions name registered event classes, not {cls!r}")
        if cls.event_type in self.classes:
            raise ValueError(f"{cls.event_type!r} already has a handler in {self.consumer!r}")
        self.classes[cls.event_type] = cls

    @property
    def event_types(self) -> list[str]:
        return sorted(self.classes)

    def check(self, registry: dict[str, type[EventData]]) -> None:
        """Every class must be the registered class of its type (start-up check)."""
        for event_type, cls in self.classes.items():
            if registry.get(event_type) is not cls:
                raise ValueError(f"consumer {self.consumer!r} subscribes to {cls.__name__} ({event_type!r}), "
                                 "which is not a registered event type")


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
        filter_subjects=sorted(f"{settings.subject_prefix}.*.{t}" for t in table.event_types),
        max_ack_pending=1000,
    )


async def dead_letter(
    ctx: "ServiceContext", consumer: str, raw: Msg, error: str, attempts: int, env: Envelope | None
) -> None:
    """Keep the message and its error: a collection for operators, a stream for tooling."""
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


def _attempts(raw: Msg) -> int:
    return raw.metadata.num_delivered if raw.metadata else 1


async def _failed(ctx: "ServiceContext", consumer: str, raw: Msg, env: Envelope, exc: Exception) -> None:
    """Nak with backoff, or dead-letter on the last allowed delivery."""
    attempts = _attempts(raw)
    EVENTS_HANDLED.labels(consumer, env.type, "error").inc()
    if attempts >= ctx.settings.consumer_max_deliver:
        await dead_letter(ctx, consumer, raw, f"{type(exc).__name__}: {exc}", attempts, env)
        await raw.ack()
    else:
        backoff = ctx.settings.consumer_backoff_seconds
        delay = backoff[min(attempts - 1, len(backoff) - 1)] if backoff else None
        log.warning("handler failed, will retry", extra={"consumer": consumer, "attempt": attempts, "error": repr(exc)})
        await raw.nak(delay=delay)


async def _done(ctx: "ServiceContext", consumer: str, items: list[tuple[Msg, Envelope]]) -> None:
    """Record handled events in the inbox, then ack them."""
    if not items:
        return
    now = utcnow()
    records = [{"_id": f"{consumer}:{env.id}", "consumer": consumer, "type": env.type, "at": now} for _, env in items]
    try:
        await ctx.db[INBOX].insert_many(records, ordered=False)
    except BulkWriteError as exc:  # some were recorded by an earlier delivery: fine
        if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
            raise
    except DuplicateKeyError:
        pass
    for raw, env in items:
        EVENTS_HANDLED.labels(consumer, env.type, "ok").inc()
        await raw.ack()


async def _triage(ctx: "ServiceContext", consumer: str, table: SubscriptionTable,
                  raws: list[Msg]) -> list[tuple[Msg, Envelope, Any]]:
    """Parse a delivery; dead-letter what can never be processed and ack what is already handled."""
    parsed: list[tuple[Msg, Envelope, Any]] = []
    for raw in raws:
        try:
            env, data = parse(raw.data)
        except BadEvent as exc:
            await dead_letter(ctx, consumer, raw, str(exc), _attempts(raw), None)
            await raw.ack()
            continue
        parsed.append((raw, env, data))
    if not parsed:
        return []
    ids = [f"{consumer}:{env.id}" for _, env, _ in parsed]
    seen = {doc["_id"] for doc in await ctx.db[INBOX].find({"_id": {"$in": ids}}, projection={"_id": 1}).to_list()}
    fresh = []
    for (raw, env, data), inbox_id in zip(parsed, ids):
        if env.type not in table.classes or inbox_id in seen:
            EVENTS_HANDLED.labels(consumer, env.type, "skipped").inc()
            await raw.ack()
        else:
            seen.add(inbox_id)  # a second copy in the same delivery (a replay) is left out too
            fresh.append((raw, env, data))
    return fresh


async def process(ctx: "ServiceContext", table: SubscriptionTable, raw: Msg) -> None:
    """Handle one delivery; always ends in ack or nak, never leaves it to FastStream."""
    consumer = durable_name(ctx.name, table)
    for raw, env, data in await _triage(ctx, consumer, table, [raw]):
        await _handle_one(ctx, consumer, table, raw, env, data)


async def _handle_one(ctx: "ServiceContext", consumer: str, table: SubscriptionTable, raw: Msg,
                      env: Envelope, data: Any) -> None:
    token = correlation_id.set(env.correlation_id or env.id)
    try:
        if table.batch is not None:
            await table.batch(ctx, [(env, data)])
        else:
            await table.handlers[env.type](ctx, env, data)
    except Exception as exc:
        await _failed(ctx, consumer, raw, env, exc)
        return
    finally:
        correlation_id.reset(token)
    await _done(ctx, consumer, [(raw, env)])


async def process_batch(ctx: "ServiceContext", table: SubscriptionTable, raws: list[Msg]) -> None:
    """Handle a batch delivery with the table's batch handler; on failure, one event per call."""
    consumer = durable_name(ctx.name, table)
    fresh = await _triage(ctx, consumer, table, raws)
    if len(fresh) <= 1:  # nothing to split on failure: the per-event path says it all
        for raw, env, data in fresh:
            await _handle_one(ctx, consumer, table, raw, env, data)
        return
    assert table.batch is not None
    token = correlation_id.set(fresh[0][1].correlation_id or fresh[0][1].id)
    try:
        await table.batch(ctx, [(env, data) for _, env, data in fresh])
    except Exception as exc:
        log.warning("batch failed; retrying its events one by one", extra={"consumer": consumer, "error": repr(exc)})
        for raw, env, data in fresh:
            await _handle_one(ctx, consumer, table, raw, env, data)
        return
    finally:
        correlation_id.reset(token)
    await _done(ctx, consumer, [(raw, env) for raw, env, _ in fresh])


async def consume_batches(ctx: "ServiceContext", table: SubscriptionTable) -> None:
    """The pull loop of a batch table, for the life of the service (`ctx.spawn`)."""
    sub = await ctx.js.pull_subscribe_bind(durable_name(ctx.name, table), stream=ctx.settings.stream_name)
    try:
        while True:
            try:
                raws = await sub.fetch(batch=table.batch_size, timeout=POLL_SECONDS)
            except TimeoutError:  # nothing arrived (nats' own timeout error is a subclass)
                continue
            except NatsError as exc:  # reconnecting: try again shortly
                log.warning("batch fetch failed", extra={"consumer": table.consumer, "error": repr(exc)})
                await asyncio.sleep(1.0)
                continue
            try:
                await finish_first(process_batch(ctx, table, raws))  # a shutdown lets the batch finish and ack
            except Exception as exc:  # the store is unreachable: what is not acked comes back
                log.warning("batch not processed; its events will be redelivered",
                            extra={"consumer": table.consumer, "error": repr(exc)})
                await _nak_unsettled(ctx, raws)
                await asyncio.sleep(1.0)
    finally:
        try:
            await sub.unsubscribe()
        except Exception:  # the connection is already closing
            pass


async def _nak_unsettled(ctx: "ServiceContext", raws: list[Msg]) -> None:
    delay = (ctx.settings.consumer_backoff_seconds or [None])[0]
    for raw in raws:
        try:
            await raw.nak(delay=delay)
        except Exception:  # acked already, or the connection is gone (then the ack wait redelivers)
            pass


async def _raw_body(msg: Any) -> bytes:
    """Skip FastStream's JSON decoding: a malformed body must reach `process` to be dead-lettered."""
    return msg.body


def bind(
    router: NatsRouter, service: str, table: SubscriptionTable, settings: Settings,
    context: Callable[[], "ServiceContext"],
) -> None:
    """Register a per-event table as one durable pull subscriber on the service's FastStream
    router (a batch table runs `consume_batches` instead, started with the service)."""
    if table.batch is not None:
        return
    config = consumer_config(service, table, settings)
    common = dict(
        stream=JStream(settings.stream_name, declare=False),
        durable=config.durable_name,
        config=config,
        ack_policy=AckPolicy.NACK_ON_ERROR,  # only if `process` itself fails (e.g. the store is down)
        decoder=_raw_body,
        title=f"{config.durable_name}:consume",
        description="Handles: " + ", ".join(table.event_types),
    )

    # Long polls: nats-py's batch fetch can end in a bare asyncio.TimeoutError that FastStream
    # 0.7 does not suppress (it restarts the task and logs an ERROR); a 5 s poll makes that
    # rare and costs nothing, messages arrive as soon as published.
    @router.subscriber(f"{settings.subject_prefix}.>", pull_sub=PullSub(batch_size=16, timeout=5.0), **common)
    async def handle(body: bytes, msg: NatsMessage) -> None:
        await process(context(), table, msg.raw_message)


async def ensure_indexes(db: Any) -> None:
    """Inbox and dead letters are keyed by `_id`; nothing else is needed on either store."""
    await db[DEAD_LETTERS_COLLECTION].create_index([("consumer", 1)])
