"""The partner portal as the trade uses it (issue 16), in a real browser: sign-in picks a registered partner
account; an agency's manager sees its agents' reports; refusal reasons in the list; follow-ups and renewal;
a same-day arrival; the front desk sees the channel at check-in; the dispute screen shows both sides."""

import time

from tests.console.conftest import shot, untranslated


def report(page, name: str, phone: str) -> None:
    page.fill("#report-name", name)
    page.fill("#report-phone", phone)
    page.click("#report-submit")
    page.wait_for_load_state("networkidle")


def wait_for(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (result := check()):
            return result
        time.sleep(0.2)
    return None


def check_in(page, name: str, phone: str) -> None:
    page.fill("#checkin-name", name)
    page.fill("#checkin-phone", phone)
    page.click("#checkin-submit")
    page.wait_for_load_state("networkidle")


def test_sign_in_picks_a_partner_account_and_an_agency_sees_its_agents_reports(page_for, office, browser):
    agency = office.partner("链家湾区店", "agency")
    zhang = office.partner("张经纪", "agent", agency="链家湾区店")
    office.partner("李经纪", "agent", agency="链家湾区店")

    page = page_for("partner", partner_id="张经纪")
    assert "/console/partner" in page.url and "张经纪" in page.locator("header").inner_text()
    report(page, "周先生", "1391**45678")
    assert "报备成功" in page.locator(".flash").inner_text()
    row = page.locator(".partner-report").first
    assert "1391**45678" in row.inner_text() and row.get_attribute("data-status") == "accepted"
    assert row.locator(".follow-up-due").inner_text().strip(), "the follow-up deadline is shown"
    assert page.locator("#agent-filter").count() == 0, "an agent sees only its own"

    li = page_for("partner", partner_id="李经纪")
    report(li, "吴女士", "13755556666")
    assert li.locator(".partner-report").count() == 1

    boss = page_for("partner", partner_id="链家湾区店")
    signin = boss.context.new_page()
    signin.goto(f"{office.base_url}/console/signin?branch={office.branch}")
    assert signin.locator(f"input[name=who][value='partner:{zhang}']").count() == 1
    assert signin.locator("#signin-partner-id").count() == 0, "no free-text partner id any more"
    signin.close()
    assert boss.locator("#my-reports").get_attribute("data-agency") == "yes"
    rows = boss.locator(".partner-report")
    assert rows.count() == 2
    assert {rows.nth(i).locator(".reporter").inner_text().split("：")[-1] for i in range(2)} == {"张经纪", "李经纪"}
    boss.select_option("#agent-select", zhang)
    boss.wait_for_url(f"**agent={zhang}")
    boss.wait_for_load_state("networkidle")
    assert boss.locator(".partner-report").count() == 1 and "周先生" in boss.locator(".partner-report").inner_text()
    shot(boss, "42-partner-agency-reports")
    assert untranslated(boss) == []
    assert agency


def test_refusal_reason_follow_up_and_renewal_in_the_portal(page_for, office):
    office.call("POST", "/v1/branches", office.admin, json={"id": office.branch, "name": "深圳湾售楼处",
                                                             "timezone": "Asia/Shanghai", "settings": {"protection_days": 5}})
    first = page_for("partner", partner_id="中原地产")
    report(first, "郑先生", "13688887777")
    second = page_for("partner", partner_id="满堂红")
    report(second, "郑先生", "1368**87777")
    assert "先报先得" in second.locator("#report-error").inner_text()
    row = second.locator(".partner-report").first
    assert row.get_attribute("data-status") == "rejected" and row.get_attribute("data-reason") == "reported_first"
    assert "其他渠道" in row.locator(".reason").inner_text(), "the refusal's reason is in the partner's list"
    shot(second, "43-partner-refusal-reason")

    first.locator(".partner-report details.follow-up summary").first.click()
    first.fill(".partner-report .follow-up-form textarea", "电话回访，客户周六带家人来看样板间")
    first.locator(".partner-report .follow-up-form button").first.click()
    first.wait_for_load_state("networkidle")
    assert "已记录跟进" in first.locator(".flash").inner_text()
    assert first.locator(".partner-report").first.locator("dd").filter(has_text=":").count() >= 2

    office.call("POST", "/v1/visits", office.as_("reception"), json={
        "branch_id": office.branch, "visitor": {"name": "郑先生", "phone": "13688887777"}})

    def confirmed():
        first.reload()
        return first.locator(".partner-report").first.get_attribute("data-status") == "confirmed"

    assert wait_for(confirmed), "the visit did not confirm the report"
    first.locator(".renew-form button").click()  # protection of 5 days: inside the last 10 already
    first.wait_for_load_state("networkidle")
    assert "确认书已续签" in first.locator(".flash").inner_text()
    assert "已续签 1 次" in first.locator(".partner-report").first.inner_text()
    shot(first, "44-partner-renewed")


def test_the_desk_sees_the_channel_at_check_in_and_a_group_arrival_confirms_on_report(page_for, office):
    partner = page_for("partner", partner_id="我爱我家")
    report(partner, "冯先生", "13522223333")
    desk = page_for("reception")
    check_in(desk, "冯先生", "13522223333")
    assert "渠道客户" in desk.locator("#result-kind").inner_text() and "新客户" not in desk.locator("#result-kind").inner_text()
    assert "我爱我家" in desk.locator("#result-channel").inner_text()
    shot(desk, "13-front-desk-channel-customer")

    check_in(desk, "陈女士", "13533334444")
    assert desk.locator("#result-channel").count() == 0 and "新客户" in desk.locator("#result-kind").inner_text()
    desk.select_option("#record-partner select[name=partner_id]", office.partner("我爱我家"))
    desk.click("#record-partner button")
    desk.wait_for_load_state("networkidle")
    assert "已记录带团渠道" in desk.locator(".flash").inner_text()

    def visit_known():  # leads has seen the check-in (the walk-in's lead exists): the report comes after it
        r = office.api.get("/v1/leads", params={"branch_id": office.branch, "q": "13533334444"},
                           headers=office.as_("manager"))
        return r.status_code == 200 and r.json()["items"]

    assert wait_for(visit_known, timeout=20), "leads never saw the check-in"
    partner.goto(f"{office.base_url}/console/partner")
    report(partner, "陈女士", "13533334444")
    flash = partner.locator(".flash").inner_text() if partner.locator(".flash").count() else ""
    assert "已确认到访" in flash, f"the same-day report did not confirm at once: {flash}"
    row = partner.locator(".partner-report").first
    assert row.get_attribute("data-status") == "confirmed" and row.locator(".same-day").count() == 1


def test_the_dispute_screen_shows_both_sides_and_preselects_nothing(page_for, office):
    first = office.partner("链家湾区店")
    office.call("POST", "/v1/channel-reports", office.as_("partner", first),
                json={"branch_id": office.branch, "customer_name": "黄先生", "phone": "13411112222"})
    office.call("POST", "/v1/visits", office.as_("reception"), json={
        "branch_id": office.branch, "visitor": {"name": "黄先生", "phone": "13411112222"}})
    second = office.partner("中原地产")

    def refused():
        r = office.api.post("/v1/channel-reports", headers=office.as_("partner", second),
                            json={"branch_id": office.branch, "customer_name": "黄先生", "phone": "134****2222"})
        return r.json() if r.status_code == 409 else None

    rejected = wait_for(refused)
    assert rejected and rejected["reason"] == "reported_first"
    office.call("POST", "/v1/attribution-disputes", office.as_("partner", second),
                json={"report_id": rejected["report_id"], "claim": "客户上月由我方带看过"})

    page = page_for("manager")
    page.click("#tab-disputes")
    item = page.locator(".dispute-item").first
    sides = item.locator("tr.side")
    assert sides.count() >= 2
    assert {sides.nth(i).get_attribute("data-role") for i in range(sides.count())} == {"disputing", "competing"}
    text = item.locator("table.sides").inner_text()
    assert "链家湾区店" in text and "中原地产" in text
    assert item.locator("select[name=winner]").input_value() == "", "nobody is preselected"
    shot(page, "52-manager-dispute-both-sides")
    item.locator("select[name=winner]").select_option(first)
    item.locator("input[name=reason]").fill("首次到访登记早于对方带看记录")
    item.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "链家湾区店" in page.locator(".dispute-item").first.locator(".decision").inner_text()
    assert untranslated(page) == []
