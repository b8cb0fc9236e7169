"""Controlled exports of customer lists (001 客户信息保密管理制度): the files, the record and its rules.

A list printed or carried out of the system is a 受控文件: it carries who exported it, when and its
number on every page (XLSX: a first row, the page header and footer, the workbook's properties; CSV: a
first comment line). Masked lists are ready at once; a list with full numbers is requested by a manager
(or admin), approved by another manager of the branch, downloaded only by its requester until it
expires, and every download is audited (who, when, rows, full or masked). Files are generated at each
download from the rows chosen at the request, so no file with full numbers is ever stored. Destruction
of the paper or file copies (销毁) is recorded with a witness (监销); downloads stop from then on.

Services (leads: leads, customers: archives) supply the rows and the names; this module writes the
files and owns the record, its states and the checks. Domain errors only, no HTTP.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, model_validator
from pymongo import ReturnDocument

from crm_shared.errors import Conflict, Forbidden, Gone, Invalid, NotFound
from crm_shared.http.auth import Principal
from crm_shared.ids import uuid7
from crm_shared.text import Line, Paragraph

PENDING, READY, REJECTED, DESTROYED = "pending_approval", "ready", "rejected", "destroyed"
APPROVERS = ("manager", "admin")
"""Who may ask for full numbers, and who approves (never the requester itself)."""
CONTROLLED = "受控文件"
BOM = "\ufeff"
CSV_MEDIA = "text/csv; charset=utf-8"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROLE_NAMES = {"admin": "管理员", "manager": "销售经理", "consultant": "置业顾问", "reception": "前台"}
Format = Literal["xlsx", "csv"]


# --- requests


class ExportBase(BaseModel):
    """What every export request says besides its filters (each service adds `kind` and `filters`)."""

    branch_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", max_length=63, description="The branch listed.")
    full_numbers: bool = Field(False, description="Full phone numbers: a manager's (or admin's) request, approved by "
                               "another manager of the branch before it can be downloaded. Otherwise masked and "
                               "ready at once.")
    purpose: Paragraph(500) | None = Field(None, description="Why the list is needed (用途); required with full numbers.")

    @model_validator(mode="after")
    def _purpose_with_full_numbers(self) -> ExportBase:
        if self.full_numbers and not self.purpose:
            raise ValueError("purpose is required when full_numbers is true (用途)")
        return self


class DecisionIn(BaseModel):
    decision: Literal["approved", "rejected"]
    reason: Paragraph(500) | None = Field(None, description="Required when rejected.")

    @model_validator(mode="after")
    def _reason_when_rejected(self) -> DecisionIn:
        if self.decision == "rejected" and not self.reason:
            raise ValueError("a rejection needs a reason")
        return self


class DestroyIn(BaseModel):
    witness_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$",
                            description="The colleague of the branch who witnessed the destruction (监销).")
    note: Line(500) | None = Field(None, description="How the copies were destroyed (碎纸、删除文件...).")


# --- the files


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the word the console shows


def number(export_id: str, tz: str) -> str:
    """The export's number as people read and write it on the paper log: the request's branch-local time to the
    second (a UUIDv7 id carries it) and two digits of the id, e.g. `20261130201703-42`; digits only."""
    digits = export_id.replace("-", "").lower()
    if len(digits) != 32 or digits[12] != "7":  # not a UUIDv7: the id itself
        return export_id
    try:
        requested = datetime.fromtimestamp(int(digits[:12], 16) / 1000, UTC).astimezone(ZoneInfo(tz))
        return f"{requested:%Y%m%d%H%M%S}-{int(digits[-4:], 16) % 100:02d}"
    except (ValueError, OverflowError, OSError):  # not a UUIDv7: the id itself
        return export_id


def watermark(name: str, at: datetime, tz: str, export_id: str) -> str:
    """The line every copy carries: 受控文件, who, when (branch time), which export (its number)."""
    local = at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    return f"{CONTROLLED} · 导出人 {name} · 导出时间 {local} · 编号 {number(export_id, tz)}"


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    return "'" + value if isinstance(value, str) and value.startswith(CSV_FORMULA_STARTS) else value


def to_csv(columns: list[Column], rows: list[list[Any]], mark: str) -> bytes:
    """UTF-8 with BOM (Excel opens Chinese correctly); the watermark as a first comment line."""
    buf = io.StringIO()
    buf.write(f"# {mark}\r\n")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    writer.writerows([[_csv_cell(v) for v in row] for row in rows])
    return (BOM + buf.getvalue()).encode("utf-8")


def _hf(text: str) -> str:
    """Header/footer text: `&` is a code there, and Excel keeps at most 255 characters."""
    return text.replace("&", "&&")[:240]


def to_xlsx(title: str, columns: list[Column], rows: list[list[Any]], mark: str, *, author: str,
            now: datetime) -> bytes:
    """The watermark as a merged first row, on every printed page (header and footer) and in the properties."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([mark])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(1, len(columns)))
    ws["A1"].font = Font(bold=True, color="C00000")
    ws.append([c.header for c in columns])
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center")
    for row in rows:  # only "=" starts a formula in a stored string cell
        ws.append(["'" + v if isinstance(v, str) and v.startswith("=") else v for v in row])
    for idx, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = max(12, 2 * len(column.header) + 4)
    ws.freeze_panes = "A3"
    ws.print_title_rows = "1:2"
    ws.oddHeader.center.text = _hf(CONTROLLED)
    ws.oddHeader.center.size = 14
    ws.oddFooter.left.text = _hf(mark)
    ws.oddFooter.right.text = "第 &P 页 / 共 &N 页"
    props = wb.properties
    props.title, props.subject, props.keywords, props.category = f"{title}（{CONTROLLED}）", CONTROLLED, CONTROLLED, CONTROLLED
    props.creator = props.lastModifiedBy = author[:200]
    props.description = mark
    props.created = props.modified = now.replace(tzinfo=None)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render(fmt: Format, title: str, columns: list[Column], rows: list[list[Any]], mark: str, *, author: str,
           now: datetime) -> tuple[bytes, str]:
    if fmt == "csv":
        return to_csv(columns, rows, mark), CSV_MEDIA
    return to_xlsx(title, columns, rows, mark, author=author, now=now), XLSX_MEDIA


