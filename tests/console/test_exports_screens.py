"""Controlled exports (受控文件) on screen: "导出" on the leads and archives lists — masked and downloadable at
once with the watermark, or with full numbers for a purpose, pending another manager's approval; the managers'
list to approve or reject (never one's own), the requester's download while ready, the expiry shown, and the
destruction of the copies before a witness, after which nothing downloads."""

from __future__ import annotations

import io
import re

import httpx
import openpyxl
import pytest

from crm_shared.http.auth import mint_token
from tests.console.deals_office import browser, lead, open_office, status_of, until
from tests.console.test_unit_import import IDS
from tests.shared.test_text_zh import foreign, visible_text


@pytest.fixture(scope="module")
def office(system):
    base, settings = system
    with httpx.Client(base_url=base, timeout=30) as api:
        o = open_office(base, settings, api)
        o.staff["manager2"] = o.call("POST", "/v1/staff", o.admin, json={"branch_id": o.branch, "name": "赵经理",
                                                                          "role": "manager"})["id"]
        lead(o, "宋先生", "13800009001")
        lead(o, "韩女士", "13800009002", owner="consultant2")

        def archived():
            r = api.post("/v1/archives", headers=o.as_("manager"), json={
                "branch_id": o.branch, "customer": {"name": "老业主", "phone": "13900009003"}, "category": "owner",
                "account_manager_id": o.staff["consultant1"]})
            return r.status_code == 201

        until(archived, "customers to know the staff")
        yield o


def second_manager(o) -> httpx.Client:
    token = mint_token(o.settings, o.staff["manager2"], "manager", [o.branch])
    return httpx.Client(base_url=o.base_url, cookies={"crm_console_token": token, "crm_console_branch": o.branch,
                                                       "crm_console_lang": "zh-CN"}, timeout=30, follow_redirects=True)


def _rows(html: str) -> dict[str, tuple[str, str, str]]:
    """export id -> (kind, state, the row's html)."""
    return {m.group(1): (m.group(2), m.group(3), m.group(4)) for m in re.finditer(
        r'<tr class="export-row" data-export="([^"]+)" data-kind="(\w+)" data-state="(\w+)">(.*?)</tr>', html, re.S)}


def _made(r: httpx.Response) -> str:
    m = re.search(r"made=([^&\s]+)", str(r.url))
    assert m, r.url
    return m.group(1)


def test_a_consultant_exports_its_leads_masked_and_downloads_them_at_once(office):
    with browser(office, "consultant1") as b:
        listing = b.get("/console/leads")
        assert 'id="export-form"' in listing.text and 'id="export-full"' not in listing.text, "full numbers are a manager's"
        r = b.post("/console/exports", data={"kind": "leads", "f_grade": "", "f_q": ""})
        assert r.status_code == 200 and "/console/exports" in str(r.url)
        export_id = _made(r)
        kind, state, row = _rows(r.text)[export_id]
        assert (kind, state) == ("leads", "ready") and "下载 Excel" in row and "打码" in row and "顾问张三" in row
        assert "名单已生成（1 位客户，号码打码）" in r.text
        text = visible_text(r.text)
        assert not IDS.search(text) and not foreign(text), foreign(text)
        f = b.get(f"/console/exports/leads/{export_id}/file.xlsx")
    assert f.status_code == 200 and "attachment" in f.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(f.content)).active
    assert str(sheet["A1"].value).startswith("受控文件 · 导出人 顾问张三")
    cells = [str(c.value) for row in sheet.iter_rows(min_row=3) for c in row if c.value is not None]
    assert "宋先生" in cells and "138****9001" in cells and "13800009001" not in cells and "韩女士" not in cells


