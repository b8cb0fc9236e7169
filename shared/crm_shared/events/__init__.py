"""The event contract: envelope, registry and one module of payloads per producing service."""

from crm_shared.events import customers, deals, leads, notify, privacy, reception, reports  # noqa: F401  (register types)
from crm_shared.events.envelope import (
    BRANCH_ID_PATTERN,
    BadEvent,
    Envelope,
    EventData,
    UnknownEventType,
    data_class,
    event,
    nats_subject,
    new_event,
    parse,
    registry,
)

__all__ = [
    "BRANCH_ID_PATTERN",
    "BadEvent",
    "Envelope",
    "EventData",
    "UnknownEventType",
    "data_class",
    "event",
    "nats_subject",
    "new_event",
    "parse",
    "registry",
]
