"""Customer archives in the console (issue 17): the list and the archive card for the roles that use them and
refused to the others; opening an archive, a revisit with stars, the audited reveal, a manager's review and
freeze; the other branch's archive said and never shown."""

from __future__ import annotations

import re
import time
import uuid

import httpx

from crm_shared.http.auth import mint_token
from tests.console.conftest import shot, untranslated

RAW_KEYS = re.compile(r"\b(?:cust|card|arc|rv|ev|cmp|cmpl|care|occasion|arcdeal)\.[a-z_.]+\b")


def _opened(office, who: dict, body: dict) -> dict:
    """POST /v1/archives; the customers service learns of the office's new staff from their events a moment later."""
    for _ in range(60):
        r = office.api.post("/v1/archives", headers=who, json=body)
        if r.status_code != 422 or "unknown-account-manager" not in r.text:
            break
        time.sleep(0.25)
    assert r.status_code == 201, r.text[:400]
    return r.json()


def _get(office, key: str, path: str, role: str | None = None) -> httpx.Response:
    """A console page as that person sees it (the cookie the sign-in screen sets)."""
    role = role or ("consultant" if key.startswith("consultant") else key)
    sub = office.staff.get(key) or office.partner("链家深圳湾店")
    token = mint_token(office.settings, sub, role, [office.branch])
    cookies = {"crm_console_token": token, "crm_console_branch": office.branch, "crm_console_lang": "zh-CN"}
    with httpx.Client(base_url=office.base_url, cookies=cookies, timeout=30) as client:
        return client.get(path)


def _client(office, key: str, role: str | None = None) -> httpx.Client:
    role = role or ("consultant" if key.startswith("consultant") else key)
    token = mint_token(office.settings, office.staff[key], role, [office.branch])
    cookies = {"crm_console_token": token, "crm_console_branch": office.branch, "crm_console_lang": "zh-CN"}
    return httpx.Client(base_url=office.base_url, cookies=cookies, timeout=30)


def _archive(office, name: str, phone: str, *, by: str = "manager", manager_key: str = "consultant1", **extra) -> dict:
    role = "consultant" if by.startswith("consultant") else by
    body = {"branch_id": office.branch, "customer": {"name": name, "phone": phone, "birthday": "1982-06-18"},
            "category": "owner", "account_manager_id": office.staff[manager_key],
            "card": {"employer": "深圳湾科技", "position": "财务总监", "address": "南山区科苑南路 2666 号",
                     "family": "已婚，一子（8岁）", "preferences": "喜欢打高尔夫，不喝酒",
                     "important_dates": [{"name": "结婚纪念日", "date": "05-20"}]}} | extra
    return _opened(office, office.as_(role, by), body)


def test_the_list_and_the_card_for_each_role(office):
    mine = _archive(office, "黄先生", "13822220001", tier="key")
    theirs = _archive(office, "林女士", "13822220002", manager_key="consultant2")

    page = _get(office, "manager", "/console/archives")
    assert page.status_code == 200 and "黄先生" in page.text and "林女士" in page.text
    assert "重点" in page.text and "业主" in page.text and "顾问张三" in page.text and "待审核" in page.text
    assert not RAW_KEYS.findall(page.text)
    page = _get(office, "consultant1", "/console/archives")
    assert page.status_code == 200 and "黄先生" in page.text and "林女士" not in page.text
    assert "只显示由您维护的档案" in page.text
    for key in ("reception", "partner"):
        refused = _get(office, key, "/console/archives")
        assert refused.status_code == 403 and "您的角色不能使用此页面" in refused.text, key
        assert _get(office, key, f"/console/archives/{mine['id']}").status_code == 403, key

    card = _get(office, "manager", f"/console/archives/{mine['id']}")
    assert card.status_code == 200, card.text[:500]
    for words in ("顾客档案卡", "深圳湾科技", "财务总监", "南山区科苑南路", "已婚，一子", "喜欢打高尔夫", "1982-06-18",
                  "结婚纪念日", "重点客户", "案场名单", "业主", "顾问张三", "138****0001", "查看完整号码", "档案审核",
                  "冻结档案", "记录回访"):
        assert words in card.text, words
    assert "13822220001" not in card.text, "the card shows the masked number until a reveal"
    assert not RAW_KEYS.findall(card.text)
    card = _get(office, "consultant1", f"/console/archives/{mine['id']}")
    assert card.status_code == 200 and "查看完整号码" in card.text and "记录回访" in card.text
    assert 'id="review"' not in card.text and 'id="freeze"' not in card.text, "reviews and freezes are a manager's"
    assert _get(office, "consultant1", f"/console/archives/{theirs['id']}").status_code == 404, \
        "another account manager's archive is not a consultant's to open"


