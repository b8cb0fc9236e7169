"""Import the offices' existing sheets (CSV or XLSX): each row through the same rules as
registration (dedup, grade, owner), one outcome per row; a bad row never aborts the rest."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, Any

from pydantic import ValidationError

from crm_shared.errors import Conflict, Forbidden, Invalid
from crm_shared.http.auth import Principal
from crm_shared.plugins import ServiceContext
from crm_shared.text import clean_line, clean_paragraph

from crm_leads.context import Branch
from crm_leads.leads import service as leads
from crm_leads.leads.models import LeadCreate

MAX_ROWS = 10_000
COLUMNS = {  # header as offices write it -> field
    "name": "name", "姓名": "name", "客户姓名": "name", "customer_name": "name",
    "phone": "phone", "电话": "phone", "手机": "phone", "手机号": "phone", "联系电话": "phone", "mobile": "phone",
    "gender": "gender", "性别": "gender", "email": "email", "邮箱": "email", "birthday": "birthday", "生日": "birthday",
    "grade": "grade", "等级": "grade", "意向等级": "grade", "owner_id": "owner_id", "置业顾问": "owner_id",
    "channel": "channel", "渠道": "channel", "来源": "channel", "campaign": "campaign", "活动": "campaign",
    "interest": "interest", "意向": "interest", "备注": "interest",
}
GENDERS = {"男": "male", "女": "female", "m": "male", "f": "female"}


class BadRow(ValueError):
    """A row the sheet reader itself could not read; it is reported, the rest goes on."""


def csv_rows(stream: IO[bytes]) -> Iterator[dict[str, Any] | BadRow]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    reader = csv.DictReader(text)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a cell over the csv module's field limit
            yield BadRow(f"unreadable CSV row: {exc}")
            continue
        yield row


def xlsx_rows(stream: IO[bytes]) -> Iterator[dict[str, Any] | BadRow]:
    """Rows of the active sheet; a sheet that breaks part-way (bad XML, a bad cell reference) ends
    with one bad row, and the rows before it count."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
        if book.active is None:
            raise ValueError("no worksheet")
        rows = book.active.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    except Exception as exc:  # any unreadable workbook is the caller's input error
        raise Invalid(f"not a readable XLSX workbook: {type(exc).__name__}", kind="unreadable-file") from None
    try:
        while (values := next(rows, None)) is not None:
            if values and any(v not in (None, "") for v in values):
                yield dict(zip(header, values, strict=False))
    except Exception as exc:  # the parser's error, whatever its type, is about the file
        yield BadRow(f"unreadable XLSX from this row on: {type(exc).__name__}")
    finally:
        book.close()


def cell(field: str, value: Any) -> str | None:
    """A cell as text: empty or spaces is no value; otherwise printable text (`clean_line`; the
    interest column may span lines), or BadRow naming the column."""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    text = str(value)
    if not text.strip():
        return None
    try:
        return clean_paragraph(text) if field == "interest" else clean_line(text)
    except ValueError as exc:
        raise BadRow(f"{field}: {exc}") from None


def to_request(branch_id: str, raw: dict[str, Any], default_channel: str) -> LeadCreate:
    row: dict[str, Any] = {}
    for header, value in raw.items():
        field = COLUMNS.get(str(header or "").strip().lower()) or COLUMNS.get(str(header or "").strip())
        if field and value is not None and (text := cell(field, value)) is not None:
            row[field] = text
    if "gender" in row:
        row["gender"] = GENDERS.get(row["gender"].lower(), row["gender"].lower())
    if "grade" in row:
        row["grade"] = row["grade"].upper()
    customer = {k: row[k] for k in ("name", "phone", "gender", "email", "birthday") if k in row}
    return LeadCreate.model_validate({
        "branch_id": branch_id, "customer": customer, "grade": row.get("grade"), "owner_id": row.get("owner_id"),
        "interest": row.get("interest"),
        "source": {"channel": row.get("channel", default_channel), "campaign": row.get("campaign")},
    })


def _why(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])


async def import_rows(ctx: ServiceContext, branch: Branch, rows: Iterator[dict[str, Any] | BadRow], default_channel: str,
                      who: Principal) -> dict:
    report: list[dict] = []
    counts = {"created": 0, "duplicate": 0, "invalid": 0}
    for number, raw in enumerate(rows, start=2):  # row 1 is the header, as the office sees it in Excel
        if number - 1 > MAX_ROWS:
            report.append({"row": number, "status": "invalid", "error": f"more than {MAX_ROWS} rows; the rest was skipped"})
            counts["invalid"] += 1
            break
        if isinstance(raw, BadRow):
            counts["invalid"] += 1
            report.append({"row": number, "status": "invalid", "error": str(raw)})
            continue
        try:
            lead = await leads.register(ctx, branch, to_request(branch.id, raw, default_channel), who)
            outcome = {"status": "created", "lead_id": lead["_id"]}
        except ValidationError as exc:
            outcome = {"status": "invalid", "error": _why(exc)}
        except BadRow as exc:  # a cell of unprintable text
            outcome = {"status": "invalid", "error": str(exc)}
        except Conflict as exc:  # a duplicate, or the phone changing hands while the row was stored
            if exc.kind == "duplicate-lead":
                outcome = {"status": "duplicate", "existing_lead_id": exc.fields.get("existing_lead_id")}
            else:
                outcome = {"status": "invalid", "error": exc.detail}
        except (Invalid, Forbidden) as exc:  # the row's phone or owner breaks registration's rules
            outcome = {"status": "invalid", "error": exc.detail}
        counts[outcome["status"]] += 1
        report.append({"row": number, **outcome})
    return {**counts, "rows": report}
