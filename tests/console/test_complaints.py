"""Complaints in the console (issue 17): any staff member takes one and sees its number YYMM-NNN; the managers'
board by status and deadline, overdue highlighted, assign, approve the report, close with the customer's
response; partners are refused the intake, everyone but managers the board."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pymongo import MongoClient

from crm_shared.http.auth import mint_token
from crm_console.views.complaints import _line
from tests.console.conftest import shot, untranslated

NUMBER = re.compile(r"^\d{4}-\d{3}$")
RAW_KEYS = re.compile(r"\b(?:cust|card|arc|rv|ev|cmp|cmpl|care|occasion)\.[a-z_.]+\b")


def _client(office, key: str, role: str | None = None, sub: str | None = None) -> httpx.Client:
    role = role or ("consultant" if key.startswith("consultant") else key)
    sub = sub or office.staff.get(key) or office.partner("链家深圳湾店")
    token = mint_token(office.settings, sub, role, [office.branch])
    cookies = {"crm_console_token": token, "crm_console_branch": office.branch, "crm_console_lang": "zh-CN"}
    return httpx.Client(base_url=office.base_url, cookies=cookies, timeout=30)


def _complaint(office, name: str, phone: str, *, by: str = "reception", severity: str = "normal", **extra) -> dict:
    role = "consultant" if by.startswith("consultant") else by
    return office.call("POST", "/v1/complaints", office.as_(role, by), json={
        "branch_id": office.branch, "customer": {"name": name, "phone": phone}, "channel": "phone",
        "category": "delivery", "severity": severity, "summary": "交房时发现客厅墙面开裂，要求维修"} | extra)


def _age(office, complaint_id: str, days: int) -> None:
    """Time passes for one complaint: its receipt and deadlines move `days` into the past (the store as the
    service keeps it), so its deadlines are missed now."""
    with MongoClient(office.settings.mongo_url, tz_aware=True) as mongo:
        coll = mongo[office.settings.database_name("customers")]["complaints"]
        doc = coll.find_one({"_id": complaint_id})
        shift = timedelta(days=days)
        coll.update_one({"_id": complaint_id}, {"$set": {k: doc[k] - shift for k in ("received_at", "report_due_at", "due_at")}})


def test_any_staff_member_takes_a_complaint_and_sees_its_number(page_for, office):
    page = page_for("reception")
    page.click("a[data-nav=complaints]")
    assert "/console/complaints/new" in page.url
    page.fill("#intake-name", "韩女士")
    page.fill("#intake-phone", "13833330001")
    page.select_option("#intake-channel", "visit")
    page.select_option("#intake-category", "quality")
    page.check("#intake-severity-major")
    page.fill("#intake-summary", "厨房渗水，已影响楼下")
    shot(page, "73-complaint-intake")
    page.click("#intake-submit")
    page.wait_for_load_state("networkidle")
    number = page.locator("#complaint-number").inner_text()
    assert NUMBER.match(number), number
    assert "韩女士" in page.locator("#saved").inner_text() and "重大" in page.locator("#saved").inner_text()
    assert "调查报告截止" in page.locator("#saved").inner_text()
    stored = office.call("GET", "/v1/complaints", office.as_("manager"), params={"branch_id": office.branch})["items"]
    assert [c for c in stored if c["number"] == number and c["severity"] == "major" and c["channel"] == "visit"]
    assert untranslated(page) == [] and not RAW_KEYS.findall(page.inner_text("body"))
    shot(page, "74-complaint-number")

    # a missing field: the form says which and keeps what was typed; nothing is stored
    page.goto(f"{office.base_url}/console/complaints/new")
    page.fill("#intake-name", "韩女士")
    page.fill("#intake-phone", "13833330001")
    page.fill("#intake-summary", "又来了")
    page.click("#intake-submit")
    assert "请选择投诉渠道" in page.locator("#intake-error").inner_text()
    assert page.locator("#intake-summary").input_value() == "又来了"
    after = office.call("GET", "/v1/complaints", office.as_("manager"), params={"branch_id": office.branch})["items"]
    assert len(after) == len(stored)


def test_who_may_use_the_intake_and_the_board(office):
    for key in ("consultant1", "reception", "manager"):
        with _client(office, key) as c:
            r = c.get("/console/complaints/new")
        assert r.status_code == 200 and "登记投诉" in r.text and "销售承诺" in r.text, key
    with _client(office, "finance", role="finance", sub="finance-1") as c:
        r = c.get("/console/complaints/new")
        assert r.status_code == 200 and "投诉内容" in r.text, "finance is staff too"
    with _client(office, "partner", role="partner") as c:
        r = c.get("/console/complaints/new")
        assert r.status_code == 403 and "您的角色不能使用此页面" in r.text
        assert c.get("/console/complaints").status_code == 403
    for key in ("consultant1", "reception"):
        with _client(office, key) as c:
            assert c.get("/console/complaints").status_code == 403, key
            assert c.post("/console/complaints/x/assign", data={"assignee_id": office.staff["consultant1"]}).status_code == 403


def test_the_board_by_status_and_deadline_with_the_overdue_first(page_for, office):
    late = _complaint(office, "宋先生", "13833330002", severity="major")
    fresh = _complaint(office, "唐女士", "13833330003", by="consultant1", category="service")
    _age(office, late["id"], 5)  # past the report's 3 days and the major complaint's 3 days

    page = page_for("manager")
    page.click("a[data-nav=complaints]")
    received = page.locator("#status-received")
    items = received.locator("li.complaint-item")
    assert items.count() == 2
    assert items.nth(0).get_attribute("data-complaint") == late["id"], "the overdue complaint comes first"
    assert "late" in items.nth(0).get_attribute("class")
    assert items.nth(0).locator(".overdue").inner_text() == "已逾期"
    assert "late" not in (items.nth(1).get_attribute("class") or "")
    for words in ("已受理", "调查中", "已答复", "已结案", "已重开", "调查报告截止", "处理截止", "待分派", "交付", "服务"):
        assert words in page.inner_text("body"), words
    assert page.locator("#late-count").count() == 1
    shot(page, "75-complaint-board")
    assert untranslated(page) == [] and not RAW_KEYS.findall(page.inner_text("body"))

    # assign → investigating, with the handler's name
    row = page.locator(f"li[data-complaint='{fresh['id']}']")
    row.locator(".assign-form select").select_option(office.staff["consultant1"])
    row.locator(".assign-form button").click()
    page.wait_for_load_state("networkidle")
    assert "已分派给 顾问张三" in page.locator(".flash").inner_text()
    row = page.locator(f"#status-investigating li[data-complaint='{fresh['id']}']")
    assert row.locator(".assignee").inner_text() == "顾问张三"

    # the handler files the report (through the API here; the day screen has its own test) → approve → close
    office.call("POST", f"/v1/complaints/{fresh['id']}/report", office.as_("consultant", "consultant1"), json={
        "cause": "销售承诺的赠送车位未写入合同", "responsibility": "销售部", "proposal": "补签车位赠送协议"})
    page.goto(f"{office.base_url}/console/complaints")
    row = page.locator(f"li[data-complaint='{fresh['id']}']")
    assert "销售承诺的赠送车位未写入合同" in row.inner_text()
    row.locator(".approve-form button").click()
    page.wait_for_load_state("networkidle")
    assert "报告已批准" in page.locator(".flash").inner_text()
    row = page.locator(f"#status-responded li[data-complaint='{fresh['id']}']")
    row.locator("details.close summary").click()
    row.locator("button", has_text="结案").click()  # no response chosen
    row = page.locator(f"li[data-complaint='{fresh['id']}']")
    assert "请选择客户反馈" in row.locator(".error").inner_text()
    assert row.locator("details.close").get_attribute("open") is not None, "the close form stays open with the error"
    row.locator("input[name=customer_response][value=satisfied]").check()
    row.locator("select[name=kind]").select_option("explanation")
    row.locator("textarea[name=resolution]").fill("已补签协议，客户认可")
    row.locator("button", has_text="结案").click()
    page.wait_for_load_state("networkidle")
    assert f"已结案：{fresh['number']}" in page.locator(".flash").inner_text()
    closed = page.locator(f"#status-closed li[data-complaint='{fresh['id']}']")
    assert "满意" in closed.inner_text() and "解释说明" in closed.inner_text()
    assert office.call("GET", f"/v1/complaints/{fresh['id']}", office.as_("manager"))["status"] == "closed"


@pytest.mark.unit
def test_a_deadline_past_unmet_is_overdue_and_a_filed_report_stops_its_clock():
    received = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    c = {"id": "c1", "number": "2603-001", "status": "investigating", "customer": {"name": "宋先生", "phone_masked": "138****0002"},
         "received_at": received.isoformat(), "report_due_at": (received + timedelta(days=3)).isoformat(),
         "due_at": (received + timedelta(days=7)).isoformat(), "report": None, "overdue": []}
    assert _line(c, received + timedelta(days=1))["late"] is False
    four = _line(c, received + timedelta(days=4))
    assert four["late"] is True and [d["key"] for d in four["deadlines"] if d["late"]] == ["cmp.report_due"]
    filed = c | {"report": {"cause": "x", "responsibility": "y", "proposal": "z"}}
    assert _line(filed, received + timedelta(days=4))["late"] is False
    assert [d["key"] for d in _line(filed, received + timedelta(days=8))["deadlines"] if d["late"]] == ["cmp.due"]
    assert _line(c | {"status": "closed"}, received + timedelta(days=30))["deadlines"] == []


def _wait_for(what: str, check, tries: int = 80):
    """A step another service learns of from an event a moment later."""
    for _ in range(tries):
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"never happened: {what}")


def _retrying(office, method: str, path: str, who: dict, body: dict, kinds=("unknown-lead", "unknown-account-manager"),
              not_found: bool = False) -> dict:
    """A request the service refuses until it has heard of the lead (or the staff member) from its event."""
    for _ in range(80):
        r = office.api.request(method, path, headers=who, json=body)
        if not ((r.status_code == 422 and any(k in r.text for k in kinds)) or (not_found and r.status_code == 404)):
            break
        time.sleep(0.25)
    assert r.status_code in (200, 201), f"{method} {path}: {r.status_code} {r.text[:400]}"
    return r.json()


def _to_responded(office, complaint: dict, assignee: str = "consultant1") -> None:
    office.call("POST", f"/v1/complaints/{complaint['id']}/assign", office.as_("manager"),
                json={"assignee_id": office.staff[assignee]})
    office.call("POST", f"/v1/complaints/{complaint['id']}/report", office.as_("consultant", assignee), json={
        "cause": "墙面抹灰层养护不足", "responsibility": "施工单位", "proposal": "重新抹灰并赔偿清洁费用"})
    office.call("POST", f"/v1/complaints/{complaint['id']}/report/approve", office.as_("manager"), json={})


def test_improvement_actions_by_the_manager_and_the_assignee(page_for, office):
    complaint = _complaint(office, "邹先生", "13833330011")
    for _ in range(40):  # customers learns the staff from `staff.joined`, a moment after they were added
        r = httpx.post(f"{office.base_url}/v1/complaints/{complaint['id']}/assign", headers=office.as_("manager"),
                       json={"assignee_id": office.staff["consultant1"]}, timeout=30)
        if r.status_code != 422 or "unknown-staff" not in r.text:
            break
        time.sleep(0.25)
    assert r.status_code == 200, r.text

    # the manager adds one on the board: what, the owner by name, the due date
    page = page_for("manager")
    page.goto(f"{office.base_url}/console/complaints")
    row = page.locator(f"li[data-complaint='{complaint['id']}']")
    row.locator("details.add-action summary").click()
    row.locator(".action-form textarea[name=what]").fill("交房前增加墙面验收环节")
    row.locator(".action-form button").click()  # no owner, no date
    row = page.locator(f"li[data-complaint='{complaint['id']}']")
    assert "请填写整改内容，选择负责人和完成期限" in row.locator(".error").inner_text()
    assert row.locator(".action-form textarea[name=what]").input_value() == "交房前增加墙面验收环节", "what was typed stays"
    assert row.locator("details.add-action").get_attribute("open") is not None
    assert office.call("GET", f"/v1/complaints/{complaint['id']}", office.as_("manager"))["actions"] == []
    due = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    row.locator(".action-form select[name=owner_id]").select_option(label="顾问李四")
    row.locator(".action-form input[name=due]").fill(due)
    with page.expect_navigation():  # the form posts and redirects: read the page it lands on, not the one before
        row.locator(".action-form button").click()
    page.wait_for_load_state("networkidle")
    assert f"已添加整改措施：{complaint['number']}" in page.locator(".flash").inner_text()
    action = page.locator(f"li[data-complaint='{complaint['id']}'] li.action-item")
    assert action.count() == 1 and "交房前增加墙面验收环节" in action.inner_text()
    assert action.locator(".owner").inner_text() == "顾问李四" and due in action.inner_text()
    assert action.locator(".state").inner_text() == "进行中"
    stored = office.call("GET", f"/v1/complaints/{complaint['id']}", office.as_("manager"))["actions"]
    assert [(a["owner_id"], a["due"], a["done_at"]) for a in stored] == [(office.staff["consultant2"], due, None)]
    shot(page, "78-complaint-actions")
    assert untranslated(page) == [] and not RAW_KEYS.findall(page.inner_text("body"))

    # the assignee adds another on its day and marks the first done with a note
    mine = page_for("consultant1")
    mine.goto(f"{office.base_url}/console/care")
    row = mine.locator(f"#my-complaints li[data-complaint='{complaint['id']}']")
    assert "顾问李四" in row.inner_text() and "交房前增加墙面验收环节" in row.inner_text()
    row.locator("details.add-action summary").click()
    row.locator(".action-form textarea[name=what]").fill("前台接待投诉话术培训")
    row.locator(".action-form select[name=owner_id]").select_option(label="前台小李")
    row.locator(".action-form input[name=due]").fill(due)
    with mine.expect_navigation():
        row.locator(".action-form button").click()
    mine.wait_for_load_state("networkidle")
    assert f"已添加整改措施：{complaint['number']}" in mine.locator(".flash").inner_text()
    first = mine.locator(f"#my-complaints li[data-complaint='{complaint['id']}'] li.action-item",
                         has_text="交房前增加墙面验收环节")
    first.locator("input[name=note]").fill("已写入交房流程")
    with mine.expect_navigation():  # the page before already shows a flash: wait for the next one
        first.locator(".done-form button").click()
    mine.wait_for_load_state("networkidle")
    assert f"整改措施已完成：{complaint['number']}" in mine.locator(".flash").inner_text()
    first = mine.locator(f"#my-complaints li[data-complaint='{complaint['id']}'] li.action-item",
                         has_text="交房前增加墙面验收环节")
    assert first.locator(".state").inner_text() == "已完成" and "顾问张三" in first.inner_text()
    assert "已写入交房流程" in first.inner_text()
    stored = {a["what"]: a for a in office.call("GET", f"/v1/complaints/{complaint['id']}", office.as_("manager"))["actions"]}
    assert stored["交房前增加墙面验收环节"]["done_by"] == office.staff["consultant1"]
    assert stored["前台接待投诉话术培训"]["owner_id"] == office.staff["reception"] and not stored["前台接待投诉话术培训"]["done_at"]
    assert untranslated(mine) == [] and not RAW_KEYS.findall(mine.inner_text("body"))

    # closed with an action still open: it stays on the assignee's day until done; adding is over
    office.call("POST", f"/v1/complaints/{complaint['id']}/report", office.as_("consultant", "consultant1"), json={
        "cause": "验收环节缺失", "responsibility": "工程部", "proposal": "补充验收并上门修复"})
    office.call("POST", f"/v1/complaints/{complaint['id']}/report/approve", office.as_("manager"), json={})
    office.call("POST", f"/v1/complaints/{complaint['id']}/close", office.as_("manager"), json={
        "customer_response": "satisfied", "resolution": {"kind": "repair", "note": "已修复"}})
    mine.goto(f"{office.base_url}/console/care")
    row = mine.locator(f"#my-complaints li[data-complaint='{complaint['id']}']")
    assert "已结案，整改措施未完成" in row.inner_text() and row.locator("details.add-action").count() == 0
    with mine.expect_navigation():
        row.locator("li.action-item", has_text="前台接待投诉话术培训").locator(".done-form button").click()
    mine.wait_for_load_state("networkidle")
    assert f"整改措施已完成：{complaint['number']}" in mine.locator(".flash").inner_text()
    assert mine.locator(f"#my-complaints li[data-complaint='{complaint['id']}']").count() == 0
    with _client(office, "manager") as c:  # done twice: said in words, nothing changes
        first_id = stored["交房前增加墙面验收环节"]["id"]
        r = c.post(f"/console/complaints/{complaint['id']}/actions/{first_id}/done", data={"note": "再点一次"})
    assert r.status_code == 409 and "该整改措施已完成" in r.text
    stored = {a["what"]: a for a in office.call("GET", f"/v1/complaints/{complaint['id']}", office.as_("manager"))["actions"]}
    assert stored["交房前增加墙面验收环节"]["note"] == "已写入交房流程"
    with _client(office, "consultant2") as c:
        assert c.post(f"/console/care/complaints/{complaint['id']}/actions",
                      data={"what": "越权", "owner_id": office.staff["consultant2"], "due": due}).status_code == 404, \
            "another consultant's complaint is not there to act on"


def test_the_close_form_offers_the_customers_deals(page_for, office):
    manager, consultant = office.as_("manager"), office.as_("consultant", "consultant1")
    unit = office.call("POST", "/v1/units", manager, json={
        "branch_id": office.branch, "project": "湾区壹号", "building": "3栋", "unit_no": "1201", "floor": 12,
        "product_type": "high_rise", "area": "89.50", "list_price": "2980000"})
    lead = office.call("POST", "/v1/leads", consultant, json={
        "branch_id": office.branch, "customer": {"name": "秦先生", "phone": "13833330021"}, "source": {"channel": "phone"}})
    deal = _retrying(office, "POST", "/v1/deals", consultant, {
        "lead_id": lead["id"], "unit_id": unit["id"], "agreed_price": "2980000", "deposit": "50000"}, not_found=True)
    archive = _retrying(office, "POST", "/v1/archives", manager, {
        "branch_id": office.branch, "lead_id": lead["id"], "customer": {"name": "秦先生", "phone": "13833330021"},
        "category": "prospect", "account_manager_id": office.staff["consultant1"]})
    complaint = office.call("POST", "/v1/complaints", office.as_("reception"), json={
        "branch_id": office.branch, "archive_id": archive["id"], "channel": "visit", "category": "quality",
        "severity": "major", "summary": "样板间与交付标准不符，要求退房"})
    assert complaint.get("deal_id") is None, "the complaint itself names no deal"
    _to_responded(office, complaint)
    with MongoClient(office.settings.mongo_url, tz_aware=True) as mongo:  # customers hears of the deal from deal.subscribed
        copies = mongo[office.settings.database_name("customers")]["deal_copies"]
        _wait_for("the customers service knows the deal", lambda: copies.find_one({"_id": deal["id"]}))

    page = page_for("manager")
    page.goto(f"{office.base_url}/console/complaints")
    row = page.locator(f"#status-responded li[data-complaint='{complaint['id']}']")
    row.locator("details.close summary").click()
    options = row.locator("select.deal-pick option")
    labels = [options.nth(i).inner_text() for i in range(options.count())]
    assert [x for x in labels if "湾区壹号 3栋 1201" in x and "已认购" in x], labels
    assert not [x for x in labels if deal["id"] in x], "a deal is named by its unit, never its id"
    row.locator("input[name=customer_response][value=unsatisfied]").check()
    row.locator("select[name=kind]").select_option("refund")
    row.locator("textarea[name=resolution]").fill("同意退房，全额退还定金")
    row.locator("button", has_text="结案").click()  # a refund without its deal
    row = page.locator(f"li[data-complaint='{complaint['id']}']")
    assert "退款退房或换房须选择对应的成交记录" in row.locator(".error").inner_text()
    row.locator("select.deal-pick").select_option(deal["id"])
    row.locator("button", has_text="结案").click()
    page.wait_for_load_state("networkidle")
    assert f"已结案：{complaint['number']}" in page.locator(".flash").inner_text()
    closed = office.call("GET", f"/v1/complaints/{complaint['id']}", manager)
    assert closed["status"] == "closed" and closed["closing"]["deal_id"] == deal["id"]
    assert closed["closing"]["resolution"] == "refund"
    assert "退款退房" in page.locator(f"#status-closed li[data-complaint='{complaint['id']}']").inner_text()


def test_the_console_says_the_services_words_for_each_status(office):
    """One set of status words: the console's are the customers service's own (`status_name`), at every step of
    received → investigating → responded → closed → reopened, on the board and on the archive card."""
    from crm_console.i18n import translate

    complaint = _complaint(office, "蒋女士", "13833330031", channel="wechat", category="service")
    steps = [
        ("received", None),
        ("investigating", ("assign", {"assignee_id": office.staff["consultant1"]}, office.as_("manager"))),
        ("responded", ("report", {"cause": "接待不及时", "responsibility": "销售部", "proposal": "致歉并改进排班"},
                       office.as_("consultant", "consultant1"))),
        ("responded", ("report/approve", {}, office.as_("manager"))),
        ("closed", ("close", {"customer_response": "satisfied", "resolution": {"kind": "apology", "note": "已当面致歉"}},
                    office.as_("manager"))),
        ("reopened", ("reopen", {"reason": "客户再次来电反映"}, office.as_("manager"))),
    ]
    seen = set()
    for status, step in steps:
        if step:
            path, body, who = step
            office.call("POST", f"/v1/complaints/{complaint['id']}/{path}", who, json=body)
        now = office.call("GET", f"/v1/complaints/{complaint['id']}", office.as_("manager"))
        if now["status"] != status:
            continue  # a report filed keeps `investigating` until approved
        seen.add(status)
        assert translate(f"cmp.status.{status}", "zh-CN") == now["status_name"], status
        with _client(office, "manager") as c:
            board = c.get("/console/complaints").text
        group = board.split(f'id="status-{status}"', 1)[1].split("</h2>", 1)[0]
        assert now["status_name"] in group and f'data-complaint="{complaint["id"]}"' in board.split(f'id="status-{status}"', 1)[1].split("</section>", 1)[0]
        for field, key in (("channel", "cmp.channel"), ("category", "cmp.category"), ("severity", "cmp.severity")):
            assert translate(f"{key}.{now[field]}", "zh-CN") == now[f"{field}_name"], field
        if now.get("closing"):
            assert translate(f"cmp.resolution.{now['closing']['resolution']}", "zh-CN") == now["closing"]["resolution_name"]
    assert seen == {"received", "investigating", "responded", "closed", "reopened"}