def test_a_consultant_opens_an_archive_logs_a_revisit_and_a_manager_reviews_and_freezes(page_for, office):
    page = page_for("consultant1")
    page.click("a[data-nav=archives]")
    page.fill("#open-name", "郭先生")
    page.fill("#open-phone", "138 2222 0003")
    page.fill("#open-birthday", "1979-11-02")
    page.select_option("#open-category", "prospect")
    page.fill("#open-employer", "华润置地")
    page.fill("#open-preferences", "喜欢安静，周末才有空")
    shot(page, "70-archives-open")
    page.click("#open-submit")
    page.wait_for_load_state("networkidle")
    assert "/console/archives/" in page.url
    assert "已建档：郭先生" in page.locator(".flash").inner_text()
    assert page.locator("#archive-category").inner_text() == "意向客户"
    assert page.locator("#archive-status").inner_text() == "待审核"
    assert page.locator("#account-manager").inner_text() == "顾问张三"
    assert page.locator("#phone-masked").inner_text() == "138****0003"
    archive_id = page.url.rsplit("/", 1)[-1].split("?")[0]

    page.click("#reveal summary")
    page.fill("#reveal-reason", "电话预约回访时间")
    page.click("#reveal-submit")
    assert page.locator("#phone-full").inner_text().endswith("13822220003")

    page.goto(f"{office.base_url}/console/archives/{archive_id}")
    page.select_option("#revisit-kind", "phone")
    page.check("#satisfaction-4")
    page.fill("#revisit-note", "客户对物业服务满意，想了解车位")
    page.click("#revisit-submit")
    page.wait_for_load_state("networkidle")
    assert "已记录回访" in page.locator(".flash").inner_text()
    logged = page.locator("#revisit-log li", has_text="客户对物业服务满意")
    assert logged.count() == 1 and "★★★★☆" in logged.inner_text() and "电话回访" in logged.inner_text()
    shot(page, "71-archive-card")
    assert untranslated(page) == [] and not RAW_KEYS.findall(page.inner_text("body"))

    # no stars: the form says so and keeps the note
    page.fill("#revisit-note", "忘了打分")
    page.click("#revisit-submit")
    assert "请选择满意度" in page.locator("#revisit-error").inner_text()
    assert page.locator("#revisit-note").input_value() == "忘了打分"

    manager = page_for("manager")
    manager.goto(f"{office.base_url}/console/archives/{archive_id}")
    manager.click("#review-approve")
    manager.wait_for_load_state("networkidle")
    assert manager.locator("#archive-status").inner_text() == "已审核"
    manager.fill("#freeze-reason", "客户要求停止营销")
    manager.click("#freeze-submit")
    manager.wait_for_load_state("networkidle")
    assert manager.locator("#archive-frozen").inner_text() == "已冻结"
    assert office.call("GET", f"/v1/archives/{archive_id}", office.as_("manager"))["frozen"] is True
    manager.fill("#freeze-reason", "客户同意继续联系")
    manager.click("#freeze-submit")
    manager.wait_for_load_state("networkidle")
    assert manager.locator("#archive-frozen").count() == 0
    shot(manager, "72-archive-card-manager")


