"""Reading an office's sheet as Excel shows it, for any import (leads, units, owners' archives):
CSV in UTF-8 or GBK (Excel's default in China), comma-, tab- or semicolon-separated, or XLSX; the
header row may sit below a title row or two.

A `Columns` says which headers name which field (compared after `plain`: NFKC, no spaces,
case-folded, a trailing `*`, `:` or "(必填)" dropped) and which fields a sheet must have. The
result is the header row found, the columns it names and every non-blank row as `{n, cells}`
(n: the row number in Excel; cells: field -> text, or a datetime for date cells) or `{n, error}`
for a row that cannot be read. Problems with the file as a whole (not a sheet, a required column
missing, too many rows) are `Invalid`.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from crm_shared.errors import Invalid

MAX_ROWS = 10_000
MAX_COLUMNS = 200
HEADER_SCAN = 10  # rows searched for the header (offices put a title row or two above it)
LONGEST_OTHER = 200  # characters of any cell kept unless its field says otherwise; longer is the row's error
BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
DELIMITERS = (",", "\t", ";")
_HEADER_TAIL = re.compile(r"(?:[(（]必填[)）]|[*:：])+$")


def plain(text: str) -> str:
    """How two spellings of a word compare: NFKC, no whitespace, case-folded."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def index(table: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """word -> key, for looking up what an office wrote (`index(TABLE).get(plain(text))`)."""
    return {plain(word): key for key, words in table.items() for word in words}


@dataclass(frozen=True)
class Columns:
    """What one kind of sheet looks like: field -> the headers that name it (Chinese first)."""

    headers: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]
    longest: Mapping[str, int] = field(default_factory=dict)
    joined: tuple[str, ...] = ()  # fields whose repeated columns are joined with "；" (e.g. several note columns)
    required_text: str = ""  # how the required columns are named in the error, e.g. "the customer's name and phone"
    _by_header: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_header", index(self.headers))

    def field_of(self, header: object) -> str | None:
        """The field a header names, or None."""
        if header is None:
            return None
        return self._by_header.get(_HEADER_TAIL.sub("", plain(str(header))))


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


def _xlsx_records(data: bytes, columns: Columns) -> Iterator[Iterable[Any] | str]:
    """The rows of the first sheet with a header row (the active one first)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheets = [book.active, *(s for s in book.worksheets if s is not book.active)] if book.worksheets else []
        chosen = next((s for s in sheets if s is not None and _header_at(list(_head(s)), columns) is not None), None)
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


def _header_at(records: list, columns: Columns) -> int | None:
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


def _row(n: int, record: Iterable[Any], fields: dict[int, str], columns: Columns) -> dict[str, Any] | None:
    cells: dict[str, Any] = {}
    for i, raw in enumerate(record):
        name = fields.get(i)
        if name is None or (value := text_of(raw)) is None:
            continue
        longest = columns.longest.get(name, LONGEST_OTHER)
        if isinstance(value, str) and len(value) > longest:
            return {"n": n, "error": {"code": "too_long", "field": name, "max": longest}}
        if name in cells and name in columns.joined and isinstance(cells[name], str):
            cells[name] = f"{cells[name]}；{value}"
        else:
            cells.setdefault(name, value)
    return {"n": n, "cells": cells} if cells else None


def read(data: bytes, filename: str, columns: Columns, max_rows: int = MAX_ROWS) -> Sheet:
    """The sheet's header and rows; `Invalid` when the file as a whole cannot be imported."""
    is_xlsx = data[:2] == b"PK" or filename.lower().endswith(".xlsx")
    records = _xlsx_records(data, columns) if is_xlsx else _records(decode(data))
    head: list = []
    for record in records:
        head.append(record)
        if len(head) >= HEADER_SCAN:
            break
    at = _header_at(head, columns)
    if at is None:
        found = next(([str(c).strip() for c in r if c is not None and str(c).strip()] for r in head if not isinstance(r, str)), [])
        named = columns.required_text or ", ".join(columns.required)
        raise Invalid(f"no header row names {named}", kind="missing-columns",
                      missing=list(columns.required), headers=found[:50])
    header = ["" if c is None else str(c).strip() for c in head[at]]
    fields = {i: f for i, c in enumerate(header) if (f := columns.field_of(c))}
    missing = [f for f in columns.required if f not in fields.values()]
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
        if (row := _row(n, record, fields, columns)) is not None:
            if len(sheet.rows) >= max_rows:
                raise Invalid(f"more than {max_rows} rows: split the sheet", kind="too-many-rows", max_rows=max_rows)
            sheet.rows.append(row)
    if not sheet.rows:
        raise Invalid("the sheet has a header but no rows", kind="empty-sheet")
    return sheet