def test_full_numbers_need_another_managers_approval_and_end_with_a_witnessed_destruction(office):
    with browser(office, "manager") as b:
        listing = b.get("/console/leads?q=宋先生")
        assert 'id="export-full"' in listing.text and 'name="f_q" value="宋先生"' in listing.text
        missing = b.post("/console/exports", data={"kind": "leads", "full_numbers": "true", "purpose": "", "f_q": "宋先生"})
        assert missing.status_code == 422 and "须填写用途" in missing.text
        r = b.post("/console/exports", data={"kind": "leads", "full_numbers": "true", "purpose": "交房通知电话回访", "f_q": "宋先生"})
        export_id = _made(r)
        kind, state, row = _rows(r.text)[export_id]
        assert state == "pending_approval" and "待审批" in row and "完整号码" in row and "交房通知电话回访" in row
        assert "审批后起算" in row and "「宋先生」" in row
        assert "decision-form" not in row, "nobody approves their own request"
        own = b.post(f"/console/exports/leads/{export_id}/decision", data={"decision": "approved"})
        assert own.status_code == 403 and "申请人不能自己审批" in own.text
        early = b.get(f"/console/exports/leads/{export_id}/file.xlsx")
        assert early.status_code == 409 and "尚待经理审批" in early.text
    with second_manager(office) as m2:
        board = m2.get("/console/exports")
        assert 'id="tab-exports"' in board.text and "导出审批" in board.text
        kind, state, row = _rows(board.text)[export_id]
        assert "decision-form" in row and "王经理" in row and "下载 Excel" not in row
        no_reason = m2.post(f"/console/exports/leads/{export_id}/decision", data={"decision": "rejected", "reason": ""})
        assert no_reason.status_code == 422 and "驳回须填写原因" in no_reason.text
        ok = m2.post(f"/console/exports/leads/{export_id}/decision", data={"decision": "approved", "reason": ""})
        assert ok.status_code == 200 and "已批准导出申请" in ok.text
        assert m2.get(f"/console/exports/leads/{export_id}/file.xlsx").status_code == 403, "only the requester downloads"
    with browser(office, "manager") as b:
        page = b.get("/console/exports")
        kind, state, row = _rows(page.text)[export_id]
        assert state == "ready" and "已批准：赵经理" in row and "下载 Excel" in row
        assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", visible_text(row)), "the expiry is shown"
        f = b.get(f"/console/exports/leads/{export_id}/file.csv")
        assert f.status_code == 200 and "13800009001" in f.content.decode("utf-8-sig")
        no_witness = b.post(f"/console/exports/leads/{export_id}/destroy", data={"witness_id": "", "note": ""})
        assert no_witness.status_code == 422 and "请选择监销人" in no_witness.text
        gone = b.post(f"/console/exports/leads/{export_id}/destroy",
                      data={"witness_id": office.staff["reception"], "note": "碎纸机销毁"})
        assert gone.status_code == 200 and "已登记销毁" in gone.text
        kind, state, row = _rows(gone.text)[export_id]
        assert state == "destroyed" and "王经理 销毁，前台小李 监销" in row and "下载 Excel" not in row
        after = b.get(f"/console/exports/leads/{export_id}/file.xlsx")
        assert after.status_code == 410 and "已登记销毁" in after.text
        text = visible_text(gone.text)
        assert not IDS.search(text) and not foreign(text), foreign(text)


def test_a_rejected_request_shows_why_and_archives_export_too(office):
    with browser(office, "manager") as b:
        listing = b.get("/console/archives")
        assert 'id="export-form"' in listing.text and 'value="archives"' in listing.text
        r = b.post("/console/exports", data={"kind": "archives", "full_numbers": "true", "purpose": "节日问候", "f_category": "owner"})
        full_id = _made(r)
        masked = b.post("/console/exports", data={"kind": "archives", "f_category": "owner"})
        masked_id = _made(masked)
        assert _rows(masked.text)[masked_id][1] == "ready" and "业主" in _rows(masked.text)[masked_id][2]
        f = b.get(f"/console/exports/archives/{masked_id}/file.xlsx")
        cells = [str(c.value) for row in openpyxl.load_workbook(io.BytesIO(f.content)).active.iter_rows(min_row=3)
                 for c in row if c.value is not None]
        assert "老业主" in cells and "139****9003" in cells and "13900009003" not in cells
    with second_manager(office) as m2:
        m2.post(f"/console/exports/archives/{full_id}/decision", data={"decision": "rejected", "reason": "用途不充分"})
    with browser(office, "manager") as b:
        kind, state, row = _rows(b.get("/console/exports").text)[full_id]
        assert state == "rejected" and "已驳回：赵经理" in row and "用途不充分" in row and "登记销毁" not in row
        refused = b.get(f"/console/exports/archives/{full_id}/file.xlsx")
        assert refused.status_code == 409 and "已被驳回" in refused.text


def test_who_sees_what(office):
    code, html = status_of(office, "reception", "/console/exports")
    assert code == 200 and "这里显示您自己申请的导出" in html
    with browser(office, "reception") as b:
        r = b.post("/console/exports", data={"kind": "archives"})
        assert r.status_code == 403, "the front desk exports leads, never archives"
        listing = b.get("/console/leads")
        assert 'id="export-form"' in listing.text and 'data-nav="exports"' in listing.text
    with browser(office, "consultant2") as b:
        mine = _rows(b.get("/console/exports").text)
        assert not mine, "another consultant's exports are not listed"
    assert status_of(office, "finance", "/console/exports")[0] == 403