def disposition(title: str, export_id: str, fmt: Format) -> str:
    """An attachment named in Chinese (RFC 5987) with an ASCII fallback."""
    from urllib.parse import quote

    return (f'attachment; filename="export-{export_id}.{fmt}"; '
            f"filename*=UTF-8''{quote(f'{title}-{CONTROLLED}-{export_id}.{fmt}')}")


def display_name(who: Principal, staff_name: str | None) -> str:
    """Who exported, as people read it: the staff name, else the role and the account id (an admin)."""
    return staff_name or f"{ROLE_NAMES.get(who.role, who.role)} {who.sub}"


# --- the record


def new_record(*, kind: str, body: ExportBase, filters: dict, who: Principal, who_name: str, row_ids: list[str],
               now: datetime, keep: timedelta) -> dict:
    full = body.full_numbers
    return {"_id": uuid7(), "kind": kind, "branch_id": body.branch_id, "filters": filters, "full_numbers": full,
            "purpose": body.purpose, "row_ids": row_ids, "rows": len(row_ids), "status": PENDING if full else READY,
            "requested_by": who.sub, "requested_by_name": who_name, "requested_by_role": who.role, "created_at": now,
            "expires_at": None if full else now + keep, "decision": None, "destruction": None, "downloads": 0}


HIDDEN = {"row_ids": 0}
"""Lists and reads never carry the chosen ids."""


class ExportOut(BaseModel):
    """An export as its requester and the branch's managers see it (never the chosen ids)."""

    id: str
    kind: str
    branch_id: str
    status: str = Field(description="`pending_approval` `ready` `rejected` `destroyed`.")
    full_numbers: bool
    purpose: str | None = None
    filters: dict[str, Any] = Field(default_factory=dict)
    rows: int = Field(description="How many customers the export lists (chosen at the request).")
    requested_by: str
    requested_by_name: str
    requested_by_role: str
    created_at: datetime
    expires_at: datetime | None = None
    expired: bool = False
    decision: dict[str, Any] | None = Field(None, description="`{decision, by, by_name, reason, at}` once decided.")
    destruction: dict[str, Any] | None = Field(None, description="`{by, by_name, witness_id, witness_name, note, at}` "
                                               "once destroyed (销毁, 监销).")
    downloads: int = 0
    download_log: list[dict[str, Any]] | None = Field(None, description="Reading one export: its downloads, newest "
                                                      "first (`actor_name`, `at`, `rows`, `full_numbers`, `format`).")


def public(doc: dict, now: datetime, downloads: list[dict] | None = None) -> ExportOut:
    expires = doc.get("expires_at")
    log = None if downloads is None else [
        {k: d.get(k) for k in ("actor_id", "actor_name", "actor_role", "at", "rows", "full_numbers", "format")}
        for d in downloads]
    return ExportOut(id=doc["_id"], expired=bool(expires and aware(expires) <= now), download_log=log, **{
        k: doc.get(k) for k in ("kind", "branch_id", "status", "full_numbers", "purpose", "filters", "rows",
                                "requested_by", "requested_by_name", "requested_by_role", "created_at", "expires_at",
                                "decision", "destruction", "downloads")})


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def list_query(who: Principal, branch_id: str | None, status: str | None) -> dict:
    """Managers and admins: the branch's exports; everyone else: its own."""
    query = who.branch_filter(branch_id) | ({"status": status} if status else {})
    return query if who.role in APPROVERS else query | {"requested_by": who.sub}