def test_the_same_person_twice_names_the_archive_and_another_branch_is_said_not_shown(page_for, office):
    first = _archive(office, "马先生", "13822220004", by="consultant1")
    page = page_for("consultant1")
    page.goto(f"{office.base_url}/console/archives")
    page.fill("#open-name", "马先生")
    page.fill("#open-phone", "13822220004")
    page.select_option("#open-category", "member")
    page.click("#open-submit")
    assert "该客户在本案场已有档案" in page.locator("#open-error").inner_text()
    assert page.locator("#existing-archive").get_attribute("href") == f"/console/archives/{first['id']}"
    assert page.locator("#open-name").input_value() == "马先生", "the form keeps what was typed"

    other = f"br-{uuid.uuid4().hex[:6]}"
    office.call("POST", "/v1/branches", office.admin, json={"id": other, "name": "前海售楼处", "timezone": "Asia/Shanghai"})
    boss = office.call("POST", "/v1/staff", office.admin, json={"branch_id": other, "name": "前海陈经理", "role": "manager"})
    office.call("POST", "/v1/archives", office.as_("manager") | {
        "Authorization": f"Bearer {mint_token(office.settings, boss['id'], 'manager', [other])}"}, json={
        "branch_id": other, "customer": {"name": "马先生", "phone": "13822220004"}, "category": "owner",
        "card": {"employer": "前海金融控股", "preferences": "只在前海看房"}})
    card = _get(office, "consultant1", f"/console/archives/{first['id']}")
    assert "该客户在其他分公司也有档案" in card.text
    assert "前海金融控股" not in card.text and "只在前海看房" not in card.text, "never the other branch's content"


def test_a_tier_asked_on_the_card_and_decided_by_the_lists_approver(page_for, office):
    archive = _archive(office, "韦先生", "13822220011")
    assert archive["tier"] == "general"

    # the account manager asks: the branch's list, with why
    page = page_for("consultant1")
    page.goto(f"{office.base_url}/console/archives/{archive['id']}")
    page.click("#request-tier summary")
    page.select_option("#tier-tier", "key")
    page.click("#tier-submit")  # no reason: the browser's `required` stops it; the server says so too
    with _client(office, "consultant1") as c:
        r = c.post(f"/console/archives/{archive['id']}/tier-requests", data={"tier": "key", "level": "branch", "reason": ""})
    assert r.status_code == 422 and "请填写申请理由" in r.text
    page.fill("#tier-reason", "年内推荐成交两套，家庭购买力强")
    page.click("#tier-submit")
    page.wait_for_load_state("networkidle")
    assert "已提交等级申请" in page.locator(".flash").inner_text()
    line = page.locator("#tier-requests li")
    assert line.count() == 1 and "待审批" in line.inner_text() and "一般 → 重点" in line.inner_text()
    assert line.locator(".decision-form").count() == 0, "the account manager asks; it does not decide"
    assert office.call("GET", f"/v1/archives/{archive['id']}", office.as_("manager"))["tier"] == "general"
    assert untranslated(page) == [] and not RAW_KEYS.findall(page.inner_text("body"))

    # the manager sees who asked and why, and approves on the card
    boss = page_for("manager")
    boss.goto(f"{office.base_url}/console/archives/{archive['id']}")
    line = boss.locator("#tier-requests li")
    assert line.locator(".requested-by").inner_text().startswith("顾问张三")
    assert line.locator(".request-reason").inner_text() == "年内推荐成交两套，家庭购买力强"
    assert "案场名单" in line.inner_text()
    shot(boss, "79-archive-tier-request")
    line.locator("input[name=note]").fill("同意列入案场重点客户")
    line.locator("button[value=approved]").click()
    boss.wait_for_load_state("networkidle")
    assert "已批准等级申请：韦先生 调整为重点" in boss.locator(".flash").inner_text()
    assert boss.locator("#archive-tier").inner_text() == "重点" and "案场名单" in boss.locator("#key-account").inner_text()
    assert boss.locator("#tier-requests").count() == 0
    assert "已批准" in boss.locator("#tier-history").inner_text() and "同意列入案场重点客户" in boss.locator("#tier-history").inner_text()
    after = office.call("GET", f"/v1/archives/{archive['id']}", office.as_("manager"))
    assert after["tier"] == "key" and after["key_account"]["level"] == "branch"

    # the group's list is an admin's: the manager sees the request without the buttons and is refused anyway
    page.goto(f"{office.base_url}/console/archives/{archive['id']}")
    page.click("#request-tier summary")
    page.select_option("#tier-tier", "core")
    page.select_option("#tier-level", "group")
    page.fill("#tier-reason", "集团大客户，拟列入集团名单")
    page.click("#tier-submit")
    page.wait_for_load_state("networkidle")
    boss.goto(f"{office.base_url}/console/archives/{archive['id']}")
    line = boss.locator("#tier-requests li")
    assert line.count() == 1 and "集团名单" in line.inner_text() and line.locator(".decision-form").count() == 0
    assert "集团名单由管理员审批" in line.inner_text()
    request_id = line.get_attribute("data-request")
    with _client(office, "manager") as c:
        r = c.post(f"/console/archives/{archive['id']}/tier-requests/{request_id}/decision", data={"decision": "approved"})
    assert r.status_code == 403 and "tier-error" in r.text
    admin = page_for("admin")
    admin.goto(f"{office.base_url}/console/archives/{archive['id']}")
    line = admin.locator(f"#tier-requests li[data-request='{request_id}']")
    line.locator("input[name=note]").fill("本年度集团名单已满")
    line.locator("button[value=rejected]").click()
    admin.wait_for_load_state("networkidle")
    assert "已驳回等级申请：韦先生" in admin.locator(".flash").inner_text()
    assert "本年度集团名单已满" in admin.locator("#tier-history").inner_text()
    assert office.call("GET", f"/v1/archives/{archive['id']}", office.as_("manager"))["tier"] == "key"
    assert untranslated(admin) == [] and not RAW_KEYS.findall(admin.inner_text("body"))


