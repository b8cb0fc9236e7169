"""Reading an office's sheet as Excel shows it: CSV in UTF-8 or GBK (Excel's default in China),
comma-, tab- or semicolon-separated, or XLSX; the header row may sit below a title row.

The result is the header row found, the columns it names (columns.HEADERS) and every
non-blank row as `{n, cells}` (n: the row number in Excel; cells: field -> text, or a
datetime for date cells) or `{n, error}` for a row that cannot be read. Problems with the
file as a whole (not a sheet, no name or phone column, too many rows) are `Invalid`.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from crm_shared.errors import Invalid

from crm_leads.imports import columns

MAX_ROWS = 10_000
MAX_COLUMNS = 200
HEADER_SCAN = 10  # rows searched for the header (offices put a title row or two above it)
LONGEST = {"interest": 1000, "name": 100, "phone": 40, "email": 254}
LONGEST_OTHER = 200  # characters of any other cell kept; longer is the row's error
BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
DELIMITERS = (",", "\t", ";")


@dataclass
class Sheet:
    headers: list[str]
    fields: dict[int, str]
    ignored: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)


def decode(data: bytes) -> str:
    """The text of a CSV: a BOM decides, else UTF-8, else GB18030 (a superset of GBK)."""
    for bom, codec in BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(codec)
            except UnicodeDecodeError:
                break
    for codec in ("utf-8", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    raise Invalid("the file is neither an XLSX workbook nor UTF-8 or GBK text", kind="unreadable-file")


def _records(text: str) -> Iterator[list[str] | str]:
    sample = text[:20_000]
    delimiter = max(DELIMITERS, key=sample.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a cell over the csv module's field limit
            yield "huge_cell" if "field limit" in str(exc) else "unreadable_row"


def _xlsx_records(data: bytes) -> Iterator[Iterable[Any] | str]:
    """The rows of the first sheet with a header row (the active one first)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheets = [book.active, *(s for s in book.worksheets if s is not book.active)] if book.worksheets else []
        chosen = next((s for s in sheets if s is not None and _header_at(list(_head(s))) is not None), None)
        chosen = chosen or next((s for s in sheets if s is not None), None)
        if chosen is None:
            raise ValueError("no worksheet")
        rows = chosen.iter_rows(min_row=1, max_col=MAX_COLUMNS, values_only=True)
    except Exception as exc:  # any unreadable workbook is the caller's input error
        raise Invalid(f"not a readable XLSX workbook: {type(exc).__name__}", kind="unreadable-file") from None
    try:
        yield from rows
    except Exception:  # the parser's error, whatever its type, is about the file: the rows before it count
        yield "unreadable_rest"
    finally:
        book.close()


def _head(sheet) -> Iterator[tuple]:
    return sheet.iter_rows(min_row=1, max_row=HEADER_SCAN, max_col=MAX_COLUMNS, values_only=True)


def _header_at(records: list) -> int | None:
    """Index of the first record naming at least two known columns."""
    for i, record in enumerate(records[:HEADER_SCAN]):
        if not isinstance(record, str) and len({columns.field_of(c) for c in record} - {None}) >= 2:
            return i
    return None


def text_of(value: Any) -> str | datetime | None:
    """A cell as stored for the row: text, a datetime (date cells), or None when blank."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        value = int(value)  # a phone typed as a number: 13812345678.0
    text = str(value)
    return text if text.strip() else None


def _row(n: int, record: Iterable[Any], fields: dict[int, str]) -> dict[str, Any] | None:
    cells: dict[str, Any] = {}
    for i, raw in enumerate(record):
        name = fields.get(i)
        if name is None or (value := text_of(raw)) is None:
            continue
        if isinstance(value, str) and len(value) > LONGEST.get(name, LONGEST_OTHER):
            return {"n": n, "error": {"code": "too_long", "field": name, "max": LONGEST.get(name, LONGEST_OTHER)}}
        if name in cells and name == "interest" and isinstance(cells[name], str):
            cells[name] = f"{cells[name]}；{value}"
        else:
            cells.setdefault(name, value)
    return {"n": n, "cells": cells} if cells else None


def read(data: bytes, filename: str = "") -> Sheet:
    """The sheet's header and rows; `Invalid` when the file as a whole cannot be imported."""
    is_xlsx = data[:2] == b"PK" or filename.lower().endswith(".xlsx")
    records = _xlsx_records(data) if is_xlsx else _records(decode(data))
    head: list = []
    for record in records:
        head.append(record)
        if len(head) >= HEADER_SCAN:
            break
    at = _header_at(head)
    if at is None:
        found = next(([str(c).strip() for c in r if c is not None and str(c).strip()] for r in head if not isinstance(r, str)), [])
        raise Invalid("no header row names the customer's name and phone (客户姓名, 手机号码)", kind="missing-columns",
                      missing=list(columns.REQUIRED), headers=found[:50])
    header = ["" if c is None else str(c).strip() for c in head[at]]
    fields = {i: f for i, c in enumerate(header) if (f := columns.field_of(c))}
    missing = [f for f in columns.REQUIRED if f not in fields.values()]
    if missing:
        raise Invalid(f"the sheet has no column for: {', '.join(missing)}", kind="missing-columns", missing=missing,
                      headers=[h for h in header if h][:50])
    sheet = Sheet(header, fields, [h for i, h in enumerate(header) if h and i not in fields])
    for n, record in enumerate(itertools.chain(head[at + 1:], records), start=at + 2):
        if isinstance(record, str):
            sheet.rows.append({"n": n, "error": {"code": record}})
            if record == "unreadable_rest":
                break
            continue
        if (row := _row(n, record, fields)) is not None:
            if len(sheet.rows) >= MAX_ROWS:
                raise Invalid(f"more than {MAX_ROWS} rows: split the sheet", kind="too-many-rows", max_rows=MAX_ROWS)
            sheet.rows.append(row)
    if not sheet.rows:
        raise Invalid("the sheet has a header but no rows", kind="empty-sheet")
    return sheet
