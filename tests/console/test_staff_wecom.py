"""The WeCom (企业微信) account on the staff admin screen (issue 20): added with a new member, shown in the list,
corrected and cleared on the edit page; a bad account is refused in the manager's words and changes nothing."""

from tests.console.conftest import shot
from tests.console.test_staff_admin import raw_keys


def _member(office, name: str) -> dict:
    people = office.call("GET", "/v1/staff", office.as_("manager"), params={"branch_id": office.branch})["items"]
    return next(p for p in people if p["name"] == name)


def test_the_manager_sets_corrects_and_clears_a_wecom_account(page_for, office):
    page = page_for("manager")
    page.click("#tab-staff")
    assert "企业微信账号" in page.locator("#staff-table thead").inner_text()
    page.fill("#add-name", "顾问赵六")
    page.fill("#add-phone", "13844447777")
    page.fill("#add-wecom", "Zhao.Liu")
    page.click("#add-submit")
    page.wait_for_load_state("networkidle")
    assert "已新增员工：顾问赵六" in page.locator(".flash").inner_text()
    zhao = _member(office, "顾问赵六")
    assert zhao["wecom_user_id"] == "Zhao.Liu"
    assert page.locator(f".staff-row[data-staff='{zhao['id']}'] .staff-wecom").inner_text() == "Zhao.Liu"
    shot(page, "54b-manager-staff-wecom")

    page.goto(f"{office.base_url}/console/manager/staff/{zhao['id']}")
    assert page.locator("#edit-wecom").input_value() == "Zhao.Liu"
    page.fill("#edit-wecom", "ZhaoLiu@sz")
    page.click("#edit-submit")
    page.wait_for_load_state("networkidle")
    assert "已保存：顾问赵六" in page.locator(".flash").inner_text()
    assert office.call("GET", f"/v1/staff/{zhao['id']}", office.as_("manager"))["wecom_user_id"] == "ZhaoLiu@sz"

    form = {"version": "2", "name": "顾问赵六", "role": "consultant", "phone": "13844447777", "wecom_user_id": "赵 六"}
    refused = page.request.post(f"{office.base_url}/console/manager/staff/{zhao['id']}", form=form)
    assert refused.status == 422, "a browser that ignores the field's pattern still meets the API's rule"
    assert "企业微信账号只能包含字母、数字和 _ - . @，最长64位。" in refused.text()
    assert office.call("GET", f"/v1/staff/{zhao['id']}", office.as_("manager"))["wecom_user_id"] == "ZhaoLiu@sz"

    page.goto(f"{office.base_url}/console/manager/staff/{zhao['id']}")
    page.fill("#edit-wecom", "")
    page.click("#edit-submit")
    page.wait_for_load_state("networkidle")
    assert office.call("GET", f"/v1/staff/{zhao['id']}", office.as_("manager"))["wecom_user_id"] is None
    assert raw_keys(page) == []
