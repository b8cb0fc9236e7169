"""Consultant scope on the screens (撞单 prevention) and a manager's assignment, from the lead card
and in bulk from the filtered list (issue 15)."""

from tests.console.conftest import shot, untranslated


def _lead(office, name: str, phone: str, key: str, channel: str = "walk_in") -> dict:
    return office.call("POST", "/v1/leads", office.as_("consultant", key), json={
        "branch_id": office.branch, "customer": {"name": name, "phone": phone}, "source": {"channel": channel}})


def test_a_consultant_sees_only_its_own_customers_and_the_pool(page_for, office):
    mine = _lead(office, "陈先生", "13822220001", "consultant1")
    theirs = _lead(office, "林女士", "13822220002", "consultant2")
    pooled = office.call("POST", "/v1/leads", office.as_("manager"), json={
        "branch_id": office.branch, "customer": {"name": "黄先生", "phone": "13822220003"}, "source": {"channel": "phone"},
        "owner_id": office.staff["consultant2"]})
    office.call("POST", f"/v1/leads/{pooled['id']}/release", office.as_("manager"))

    page = page_for("consultant1")
    page.goto(f"{office.base_url}/console/leads")
    shown = {row.get_attribute("data-lead") for row in page.locator("#lead-table tbody tr").all()}
    assert shown == {mine["id"], pooled["id"]}
    assert page.locator("#scope-note").is_visible() and page.locator("#filter-owner").count() == 0
    assert page.locator("#bulk-form").count() == 0, "consultants do not assign"
    page.fill("#filter-q", "0002")
    page.click("#lead-filters button[type=submit]")
    assert page.locator("#lead-table").count() == 0, "a colleague's customer is not found by its last four digits"

    response = page.goto(f"{office.base_url}/console/leads/{theirs['id']}")
    assert response.status == 404 and "林女士" not in page.content()

    page.goto(f"{office.base_url}/console/leads/{pooled['id']}")
    assert page.locator("#follow-up").count() == 0 and page.locator("#close").count() == 0, "a pool lead is claimed first"
    page.click("#claim-submit")
    page.wait_for_load_state("networkidle")
    assert "现在是您的客户" in page.locator(".flash").inner_text()
    assert page.locator("#lead-owner").inner_text() == office.names["consultant1"]
    assert page.locator("#follow-up").is_visible() and page.locator("#assign").count() == 0
    assert untranslated(page) == []


def test_the_manager_assigns_from_the_card_and_in_bulk_from_the_filtered_list(page_for, office):
    a = [_lead(office, f"客户{i}", f"1383333000{i}", "consultant1", channel="phone") for i in range(3)]
    other = _lead(office, "路人甲", "13833330009", "consultant1", channel="walk_in")
    page = page_for("manager")

    page.goto(f"{office.base_url}/console/leads/{a[0]['id']}")
    assert page.locator("#lead-owner").inner_text() == office.names["consultant1"]
    options = page.locator("#assign-owner option").all_inner_texts()
    assert office.names["consultant2"] in options and office.names["consultant1"] not in options
    page.select_option("#assign-owner", label=office.names["consultant2"])
    page.fill("#assign-reason", "客户要求换顾问")
    page.click("#assign-submit")
    page.wait_for_load_state("networkidle")
    assert f"已分配给 {office.names['consultant2']}" in page.locator(".flash").inner_text()
    assert page.locator("#lead-owner").inner_text() == office.names["consultant2"]

    page.goto(f"{office.base_url}/console/leads")
    page.select_option("#filter-owner", label=office.names["consultant1"])
    page.select_option("#filter-channel", label="来电")
    page.click("#lead-filters button[type=submit]")
    rows = {r.get_attribute("data-lead") for r in page.locator("#lead-table tbody tr").all()}
    assert rows == {a[1]["id"], a[2]["id"]}, "owner and channel filters"
    for row in page.locator("#lead-table tbody tr").all():
        assert office.names["consultant1"] in row.locator("td.owner").inner_text() and "来电" in row.inner_text()
    page.click("#bulk-submit")
    page.wait_for_load_state("networkidle")
    assert "请先勾选" in page.locator("#bulk-error").inner_text()
    page.goto(f"{office.base_url}/console/leads?owner={office.staff['consultant1']}&channel=phone")
    page.check("#select-all")
    page.select_option("#bulk-owner", label=office.names["consultant2"])
    page.fill("#bulk-reason", "张三休假")
    shot(page, "31-lead-list-bulk-assign")
    page.click("#bulk-submit")
    page.wait_for_load_state("networkidle")
    assert f"已将 2 个客户分配给 {office.names['consultant2']}" in page.locator(".flash").inner_text()
    assert "owner=" in page.url and page.locator("#lead-table").count() == 0, "back on the same filters: none left"
    for lead in a:
        assert office.call("GET", f"/v1/leads/{lead['id']}", office.as_("manager"))["owner_id"] == office.staff["consultant2"]
    assert office.call("GET", f"/v1/leads/{other['id']}", office.as_("manager"))["owner_id"] == office.staff["consultant1"]

    page.fill("#filter-q", "0009")
    page.select_option("#filter-owner", "")
    page.select_option("#filter-channel", "")
    page.click("#lead-filters button[type=submit]")
    assert [r.get_attribute("data-lead") for r in page.locator("#lead-table tbody tr").all()] == [other["id"]]
    assert untranslated(page) == []
