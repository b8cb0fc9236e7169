"""A report's presented rows (exports.present) as a flat table with headers in words and a number format per column."""

from __future__ import annotations

from typing import Any

from crm_reports.exports.words import CHANNELS, COLUMNS, SEPARATOR, word

LABELS = COLUMNS["zh-CN"] | CHANNELS["zh-CN"]  # charts name series and channels with these words
PERCENT = ("_rate", "share", "_ratio")
MONEY = ("amount", "budget", "spent", "refund", "price", "discount")


def label(column: str, locale: str = "zh-CN") -> str:
    """A flattened column's header: the column's word, then the (already presented) key inside it."""
    head, _, rest = column.partition(".")
    return word(COLUMNS, locale, head) + (SEPARATOR.get(locale, "：") + rest if rest else "")


def number_format(column: str) -> str | None:
    leaf = column.rsplit(".", 1)[-1]
    if column == "date":
        return "yyyy-mm-dd"
    if leaf.endswith(PERCENT):
        return "0.0%"
    if leaf.startswith("avg_") or leaf.endswith("_avg"):
        return "0.0"
    if leaf.endswith(MONEY) or column.startswith("reception_") and column != "receptions_completed":
        return "#,##0.00"
    return "#,##0"


def flatten(item: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in item.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out |= flatten(v, f"{name}.")
        elif isinstance(v, list):
            out[name] = "; ".join(str(x) for x in v)
        else:
            out[name] = v
    return out


def table(items: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Columns in first-seen order; a cell missing in a row is 0 for counters, empty otherwise."""
    flat = [flatten(i) for i in items]
    columns: list[str] = []
    for row in flat:
        columns += [c for c in row if c not in columns]
    nested = {c for c in columns if "." in c}
    rows = [[row.get(c, 0 if c in nested else None) for c in columns] for row in flat]
    return columns, rows
