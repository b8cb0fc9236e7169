"""The event envelope (close to CloudEvents), the subject scheme and the type registry."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crm_shared.ids import utcnow, uuid7

BRANCH_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
_BRANCH_RE = re.compile(BRANCH_ID_PATTERN)


class EventData(BaseModel):
    """Base of every event payload; `event_type` and `source` name it in the registry, `event_public` says
    whether integrators may rely on it (the AsyncAPI document lists only public types)."""

    model_config = ConfigDict(extra="ignore")
    event_type: ClassVar[str]
    event_source: ClassVar[str]
    schema_version: ClassVar[int] = 1
    event_public: ClassVar[bool] = True


class Envelope(BaseModel):
    """What travels on the bus: one envelope, any registered payload in `data`."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(description="UUIDv7; also the Nats-Msg-Id header, so JetStream drops duplicates.")
    type: str = Field(description="Past-tense event type.", examples=["lead.registered"])
    source: str = Field(description="Producing service.", examples=["leads"])
    branch_id: str = Field(pattern=BRANCH_ID_PATTERN, examples=["sz-bay"], description="The branch (office) the "
                           "event belongs to, a slug; also the subject's second token.")
    time: datetime = Field(description="When the change happened, UTC.")
    subject: str = Field(description="Aggregate id the event is about.")
    schema_version: int = Field(1, ge=1, description="Version of the payload's shape for this type: a breaking "
                                "change bumps it; older versions stay in the stream and are replayed.")
    correlation_id: str | None = Field(None, description="Request or causing event, for tracing.")
    data: dict[str, Any] = Field(description="The payload, typed by `type`.")


_REGISTRY: dict[str, type[EventData]] = {}
D = TypeVar("D", bound=type[EventData])


class UnknownEventType(ValueError):
    pass


def event(event_type: str, source: str, schema_version: int = 1, *, public: bool = True):
    """Register a payload class under its event type; one class per type.

    `public=False`: internal plumbing between the services (a work order for one service, a service's answer
    to another). It travels on the same stream and subjects, but is left out of the AsyncAPI document
    (`crm_shared.asyncapi`), so integrators neither see nor rely on it, and it may change without notice."""

    def wrap(cls: D) -> D:
        if event_type in _REGISTRY and _REGISTRY[event_type] is not cls:
            raise ValueError(f"event type {event_type!r} registered twice")
        cls.event_type, cls.event_source, cls.schema_version = event_type, source, schema_version
        cls.event_public = public
        _REGISTRY[event_type] = cls
        return cls

    return wrap


def registry() -> dict[str, type[EventData]]:
    return dict(_REGISTRY)


def data_class(event_type: str) -> type[EventData]:
    try:
        return _REGISTRY[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def nats_subject(prefix: str, branch_id: str, event_type: str) -> str:
    if not _BRANCH_RE.match(branch_id):
        raise ValueError(f"branch id {branch_id!r} is not a slug")
    return f"{prefix}.{branch_id}.{event_type}"


def new_event(
    data: EventData, *, branch_id: str, subject: str, correlation_id: str | None = None
) -> Envelope:
    return Envelope(
        id=uuid7(),
        type=data.event_type,
        source=data.event_source,
        branch_id=branch_id,
        time=utcnow(),
        subject=subject,
        schema_version=data.schema_version,
        correlation_id=correlation_id,
        data=data.model_dump(mode="json"),
    )


class BadEvent(ValueError):
    """A message that can never be processed: not JSON, not an envelope, or a bad payload."""


def parse(raw: bytes | str | dict) -> tuple[Envelope, EventData]:
    """Envelope and typed payload, or BadEvent with the reason."""
    try:
        obj = json.loads(raw) if isinstance(raw, bytes | str) else raw
        envelope = Envelope.model_validate(obj)
        payload = data_class(envelope.type).model_validate(envelope.data)
    except (ValueError, TypeError, ValidationError) as exc:
        raise BadEvent(f"{type(exc).__name__}: {exc}"[:2000]) from None
    return envelope, payload
