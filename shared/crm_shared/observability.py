"""JSON logs with the correlation id, Prometheus metrics, and the ops endpoints."""

from __future__ import annotations

import contextvars
import logging
import re
import sys

from prometheus_client import Counter, Histogram
from pythonjsonlogger.json import JsonFormatter

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)

EVENTS_PUBLISHED = Counter("crm_events_published_total", "Events published by outbox relays", ["type"])
OUTBOX_ERRORS = Counter("crm_outbox_errors_total", "Outbox publish or sweep failures")
EVENTS_HANDLED = Counter(
    "crm_events_handled_total", "Events handled by consumers", ["consumer", "type", "outcome"]
)
DEAD_LETTERS = Counter("crm_dead_letters_total", "Messages dead-lettered", ["consumer"])
HTTP_REQUESTS = Histogram(
    "crm_http_request_seconds", "HTTP request latency", ["method", "route", "status"]
)


class _CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        return True


PHONE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z.%\-])((?:%2B|\+)?(?:86)?)(1[3-9]\d)(\d{4})(\d{4})(?![0-9A-Za-z])")
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "correlation_id"}


def redact(text: str) -> str:
    """Mask mobile numbers (138****5678) wherever they slipped into a log line."""
    return PHONE_IN_TEXT.sub(lambda m: f"{m.group(2)}****{m.group(4)}", text)


class PhoneRedactionFilter(logging.Filter):
    """Defence in depth for 客户信息保密: no full phone reaches a log, whatever the source
    (an access-log query string, a driver error, an `extra` field)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if PHONE_IN_TEXT.search(message):
            record.msg, record.args = redact(message), ()
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str) and PHONE_IN_TEXT.search(value):
                setattr(record, key, redact(value))
        return True


def configure_logging(level: str = "INFO", json_logs: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_CorrelationFilter())
    handler.addFilter(PhoneRedactionFilter())
    if json_logs:
        handler.setFormatter(
            JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s")
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
