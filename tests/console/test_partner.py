"""Partner portal (渠道报备) in a real browser: report, see it in "my reports", be refused readably, dispute."""

from tests.console.conftest import shot


def report(page, name: str, phone: str, gender: str = "male") -> None:
    page.fill("#report-name", name)
    page.select_option("#report-gender", gender)
    page.fill("#report-phone", phone)
    page.click("#report-submit")
    page.wait_for_load_state("networkidle")


def test_a_partner_reports_a_customer_and_a_second_partner_is_refused(page_for, office):
    first = page_for("partner", partner_id="agency-1")
    assert "/console/partner" in first.url
    report(first, "陈女士", "13912345678", "female")
    assert "报备成功" in first.locator(".flash").inner_text()
    row = first.locator(".partner-report").first
    assert "陈女士" in row.inner_text()
    assert row.get_attribute("data-status") == "accepted"
    assert "139****5678" in row.inner_text() and "13912345678" not in first.content()
    assert row.locator(".expires").inner_text().strip()
    report(first, "刘先生", "137****4321")
    assert first.locator(".partner-report").count() == 2
    shot(first, "40-partner-portal-reports")

    second = page_for("partner", partner_id="agency-2")
    report(second, "陈女士", "139****5678", "female")
    error = second.locator("#report-error")
    assert error.is_visible()
    assert "报备未通过" in error.inner_text() and "先报先得" in error.inner_text()
    assert second.input_value("#report-name") == "陈女士"
    assert second.input_value("#report-phone") == "139****5678"
    shot(second, "41-partner-report-refused")
    # the refused report is kept and listed as refused; the first partner's list is untouched
    assert second.locator(".partner-report").first.get_attribute("data-status") == "rejected"
    first.reload()
    assert first.locator(".partner-report").count() == 2


def test_bad_input_is_shown_on_the_form_and_a_dispute_can_be_raised(page_for, office):
    page = page_for("partner", partner_id="agency-3")
    report(page, "赵先生", "12")
    assert "手机号格式不正确" in page.locator("#report-error").inner_text()
    assert page.input_value("#report-name") == "赵先生"
    report(page, "赵先生", "13600001111")
    page.locator(".partner-report details.dispute summary").first.click()
    page.fill(".partner-report .dispute-form textarea", "客户由我方带看，带看记录已发给经理")
    page.locator(".partner-report .dispute-form button").first.click()
    page.wait_for_load_state("networkidle")
    assert "申诉已提交" in page.locator(".flash").inner_text()
    assert "申诉处理中" in page.locator(".dispute-state").first.inner_text()
    page.click("a.lang")
    assert "Dispute open" in page.locator(".dispute-state").first.inner_text()
