"""The account manager's day (客户维护, issue 17): revisits due and overdue, the archives awaiting a manager's
review, complaints assigned to me with their deadlines (and the report filed from there), today's greetings;
for consultants and managers, refused to the front desk and partners."""

from __future__ import annotations

import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from pymongo import MongoClient

from crm_shared.http.auth import mint_token
from tests.console.conftest import shot, untranslated

RAW_KEYS = re.compile(r"\b(?:cust|card|arc|rv|ev|cmp|cmpl|care|occasion)\.[a-z_.]+\b")


def _opened(office, who: dict, body: dict) -> dict:
    """POST /v1/archives; the customers service learns of the office's new staff from their events a moment later."""
    for _ in range(60):
        r = office.api.post("/v1/archives", headers=who, json=body)
        if r.status_code != 422 or "unknown-account-manager" not in r.text:
            break
        time.sleep(0.25)
    assert r.status_code == 201, r.text[:400]
    return r.json()


def _today() -> datetime:
    return datetime.now(ZoneInfo("Asia/Shanghai"))


def _archive(office, name: str, phone: str, *, key: str = "consultant1", birthday: str | None = None, **card) -> dict:
    customer = {"name": name, "phone": phone} | ({"birthday": birthday} if birthday else {})
    return _opened(office, office.as_("manager"), {
        "branch_id": office.branch, "customer": customer, "category": "owner", "account_manager_id": office.staff[key],
        "card": card})


def _tasks_become(office, archive_id: str, status: str) -> str:
    """The revisit timer's pass, by hand: the archive's handover task (planned by the service when the archive
    was opened) becomes due, or overdue, as the pass makes it once its day has come."""
    with MongoClient(office.settings.mongo_url, tz_aware=True) as mongo:
        tasks = mongo[office.settings.database_name("customers")]["revisit_tasks"]
        for _ in range(80):
            task = tasks.find_one({"archive_id": archive_id, "kind": "handover"})
            if task:
                break
            time.sleep(0.25)
        assert task, "the service plans a revisit at handover"
        tasks.update_one({"_id": task["_id"]}, {"$set": {"status": status}, "$inc": {"version": 1}})
        return task["_id"]


def _get(office, key: str, path: str) -> httpx.Response:
    role = "consultant" if key.startswith("consultant") else key
    sub = office.staff.get(key) or office.partner("链家深圳湾店")
    token = mint_token(office.settings, sub, role, [office.branch])
    cookies = {"crm_console_token": token, "crm_console_branch": office.branch, "crm_console_lang": "zh-CN"}
    with httpx.Client(base_url=office.base_url, cookies=cookies, timeout=30) as client:
        return client.get(path)


def test_the_day_of_an_account_manager(page_for, office):
    today = _today().date()
    handover = today.isoformat()
    due = _archive(office, "钟先生", "13844440001", handover_on=handover, unit_no="3栋1202")
    late = _archive(office, "白女士", "13844440002", handover_on=handover)
    _archive(office, "贺先生", "13844440003", birthday=f"1978-{today:%m-%d}" if (today.month, today.day) != (2, 29) else "1980-02-29")
    _archive(office, "邓女士", "13844440004", important_dates=[{"name": "结婚纪念日", "date": f"{today:%m-%d}"}])
    _archive(office, "别人的客户", "13844440005", key="consultant2", birthday=f"1980-{today:%m-%d}")
    due_task = _tasks_become(office, due["id"], "due")
    _tasks_become(office, late["id"], "overdue")
    complaint = office.call("POST", "/v1/complaints", office.as_("reception"), json={
        "branch_id": office.branch, "archive_id": due["id"], "channel": "phone", "category": "delivery",
        "severity": "major", "summary": "交房时发现卫生间地漏堵塞"})
    office.call("POST", f"/v1/complaints/{complaint['id']}/assign", office.as_("manager"),
                json={"assignee_id": office.staff["consultant1"]})

    page = page_for("consultant1")
    page.click("a[data-nav=care]")
    assert "/console/care" in page.url
    overdue = page.locator("#overdue-revisits li")
    assert overdue.count() == 1 and "白女士" in overdue.inner_text() and "交房回访" in overdue.inner_text()
    row = page.locator(f"#due-revisits li[data-task='{due_task}']")
    assert "钟先生" in row.inner_text() and today.isoformat() in row.inner_text()
    greetings = page.locator("#greetings").inner_text()
    assert "贺先生" in greetings and "生日" in greetings
    assert "邓女士" in greetings and "结婚纪念日" in greetings
    assert "别人的客户" not in greetings, "another account manager's greetings are theirs"
    mine = page.locator(f"#my-complaints li[data-complaint='{complaint['id']}']")
    text = mine.inner_text()
    for words in (complaint["number"], "钟先生", "调查中", "重大", "交付", "处理截止", "调查报告截止", "调查报告待提交"):
        assert words in text, words
    assert page.locator("#reviews").count() == 0, "reviews are a manager's"
    shot(page, "76-account-manager-day")
    assert untranslated(page) == [] and not RAW_KEYS.findall(page.inner_text("body"))

    # the report, filed from the day; the manager then sees it to approve on the board
    mine.locator("details.report summary").click()
    mine.locator("textarea[name=cause]").fill("地漏安装时未清理建筑垃圾")
    mine.locator("input[name=responsibility]").fill("施工单位")
    mine.locator("textarea[name=proposal]").fill("上门疏通并检查同批次房屋")
    mine.locator(".report-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert f"调查报告已提交：{complaint['number']}" in page.locator(".flash").inner_text()
    assert "调查报告已提交" in page.locator(f"#my-complaints li[data-complaint='{complaint['id']}']").inner_text()

    # the revisit line opens the card with its task chosen; logging it takes it off the day
    page.locator(f"#due-revisits li[data-task='{due_task}'] a.button").click()
    assert page.locator("#revisit-task").input_value() == due_task
    page.check("#satisfaction-5")
    page.fill("#revisit-note", "交房顺利，客户很满意")
    page.click("#revisit-submit")
    page.wait_for_load_state("networkidle")
    page.goto(f"{office.base_url}/console/care")
    assert page.locator(f"#due-revisits li[data-task='{due_task}']").count() == 0

    boss = page_for("manager")
    boss.click("a[data-nav=care]")
    reviews = boss.locator("#reviews").inner_text()
    assert "钟先生" in reviews and "白女士" in reviews and "审核期限" in reviews and "顾问张三" in reviews
    shot(boss, "77-manager-care-day")
    boss.goto(f"{office.base_url}/console/complaints")
    assert "地漏安装时未清理建筑垃圾" in boss.locator(f"li[data-complaint='{complaint['id']}']").inner_text()


def test_the_day_is_for_account_managers(office):
    for key in ("consultant1", "manager"):
        r = _get(office, key, "/console/care")
        assert r.status_code == 200 and "客户维护" in r.text and "今日问候" in r.text, key
    for key in ("reception", "partner"):
        r = _get(office, key, "/console/care")
        assert r.status_code == 403 and "您的角色不能使用此页面" in r.text, key
