"""The per-row result of an import, for people: JSON for screens, CSV (UTF-8 with BOM, so Excel
shows Chinese) and XLSX to download; outcomes, reasons and channels in words, consultants by
name, phones masked, dates in branch time. Free text never runs as a spreadsheet formula."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from crm_shared.branches import local_date

from crm_leads.imports.messages import say, word

COLUMNS = ("row", "status", "name", "phone", "owner", "channel", "date", "reason")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA = "text/csv; charset=utf-8"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _owner(owner_id: str | None, names: dict[str, str], locale: str) -> str:
    return names.get(owner_id, owner_id) if owner_id else word("pool", locale)


def _reasons(row: dict, names: dict[str, str], locale: str) -> list[str]:
    said = []
    if reason := row.get("reason"):
        if "owner_id" in reason:
            reason = {**reason, "owner": _owner(reason["owner_id"], names, locale)}
        said.append(say(reason, locale))
    return said + [say(w, locale) for w in row.get("warnings") or []]


def item(row: dict, names: dict[str, str], locale: str, timezone: str) -> dict[str, Any]:
    """One row for the JSON report: codes for programs, words for people."""
    at: datetime | None = row.get("registered_at")
    reasons = _reasons(row, names, locale)
    return {
        "row": row["n"], "status": row["status"], "status_text": word(f"status.{row['status']}", locale),
        "lead_id": row.get("lead_id"), "existing_lead_id": row.get("existing_lead_id"), "name": row.get("name"),
        "phone_masked": row.get("phone_masked"), "owner_id": row.get("owner_id"),
        "owner_name": _owner(row.get("owner_id"), names, locale) if row["status"] == "created" else None,
        "channel": row.get("channel"), "registered_on": local_date(at, timezone).isoformat() if at else None,
        "reason": row.get("reason"), "warnings": row.get("warnings") or [],
        "error": reasons[0] if row.get("reason") else None, "messages": reasons,
    }


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def table(rows: list[dict], names: dict[str, str], locale: str, timezone: str) -> tuple[list[str], list[list[Any]]]:
    """Headers and cells of the downloadable report, in the reader's language."""
    headers = [word(f"head.{c}", locale) for c in COLUMNS]
    body = []
    for row in rows:
        out = item(row, names, locale, timezone)
        body.append([_safe(v) for v in (
            out["row"], out["status_text"], out["name"], out["phone_masked"], out["owner_name"],
            word(f"channel.{out['channel']}", locale) if out["channel"] else None, out["registered_on"],
            "；".join(out["messages"]) if locale != "en" else "; ".join(out["messages"]))])
    return headers, body


def to_csv(headers: list[str], body: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(body)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(title: str, headers: list[str], body: list[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in body:
        sheet.append(values)
    for letter, width in zip("ABCDEFGH", (8, 10, 14, 16, 12, 12, 14, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
