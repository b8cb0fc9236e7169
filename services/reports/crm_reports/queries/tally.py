"""Pure helpers over day counter maps: date ranges, nested sums, rates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from crm_reports.projections.buckets import unkey


def dates(start: date, end: date) -> list[str]:
    return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


def add(maps: Iterable[dict[str, Any] | None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in maps:
        for k, v in (m or {}).items():
            if isinstance(v, dict):
                out[k] = add([out.get(k) if isinstance(out.get(k), dict) else None, v])
            elif k.startswith("max_"):
                out[k] = max(out.get(k, 0), v)
            else:
                out[k] = out.get(k, 0) + v
    return out


def _unescape(m: dict[str, Any]) -> dict[str, Any]:
    return {unkey(k): _unescape(v) if isinstance(v, dict) else v for k, v in m.items()}


def merge(maps: Iterable[dict[str, Any] | None]) -> dict[str, Any]:
    """Sum nested counter maps (stored keys); fields named `max_*` keep the maximum; keys unescaped."""
    return _unescape(add(maps))


def sub(days: dict[str, dict], path: str) -> list[dict | None]:
    """The map at a dotted path in each day's counters."""
    out = []
    for counters in days.values():
        node: Any = counters
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        out.append(node if isinstance(node, dict) else None)
    return out


def num(value: Any) -> float | int:
    """A counter as int when whole (JSON and Excel show 3, not 3.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int | float) else 0


def money(value: Any) -> float:
    return round(float(value or 0), 2)


def rate(part: float, whole: float) -> float | None:
    """A share in [0, 1] rounded to 4 places; None when the base is zero."""
    return round(part / whole, 4) if whole else None


def counts(m: dict[str, Any] | None, stored: bool = True) -> dict[str, int | float]:
    """Flat counters; `stored` keys are still escaped as in the bucket document."""
    return {(unkey(k) if stored else k): num(v) for k, v in (m or {}).items() if not isinstance(v, dict)}
