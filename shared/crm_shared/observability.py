"""JSON logs with the correlation id, Prometheus metrics, and the ops endpoints."""

from __future__ import annotations

import contextvars
import logging
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


def configure_logging(level: str = "INFO", json_logs: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_CorrelationFilter())
    if json_logs:
        handler.setFormatter(
            JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s")
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
