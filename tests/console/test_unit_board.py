"""The unit board (销控表) in a real browser: units by building and floor, coloured by status, list prices in
万元, the customer of the deal holding a unit; a manager holds and releases a unit; who may open the board."""

from __future__ import annotations

import httpx
import pytest

from tests.console.conftest import shot
from tests.console.deals_office import browser, lead, open_office, status_of, subscribe


@pytest.fixture(scope="module")
def office(system):
    base, settings = system
    with httpx.Client(base_url=base, timeout=30) as api:
        o = open_office(base, settings, api)
        wang = lead(o, "王先生", "13800001201", "consultant1")
        o.deal = subscribe(o, wang["id"], "1201", "2980000", who=("consultant", "consultant1"))  # type: ignore[attr-defined]
        yield o


def test_the_board_draws_floors_and_colours_units_by_status_with_the_holder(page_for, office):
    page = page_for("consultant1")
    page.click("a[data-nav=units]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/console/units")
    assert "湾区壹号" in page.locator(".board-project h2").inner_text()
    floors = [r.get_attribute("data-floor") for r in page.locator("table.unit-board tr").all()]
    assert floors == ["13", "12", "11"], "top floor first"
    cell = page.locator("td.unit-cell[data-unit-no='1201']")
    assert cell.get_attribute("data-status") == "reserved" and "unit-reserved" in cell.get_attribute("class")
    assert "298万" in cell.inner_text() and "已认购" in cell.inner_text()
    assert cell.locator("a.unit-holder").inner_text() == "王先生", "the holder deal's customer, by name"
    free = page.locator("td.unit-cell[data-unit-no='1302']")
    assert free.get_attribute("data-status") == "available" and "318万" in free.inner_text() and "可售" in free.inner_text()
    assert page.locator("[data-count=available]").inner_text() == "5"
    assert page.locator("[data-count=reserved]").inner_text() == "1"
    shot(page, "70-unit-board")

    cell.locator("a.unit-holder").click()
    page.wait_for_load_state("networkidle")
    assert f"/console/deals/{office.deal['id']}" in page.url
    assert "王先生" in page.locator("#deal-customer").inner_text()

    page.goto(f"{office.base_url}/console/units?unit={office.units['1302']['id']}")
    assert "¥3,180,000.00" in page.locator("#unit-price").inner_text()
    assert page.locator("#hold-form").count() == 0, "a consultant does not hold units"
    assert "客户卡片" in page.locator("#unit-panel").inner_text()


def test_a_manager_holds_a_unit_back_and_releases_it(page_for, office):
    page = page_for("manager")
    page.goto(f"{office.base_url}/console/units?unit={office.units['1101']['id']}")
    page.fill("#hold-reason", "开发商保留")
    page.click("#hold-submit")
    page.wait_for_load_state("networkidle")
    assert "已保留" in page.locator(".flash").inner_text() and "1101" in page.locator(".flash").inner_text()
    assert page.locator("td.unit-cell[data-unit-no='1101']").get_attribute("data-status") == "held"
    assert "开发商保留" in page.locator("#unit-panel").inner_text()
    assert page.locator("[data-count=held]").inner_text() == "1"
    shot(page, "71-unit-board-held")
    page.click("#release-submit")
    page.wait_for_load_state("networkidle")
    assert "已解除保留" in page.locator(".flash").inner_text()
    assert page.locator("td.unit-cell[data-unit-no='1101']").get_attribute("data-status") == "available"
    # a filter by status keeps only those units
    page.goto(f"{office.base_url}/console/units?status=reserved")
    assert [c.get_attribute("data-unit-no") for c in page.locator("td.unit-cell").all()] == ["1201"]


def test_the_board_is_the_sales_floors_and_refuses_the_others(office):
    for key in ("consultant1", "manager", "admin"):
        code, html = status_of(office, key, "/console/units")
        assert code == 200 and 'data-unit-no="1201"' in html, key
    for key in ("reception", "finance"):
        code, html = status_of(office, key, "/console/units")
        assert code == 403 and "您的角色不能使用此页面" in html, key
    code, html = status_of(office, "", "/console/units", partner="渠道甲")
    assert code == 403 and "1201" not in html
    # another consultant sees the unit taken, but not whose customer it is
    code, html = status_of(office, "consultant2", "/console/units")
    assert code == 200 and "王先生" not in html and 'data-unit-no="1201"' in html
    # hold and release are the manager's
    with browser(office, "consultant1") as b:
        r = b.post(f"/console/units/{office.units['1102']['id']}/hold", data={"reason": "x"})
    assert r.status_code == 403