# --- the rules


def require_requestable(body: ExportBase, who: Principal) -> None:
    if body.full_numbers and who.role not in APPROVERS:
        raise Forbidden("only a manager may ask for full numbers (with another manager's approval); export masked")


def visible(doc: dict | None, who: Principal) -> dict:
    """The export for its requester and the branch's managers; missing (404) to everyone else."""
    if doc is None or not who.sees_branch(doc["branch_id"]):
        raise NotFound("export")
    if doc["requested_by"] != who.sub and who.role not in APPROVERS:
        raise NotFound("export")
    return doc


def require_downloadable(doc: dict, who: Principal, now: datetime) -> None:
    if doc["requested_by"] != who.sub:
        raise Forbidden("only the requester downloads an export")
    if doc["status"] == DESTROYED:
        raise Gone("export-destroyed", "this export was destroyed (销毁); ask for a new one")
    if doc["status"] == REJECTED:
        raise Conflict("export-rejected", "this export was rejected", status_now=doc["status"])
    if doc["status"] != READY:
        raise Conflict("approval-pending", "a manager has not approved this export yet", status_now=doc["status"])
    if aware(doc["expires_at"]) <= now:
        raise Gone("export-expired", "this export has expired; ask for a new one",
                   expired_at=aware(doc["expires_at"]).isoformat())


# --- the changes (single-document, conditional: a lost race is a 409)


async def decide(col: Any, doc: dict, who: Principal, who_name: str, body: DecisionIn, now: datetime,
                 keep: timedelta) -> dict:
    if who.role not in APPROVERS:
        raise Forbidden("a manager of the branch approves exports")
    if doc["requested_by"] == who.sub:
        raise Forbidden("another manager approves: not the requester")
    approved = body.decision == "approved"
    sets = {"status": READY if approved else REJECTED, "expires_at": now + keep if approved else None,
            "decision": {"decision": body.decision, "by": who.sub, "by_name": who_name, "reason": body.reason, "at": now}}
    new = await col.find_one_and_update({"_id": doc["_id"], "status": PENDING}, {"$set": sets},
                                        return_document=ReturnDocument.AFTER)
    if new is None:
        raise Conflict("wrong-status", "only an export pending approval is decided", status_now=doc["status"])
    return new


async def destroy(col: Any, doc: dict, who: Principal, who_name: str, body: DestroyIn, witness_name: str | None,
                  now: datetime) -> dict:
    if doc["requested_by"] != who.sub and who.role not in APPROVERS:
        raise Forbidden("the requester or a manager records a destruction")
    if body.witness_id == who.sub:
        raise Invalid("the witness (监销) is another person", kind="invalid-witness", loc=["body", "witness_id"])
    if witness_name is None:
        raise Invalid("the witness is not active staff of this branch", kind="unknown-witness",
                      loc=["body", "witness_id"])
    record = {"by": who.sub, "by_name": who_name, "witness_id": body.witness_id, "witness_name": witness_name,
              "note": body.note, "at": now, "status_before": doc["status"]}
    new = await col.find_one_and_update({"_id": doc["_id"], "status": {"$in": [PENDING, READY]}},
                                        {"$set": {"status": DESTROYED, "destruction": record}},
                                        return_document=ReturnDocument.AFTER)
    if new is None:
        raise Conflict("wrong-status", "a rejected or destroyed export has nothing left to destroy",
                       status_now=doc["status"])
    return new


async def record_download(col: Any, audit: Any, doc: dict, who: Principal, who_name: str, rows: int, fmt: Format,
                          now: datetime) -> None:
    """Written before the file is returned: no record, no file."""
    await audit.insert_one({"_id": uuid7(), "export_id": doc["_id"], "branch_id": doc["branch_id"], "actor_id": who.sub,
                            "actor_name": who_name, "actor_role": who.role, "at": now, "rows": rows,
                            "full_numbers": doc["full_numbers"], "format": fmt})
    await col.update_one({"_id": doc["_id"]}, {"$inc": {"downloads": 1}})


async def ensure_indexes(col: Any, audit: Any) -> None:
    await col.create_index([("branch_id", 1), ("requested_by", 1)])
    await audit.create_index([("export_id", 1)])
