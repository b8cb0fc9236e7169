"""The controlled-export engine (crm_shared.exports) without I/O: the watermark in both file kinds, the request
rules and the record's checks (who sees, who downloads, when it is gone)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from pydantic import ValidationError

from crm_shared import exports
from crm_shared.errors import Conflict, Forbidden, Gone, NotFound
from crm_shared.http.auth import Principal

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)  # 10:30 in Shanghai
COLUMNS = [exports.Column("name", "客户姓名"), exports.Column("phone", "手机号码")]
ROWS = [["王先生", "138****5678"], ["=HYPERLINK(\"http://x\")", "139****0000"]]


def who(role: str = "manager", sub: str = "m1", branches: tuple[str, ...] = ("sz",)) -> Principal:
    return Principal(sub=sub, role=role, branches=list(branches))


def record(full: bool = False, by: Principal | None = None) -> dict:
    body = exports.ExportBase(branch_id="sz", full_numbers=full, purpose="业主答谢会邀请" if full else None)
    return exports.new_record(kind="leads", body=body, filters={}, who=by or who(), who_name="张经理",
                              row_ids=["a", "b"], now=NOW, keep=timedelta(hours=24))


def test_the_watermark_names_who_when_in_branch_time_and_which():
    mark = exports.watermark("张经理", NOW, "Asia/Shanghai", "0193-abc")
    assert mark == "受控文件 · 导出人 张经理 · 导出时间 2026-03-01 10:30 · 编号 0193-abc"  # not a UUIDv7: as it is
    # a UUIDv7 (every export's id) reads as its request time in branch time, digits only
    assert exports.number("019c4f6a-8d80-7000-8000-00000000002a", "Asia/Shanghai") == "20260212091509-42"
    assert "06:30" in exports.watermark("张经理", NOW, "Asia/Dubai", "x")


def test_csv_opens_in_excel_with_the_watermark_first_and_chinese_headers():
    data = exports.to_csv(COLUMNS, ROWS, "受控文件 · 导出人 张经理")
    assert data.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[0] == ["# 受控文件 · 导出人 张经理"]
    assert lines[1] == ["客户姓名", "手机号码"]
    assert lines[2] == ["王先生", "138****5678"]
    assert lines[3][0].startswith("'=")  # never runs as a formula


def test_xlsx_carries_the_watermark_in_the_sheet_on_every_page_and_in_its_properties():
    mark = exports.watermark("张经理 & 李", NOW, "Asia/Shanghai", "e-1")
    book = load_workbook(io.BytesIO(exports.to_xlsx("客户名单", COLUMNS, ROWS, mark, author="张经理", now=NOW)))
    ws = book.active
    assert ws.title == "客户名单"
    assert ws["A1"].value == mark and "A1:B1" in {str(r) for r in ws.merged_cells.ranges}
    assert [c.value for c in ws[2]] == ["客户姓名", "手机号码"]
    assert ws["A3"].value == "王先生" and ws["A4"].data_type == "s" and ws["A4"].value.startswith("'=")
    assert ws.oddHeader.center.text == "受控文件"
    assert ws.oddFooter.left.text.startswith("受控文件 · 导出人 张经理 && 李")  # `&` escaped for the footer
    props = book.properties
    assert props.creator == "张经理" and props.subject == "受控文件" and props.description == mark
    assert props.title == "客户名单（受控文件）"


def test_the_attachment_is_named_in_chinese_with_an_ascii_fallback():
    value = exports.disposition("客户名单", "e-1", "csv")
    assert 'filename="export-e-1.csv"' in value and "filename*=UTF-8''%E5%AE%A2" in value


def test_full_numbers_need_a_purpose_and_a_manager():
    with pytest.raises(ValidationError, match="purpose"):
        exports.ExportBase(branch_id="sz", full_numbers=True)
    body = exports.ExportBase(branch_id="sz", full_numbers=True, purpose="交房通知")
    exports.require_requestable(body, who("admin"))
    for role in ("consultant", "reception"):
        with pytest.raises(Forbidden):
            exports.require_requestable(body, who(role))
    exports.require_requestable(exports.ExportBase(branch_id="sz"), who("consultant"))
    with pytest.raises(ValidationError, match="reason"):
        exports.DecisionIn(decision="rejected")


def test_a_masked_export_is_ready_at_once_and_a_full_one_waits():
    masked, full = record(), record(full=True)
    assert masked["status"] == "ready" and masked["expires_at"] == NOW + timedelta(hours=24) and masked["rows"] == 2
    assert full["status"] == "pending_approval" and full["expires_at"] is None
    shown = exports.public(full, NOW).model_dump()
    assert "row_ids" not in shown and shown["id"] == full["_id"] and shown["expired"] is False


def test_who_sees_an_export():
    doc = record(by=who("consultant", "c1"))
    assert exports.visible(doc, who("consultant", "c1")) is doc
    assert exports.visible(doc, who("manager", "m1")) is doc
    for other in (who("consultant", "c2"), who("reception", "r1"), who("manager", "m9", ("gz",))):
        with pytest.raises(NotFound):
            exports.visible(doc, other)
    assert exports.list_query(who("consultant", "c1"), "sz", None) == {"branch_id": "sz", "requested_by": "c1"}
    assert exports.list_query(who("manager"), "sz", "ready") == {"branch_id": "sz", "status": "ready"}


def test_only_the_requester_downloads_a_ready_export_before_it_expires():
    doc = record(by=who("consultant", "c1"))
    exports.require_downloadable(doc, who("consultant", "c1"), NOW)
    with pytest.raises(Forbidden):
        exports.require_downloadable(doc, who("manager"), NOW)
    with pytest.raises(Gone) as gone:
        exports.require_downloadable(doc, who("consultant", "c1"), NOW + timedelta(hours=24))
    assert gone.value.kind == "export-expired" and gone.value.status == 410
    with pytest.raises(Conflict) as pending:
        exports.require_downloadable(record(full=True), who(), NOW)
    assert pending.value.kind == "approval-pending"
    with pytest.raises(Gone) as destroyed:
        exports.require_downloadable(doc | {"status": "destroyed"}, who("consultant", "c1"), NOW)
    assert destroyed.value.kind == "export-destroyed"


def test_a_person_without_a_staff_record_is_named_by_role_and_account():
    assert exports.display_name(who("admin", "admin-1"), None) == "管理员 admin-1"
    assert exports.display_name(who("manager"), "张经理") == "张经理"