def test_the_key_account_list_for_managers(office):
    key = _archive(office, "侯先生", "13822220021", tier="key")
    _archive(office, "一般客户", "13822220022")
    asked = _archive(office, "阎女士", "13822220023", manager_key="consultant2")
    office.call("POST", f"/v1/archives/{asked['id']}/tier-requests", office.as_("consultant", "consultant2"),
                json={"tier": "core", "level": "branch", "reason": "业主介绍三位朋友成交"})

    archives = _get(office, "manager", "/console/archives")
    assert 'href="/console/archives/key-accounts"' in archives.text and "重点客户名单" in archives.text
    assert 'id="key-accounts-link"' not in _get(office, "consultant1", "/console/archives").text
    page = _get(office, "manager", "/console/archives/key-accounts")
    assert page.status_code == 200, page.text[:400]
    listed = page.text.split('id="key-table"', 1)[1].split("</table>", 1)[0]
    assert f'data-archive="{key["id"]}"' in listed and "侯先生" in listed and "顾问张三" in listed
    assert "案场名单" in listed and "重点" in listed and "王经理" in listed, "approved by the manager who opened it"
    assert "一般客户" not in listed and "阎女士" not in listed, "a general tier is on no list; a request is not yet"
    pending = page.text.split('id="pending-requests"', 1)[1]
    assert "阎女士" in pending and "顾问李四" in pending and "业主介绍三位朋友成交" in pending
    assert f'/console/archives/{asked["id"]}#tiers' in pending
    assert not RAW_KEYS.findall(page.text)
    for key_ in ("consultant1", "reception"):
        refused = _get(office, key_, "/console/archives/key-accounts")
        assert refused.status_code == 403 and "您的角色不能使用此页面" in refused.text, key_
    group = _get(office, "manager", "/console/archives/key-accounts?level=group")
    assert "侯先生" not in group.text.split('id="key-accounts"', 1)[1].split("</section>", 1)[0]
