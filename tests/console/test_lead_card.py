"""Lead card: audited phone reveal, follow-up, regrade, booking, and API errors on the form that caused them."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.console.conftest import shot, untranslated


def _lead(office) -> dict:
    return office.call("POST", "/v1/leads", office.as_("consultant", "consultant1"), json={
        "branch_id": office.branch, "customer": {"name": "蒋先生", "phone": "+86 139 1234 5678", "gender": "male"},
        "source": {"channel": "phone"}, "grade": "B", "interest": "三房，预算 500 万"})


def test_reveal_is_audited_and_the_close_form_asks_for_outcome_and_reason(page_for, office):
    lead = _lead(office)
    page = page_for("consultant1")
    page.goto(f"{office.base_url}/console/leads/{lead['id']}")
    assert page.locator("#phone-masked").inner_text() == "139****5678"
    page.click("#reveal summary")
    page.fill("#reveal-reason", "回电确认看房时间")
    page.click("#reveal-submit")
    assert page.locator("#phone-full").inner_text() == "+8613912345678"
    audit = office.call("GET", "/v1/audit", office.as_("manager"), params={"branch_id": office.branch, "lead_id": lead["id"]})
    assert [a for a in audit["items"] if a.get("reason") == "回电确认看房时间"], audit

    # a follow-up, a regrade and a booking show on the card
    page.goto(f"{office.base_url}/console/leads/{lead['id']}")
    page.fill("#followup-note", "客户想看样板间")
    page.click("#followup-submit")
    page.wait_for_load_state("networkidle")
    assert page.locator("#timeline li.follow_up", has_text="客户想看样板间").count() == 1
    page.select_option("#update-grade", "A")
    page.click("#update-submit")
    page.wait_for_load_state("networkidle")
    assert page.locator("#lead-grade").inner_text() == "A"
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).astimezone(ZoneInfo("Asia/Shanghai")).date()
    page.fill("#book-day", tomorrow.isoformat())
    page.fill("#book-start", "10:30")
    page.click("#book-submit")
    page.wait_for_load_state("networkidle")
    assert not page.locator("#book-error").count(), page.locator("#book-error").inner_text()
    assert page.locator("#timeline li.appointment").count() == 1
    assert "10:30" in page.locator("#timeline li.appointment").inner_text()  # branch time, as typed

    # the close form preselects nothing; each missing choice is explained in Chinese, nothing closed
    assert page.locator("#lead-gender").inner_text() == "男"
    assert not page.locator("#close-won").is_checked() and not page.locator("#close-lost").is_checked()
    assert page.locator("#close-reason").input_value() == ""
    page.on("dialog", lambda d: d.accept())
    page.fill("#close-amount", "12")
    page.click("#close-submit")
    page.wait_for_load_state("networkidle")
    assert "请选择结案结果" in page.locator("#close-error").inner_text()
    page.check("#close-lost")
    page.click("#close-submit")
    page.wait_for_load_state("networkidle")
    assert "请选择流失原因" in page.locator("#close-error").inner_text()
    assert page.locator("#close-amount").input_value() == "12" and page.locator("#close-lost").is_checked()
    page.select_option("#close-reason", label="其他")
    page.click("#close-submit")
    page.wait_for_load_state("networkidle")
    assert "需要填写说明" in page.locator("#close-error").inner_text()
    assert office.call("GET", f"/v1/leads/{lead['id']}", office.as_("manager"))["status"] == "contacted"
    options = page.locator("#close-reason option").all_inner_texts()
    assert options[1:] == ["价格", "位置", "户型", "选择竞品", "资金/贷款", "不再购买", "其他"]
    shot(page, "30-lead-card")

    page.select_option("#close-reason", label="资金/贷款")
    page.fill("#close-note", "首付不够，明年再看")
    page.fill("#close-amount", "")
    page.click("#close-submit")
    page.wait_for_load_state("networkidle")
    assert page.locator("#lead-status").inner_text() == "已流失"
    assert page.locator("#lead-lost-reason").inner_text() == "资金/贷款 · 首付不够，明年再看"
    assert office.call("GET", f"/v1/leads/{lead['id']}", office.as_("manager"))["lost_reason"] == "financing"
    assert untranslated(page) == []
    page.click("a.lang")
    assert page.locator("#lead-status").inner_text() == "Lost"
    assert page.locator("#lead-lost-reason").inner_text().startswith("Financing")
    assert untranslated(page) == []


def test_the_lead_list_filters_and_survives_odd_input(page_for, office):
    lead = _lead(office)
    page = page_for("manager")
    page.goto(f"{office.base_url}/console/leads")
    assert page.locator(f"tr[data-lead='{lead['id']}']").count() == 1
    assert untranslated(page) == []
    page.fill("#filter-q", "蒋")
    page.select_option("#filter-grade", "B")
    page.click("#lead-filters button[type=submit]")
    assert page.locator(f"tr[data-lead='{lead['id']}']").count() == 1
    page.goto(f"{office.base_url}/console/leads?grade=Z&status=%00&cursor=%%%&q=" + "x" * 500)
    assert page.locator("#list-error").is_visible()  # the API's bad-cursor message, not a stack trace
    response = page.goto(f"{office.base_url}/console/leads/no-such-lead")
    assert response.status == 404 and page.locator("#page-error").is_visible()
