"""What every service does for an erasure (`customer.erased`) and a subject-access request: shared mechanics.

A service says, in its own `privacy.py`, which of its records are about a customer and what erasing does to
each kind (`Kind`: a collection, a filter built from the customer's phone hash and lead ids, and either
`DELETE` or an anonymising update), in one `Spec`:

    SPEC = erasure.register(erasure.Spec("leads", kinds=(...), prepare=_leads_of))
    on_customer_erased = erasure.on_erased(SPEC)          # subscriptions.py: table.on(CustomerErased)(...)

- **Erasure.** On `customer.erased` the handler forgets the customer's data key in this process, applies the
  spec once per erasure (a marker in `privacy_erasures`, by erasure id: the event comes once per branch), and
  answers `privacy.erasure_progress` (`records`: documents deleted or anonymised). The answer is published
  straight to the stream with `Nats-Msg-Id` `erasure-progress:<erasure>:<service>`; a failed publish fails the
  handler, so the event is redelivered and the answer sent again (the customers part counts each service once).
- **Subject access.** Each running service with a spec answers, over core NATS (not the stream), requests on
  `<prefix>_privacy.holdings` (queue group per service: one replica answers): what it holds about a phone hash,
  per kind a label, a count and up to `SHOWN` items of the fields the spec shows -- never a full number. Only
  the services' NATS user may publish or subscribe there (integrators' grants name no such subject). The
  customers part gathers the answers (`gather`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pymongo.errors import DuplicateKeyError

from crm_shared.config import Settings
from crm_shared.events import Envelope, nats_subject, new_event
from crm_shared.events.privacy import CustomerErased, ErasureProgress
from crm_shared.ids import utcnow

if TYPE_CHECKING:
    from crm_shared.plugins import ServiceContext

ERASED_NAME = "已删除"
"""What an anonymised name reads (reports' lists, a deal's buyer, a complaint's complainant)."""
SERVICES = ("leads", "reception", "notify", "reports", "deals", "customers")
"""The services that hold personal data: an erasure is done when each has answered."""
SERVICE_NAMES = {"leads": "线索", "reception": "接待", "notify": "通知", "reports": "报表", "deals": "成交",
                 "customers": "客户"}
MARKERS = "privacy_erasures"
DELETE = "delete"
SHOWN = 20
log = logging.getLogger("crm.privacy")


@dataclass
class Subject:
    """The customer as a service finds them: the phone hash, lead ids, and what `prepare` looked up."""

    phone_hash: str
    lead_ids: list[str] = field(default_factory=list)
    found: dict[str, list[Any]] = field(default_factory=dict)

    def ids(self, name: str) -> list[Any]:
        return self.found.get(name, [])


@dataclass(frozen=True)
class Kind:
    """One kind of record: where, which documents (None: none), and what erasing does (`DELETE` or an update)."""

    name: str
    label: str
    collection: str | Callable[[Subject], str | None]
    match: Callable[[Subject], dict | None]
    erase: str | dict = DELETE
    shown: tuple[str, ...] = ()


@dataclass(frozen=True)
class Spec:
    service: str
    kinds: tuple[Kind, ...]
    prepare: Callable[[ServiceContext, Subject], Awaitable[None]] | None = None
    """Looks up what the kinds' filters need (lead ids, archive ids, numbers); also run for subject access."""
    special: Callable[[ServiceContext, Subject], Awaitable[int]] | None = None
    """An erasure step no filter-and-update says (run first, only when erasing); records it changed."""


_SPECS: dict[str, Spec] = {}


def register(spec: Spec) -> Spec:
    _SPECS[spec.service] = spec
    return spec


def specs() -> dict[str, Spec]:
    return dict(_SPECS)


def anonymised(*names: str, cleared: tuple[str, ...] = (), versioned: bool = False) -> dict:
    """An update that writes `已删除` over the named fields and None over the `cleared` ones (kept as fields: the
    service's code reads them), marks the document `erased` and, for versioned objects, raises `version`."""
    update: dict[str, Any] = {"$set": {n: ERASED_NAME for n in names} | {n: None for n in cleared} | {"erased": True}}
    if versioned:
        update["$inc"] = {"version": 1}
    return update


async def subject(ctx: ServiceContext, spec: Spec, phone_hash: str, lead_ids: list[str] | None = None) -> Subject:
    found = Subject(phone_hash, list(dict.fromkeys(lead_ids or [])))
    if spec.prepare is not None:
        await spec.prepare(ctx, found)
    return found


async def erase(ctx: ServiceContext, spec: Spec, who: Subject) -> int:
    """Apply the spec: documents deleted or anonymised."""
    records = await spec.special(ctx, who) if spec.special is not None else 0
    for kind in spec.kinds:
        query = kind.match(who)
        if query is None:
            continue
        if (name := _collection(kind, who)) is None:
            continue
        col = ctx.db[name]
        if kind.erase == DELETE:
            records += (await col.delete_many(query)).deleted_count
        else:
            records += (await col.update_many({**query, "erased": {"$ne": True}}, kind.erase)).modified_count
    return records


def _collection(kind: Kind, who: Subject) -> str | None:
    return kind.collection(who) if callable(kind.collection) else kind.collection


def numbers_matching(values: list[Any], phone_hash_of: Callable[[str], str], wanted: str) -> list[str]:
    """The values (E.164 numbers a service keeps in clear) whose keyed hash is `wanted`."""
    return [v for v in values if isinstance(v, str) and v.startswith("+") and phone_hash_of(v) == wanted]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _pick(doc: dict, fields: tuple[str, ...]) -> dict:
    out: dict[str, Any] = {"id": _plain(doc.get("_id"))}
    for name in fields:
        value: Any = doc
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            out[name] = _plain(value)
    return out


async def holdings(ctx: ServiceContext, spec: Spec, who: Subject) -> list[dict]:
    """What the service holds about the customer, per kind (never a full number: the spec shows no such field)."""
    out = []
    for kind in spec.kinds:
        query = kind.match(who)
        if query is None:
            continue
        if (name := _collection(kind, who)) is None:
            continue
        docs = await ctx.db[name].find(query, projection={f: 1 for f in kind.shown} or {"_id": 1}) \
            .limit(1000).to_list(None)
        if docs:
            out.append({"kind": kind.name, "label": kind.label, "count": len(docs),
                        "items": [_pick(d, kind.shown) for d in docs[:SHOWN]]})
    return out


async def publish_progress(ctx: ServiceContext, env: Envelope, erasure_id: str, records: int) -> None:
    data = ErasureProgress(erasure_id=erasure_id, service=ctx.name, records=records)
    out = new_event(data, branch_id=env.branch_id, subject=erasure_id, correlation_id=env.id)
    out = out.model_copy(update={"source": ctx.name})
    settings = ctx.settings
    await ctx.js.publish(nats_subject(settings.subject_prefix, env.branch_id, data.event_type),
                         out.model_dump_json().encode(), stream=settings.stream_name,
                         headers={"Nats-Msg-Id": f"erasure-progress:{erasure_id}:{ctx.name}"})


async def run_once(ctx: ServiceContext, env: Envelope, data: CustomerErased,
                   work: Callable[[], Awaitable[int]]) -> int:
    """`work` once per erasure (the marker), then the answer; the records the first run changed."""
    if ctx.keys is not None:
        ctx.keys.forget(data.phone_hash)
    marker = await ctx.db[MARKERS].find_one({"_id": data.erasure_id})
    if marker is None:
        records = await work()
        try:
            await ctx.db[MARKERS].insert_one({"_id": data.erasure_id, "records": records, "at": utcnow()})
        except DuplicateKeyError:  # another replica finished first (another branch's event)
            marker = await ctx.db[MARKERS].find_one({"_id": data.erasure_id})
    if marker is not None:
        records = marker.get("records", 0)
    await publish_progress(ctx, env, data.erasure_id, records)
    log.info("customer erased", extra={"erasure_id": data.erasure_id, "service": ctx.name, "records": records})
    return records


def on_erased(spec: Spec):
    """The service's `customer.erased` handler: apply its spec once per erasure and answer."""

    async def on_customer_erased(ctx: ServiceContext, env: Envelope, data: CustomerErased) -> None:
        async def work() -> int:
            return await erase(ctx, spec, await subject(ctx, spec, data.phone_hash, data.lead_ids))

        await run_once(ctx, env, data, work)

    on_customer_erased.__qualname__ = f"{spec.service}.on_customer_erased"
    return on_customer_erased


# subject access over core NATS -------------------------------------------------------------------------------

def holdings_subject(settings: Settings) -> str:
    """Outside `<prefix>.>`: requests are not events and never enter the stream."""
    return f"{settings.subject_prefix}_privacy.holdings"


async def serve(nc: Any, settings: Settings, contexts: dict[str, ServiceContext]) -> list[Any]:
    """Answer holdings requests for each running service that registered a spec (the platform calls this)."""
    subs = []
    for name, ctx in contexts.items():
        spec = _SPECS.get(name)
        if spec is None:
            continue

        async def answer(msg: Any, ctx: ServiceContext = ctx, spec: Spec = spec) -> None:
            try:
                ask = json.loads(msg.data)
                phone_hash = str(ask["phone_hash"])
                who = await subject(ctx, spec, phone_hash, [str(i) for i in ask.get("lead_ids") or []])
                body = {"service": ctx.name, "holdings": await holdings(ctx, spec, who)}
            except Exception as exc:  # noqa: BLE001 -- the asker is told, the service keeps serving
                log.exception("holdings request failed", extra={"service": ctx.name})
                body = {"service": ctx.name, "error": type(exc).__name__}
            if msg.reply:
                await msg.respond(json.dumps(body, ensure_ascii=False, default=str).encode())

        subs.append(await nc.subscribe(holdings_subject(settings), queue=f"privacy-{name}", cb=answer))
    return subs


async def gather(nc: Any, settings: Settings, phone_hash: str, lead_ids: list[str],
                 timeout: float = 5.0) -> tuple[dict[str, dict], list[str]]:
    """Ask every service what it holds; (answers by service, services that did not answer in time)."""
    inbox = nc.new_inbox()
    answers: dict[str, dict] = {}
    complete = asyncio.Event()

    async def collect(msg: Any) -> None:
        try:
            body = json.loads(msg.data)
        except ValueError:
            return
        if isinstance(body, dict) and body.get("service") in SERVICES:
            answers.setdefault(body["service"], body)
            if len(answers) == len(SERVICES):
                complete.set()

    sub = await nc.subscribe(inbox, cb=collect)
    try:
        await nc.publish(holdings_subject(settings), json.dumps({"phone_hash": phone_hash, "lead_ids": lead_ids}).encode(),
                         reply=inbox)
        try:
            await asyncio.wait_for(complete.wait(), timeout)
        except asyncio.TimeoutError:
            pass
    finally:
        await sub.unsubscribe()
    return answers, [s for s in SERVICES if s not in answers]
