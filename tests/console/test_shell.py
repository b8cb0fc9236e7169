"""Sign-in, language switch, role guards and readable errors, in a real browser."""

from tests.console.conftest import shot


def test_sign_in_as_each_role_lands_on_its_screen(page_for, office):
    page = page_for("reception")
    assert page.url.endswith("/console/front-desk") or "/console/front-desk" in page.url
    assert page.locator("#who-name").inner_text() == office.names["reception"]
    assert page.locator("#who-name").get_attribute("data-id") == office.staff["reception"]
    assert "深圳湾售楼处" in page.locator("#branch-name").inner_text()


def test_sign_in_page_lists_the_branch_staff_in_chinese_and_switches_to_english(browser, office):
    ctx = browser.new_context(locale="zh-CN")
    page = ctx.new_page()
    page.goto(f"{office.base_url}/console/signin?branch={office.branch}")
    assert "登录" in page.title()
    for key in ("manager", "reception", "consultant1"):
        assert office.names[key] in page.content()
    shot(page, "00-signin-zh")
    page.click("a.lang")
    assert "Sign in" in page.title()
    page.click("a.lang")
    assert "登录" in page.title()
    ctx.close()


def test_a_partner_cannot_open_the_manager_board(page_for, office):
    page = page_for("partner", partner_id="agency-9")
    response = page.goto(f"{office.base_url}/console/manager")
    assert response.status == 403
    assert page.locator(".error").is_visible()


def test_signed_out_users_are_sent_to_sign_in(browser, office):
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(f"{office.base_url}/console/my-day")
    assert "/console/signin" in page.url
    ctx.close()


def test_an_admin_switches_branch_from_the_header_and_stays_on_the_screen(page_for, office):
    other = f"{office.branch}-n"
    office.call("POST", "/v1/branches", office.admin, json={"id": other, "name": "北区展厅", "timezone": "Asia/Shanghai"})
    page = page_for("admin")
    page.goto(f"{office.base_url}/console/front-desk")
    with page.expect_navigation():
        page.select_option("#branch-switch select", office.branch)
    assert page.url.endswith("/console/front-desk")
    assert page.locator("#branch-switch select").input_value() == office.branch
    with page.expect_navigation():
        page.select_option("#branch-switch select", other)
    assert page.url.endswith("/console/front-desk")
    assert page.locator("#branch-switch select").input_value() == other
    assert "北区展厅" in page.content()
    shot(page, "01-admin-branch-switch")
