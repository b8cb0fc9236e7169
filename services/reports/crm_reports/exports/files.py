"""CSV (UTF-8 with BOM, so Excel opens Chinese correctly) and XLSX (header row, frozen
panes, number formats) from a flat table."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from crm_reports.exports.tables import label, number_format

BOM = "\ufeff"
CSV_MEDIA = "text/csv; charset=utf-8"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHEET_FORBIDDEN = set("[]:*?/\\")


def safe_text(value: Any) -> Any:
    """Free text (a lost reason, a partner id, a name in a header) must never run as a spreadsheet formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(columns: list[str], rows: list[list[Any]], locale: str = "zh-CN") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([safe_text(label(c, locale)) for c in columns])
    writer.writerows([["" if v is None else safe_text(v) for v in row] for row in rows])
    return (BOM + buf.getvalue()).encode("utf-8")


def _cell_value(column: str, value: Any) -> Any:
    if column == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return safe_text(value)


def to_xlsx(title: str, columns: list[str], rows: list[list[Any]], locale: str = "zh-CN") -> bytes:
    """`title` names the sheet (at most 31 characters, none of `[]:*?/\\`)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "".join(" " if ch in SHEET_FORBIDDEN else ch for ch in title)[:31] or "Sheet1"
    ws.append([safe_text(label(c, locale)) for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for row in rows:
        ws.append([_cell_value(c, v) for c, v in zip(columns, row, strict=True)])
    for idx, column in enumerate(columns, start=1):
        fmt = number_format(column)
        letter = get_column_letter(idx)
        for (cell,) in ws.iter_rows(min_row=2, min_col=idx, max_col=idx):
            if fmt and not isinstance(cell.value, str):
                cell.number_format = fmt
        ws.column_dimensions[letter].width = max(10, min(40, 2 * len(label(column, locale)) + 2))
    ws.freeze_panes = "B2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
