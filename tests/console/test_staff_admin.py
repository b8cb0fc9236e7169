"""Staff administration and branch settings on the manager board (issue 15): add, correct, refuse a
duplicate in words, a departure with an heir; working days and lost reasons edited by an admin,
read by a manager; an admin adds a branch. Then the lost-reasons report names the reasons."""

import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.console.conftest import shot

KEYS = re.compile(r"\b(?:staff|branch|weekday|gender|mgr|lead)\.[a-z_.-]+\b")


def raw_keys(page) -> list[str]:
    return KEYS.findall(page.inner_text("body"))


def test_the_manager_adds_corrects_and_lets_go_of_staff(page_for, office):
    lead = office.call("POST", "/v1/leads", office.as_("consultant", "consultant1"), json={
        "branch_id": office.branch, "customer": {"name": "宋先生", "phone": "13844440001"}, "source": {"channel": "walk_in"}})
    page = page_for("manager")
    page.click("#tab-staff")
    table = page.locator("#staff-table")
    for key in ("manager", "reception", "consultant1", "consultant2"):
        assert office.names[key] in table.inner_text()
    assert "置业顾问" in table.inner_text() and "前台" in table.inner_text()

    page.fill("#add-name", "顾问王五")
    page.fill("#add-phone", "13844449999")
    page.click("#add-submit")
    page.wait_for_load_state("networkidle")
    assert "已新增员工：顾问王五" in page.locator(".flash").inner_text()
    page.fill("#add-name", "顾问王五")
    page.fill("#add-phone", "+86 138 4444 9999")
    page.click("#add-submit")
    page.wait_for_load_state("networkidle")
    assert "该手机号已属于本案场在职员工顾问王五" in page.locator("#add-error").inner_text()
    assert page.locator("#add-name").input_value() == "顾问王五", "the form keeps what was typed"
    wang = next(p for p in office.call("GET", "/v1/staff", office.as_("manager"), params={"branch_id": office.branch})["items"]
                if p["name"] == "顾问王五")

    page.goto(f"{office.base_url}/console/manager/staff/{wang['id']}")
    page.fill("#edit-name", "顾问王武")
    page.fill("#edit-email", "wangwu@office.example")
    office.call("PATCH", f"/v1/staff/{wang['id']}", office.as_("manager"), json={"email": "meanwhile@office.example"})
    page.click("#edit-submit")
    page.wait_for_load_state("networkidle")
    assert "已被他人修改" in page.locator("#edit-error").inner_text()
    page.goto(f"{office.base_url}/console/manager/staff/{wang['id']}")
    page.fill("#edit-name", "顾问王武")
    page.click("#edit-submit")
    page.wait_for_load_state("networkidle")
    assert "已保存：顾问王武" in page.locator(".flash").inner_text()
    assert office.call("GET", f"/v1/staff/{wang['id']}", office.as_("manager"))["name"] == "顾问王武"

    page.goto(f"{office.base_url}/console/manager/staff/{office.staff['consultant1']}")
    page.select_option("#edit-role", "reception")
    page.click("#edit-submit")
    page.wait_for_load_state("networkidle")
    assert "名下还有未结案客户" in page.locator("#edit-error").inner_text()

    page.goto(f"{office.base_url}/console/manager/staff")
    page.on("dialog", lambda d: d.accept())
    row = page.locator(f".staff-row[data-staff='{office.staff['consultant1']}']")
    row.locator("select[name=owner_id]").select_option(label="顾问王武")
    shot(page, "54-manager-staff")
    row.locator(".leave-form button").click()
    page.wait_for_load_state("networkidle")
    assert f"{office.names['consultant1']} 已离职：0 个客户进入公海，1 个客户转给同事" in page.locator(".flash").inner_text()
    assert page.locator(f".staff-row[data-staff='{office.staff['consultant1']}']").count() == 0, "the list shows who is active"
    page.select_option("#staff-filter-active", "false")
    page.click("#staff-filters button[type=submit]")
    assert page.locator(f".staff-row[data-staff='{office.staff['consultant1']}'][data-active=false]").count() == 1
    assert office.call("GET", f"/v1/leads/{lead['id']}", office.as_("manager"))["owner_id"] == wang["id"]
    assert raw_keys(page) == [] and office.staff["manager"] not in page.inner_text("body")


def test_an_admin_sets_working_days_and_lost_reasons_a_manager_reads_them(page_for, office):
    manager = page_for("manager")
    manager.click("#tab-branch")
    assert manager.locator("#readonly-note").is_visible() and manager.locator("#settings-submit").count() == 0
    assert all(manager.locator(f"#wd-{d}").is_checked() for d in range(7)), "the whole week by default"
    assert manager.locator("#tab-branches").count() == 0
    refused = manager.request.post(f"{office.base_url}/console/manager/branch", form={"name": "改名", "cadence_O": "1"})
    assert refused.status == 403, "managers read the settings; admins change them"

    admin = page_for("admin")
    admin.goto(f"{office.base_url}/console/manager/branch")
    admin.uncheck("#wd-1")  # closed on Tuesdays
    admin.fill("#set-reclaim_after_days", "20")
    admin.fill("#new-reason-zh", "学区不满意")
    admin.fill("#new-reason-en", "School district")
    admin.fill("#new-reason-code", "school")
    admin.fill("#set-holidays", "2026-10-01\n2026-10-02")
    shot(admin, "55-branch-settings")
    admin.click("#settings-submit")
    admin.wait_for_load_state("networkidle")
    assert "案场设置已保存" in admin.locator(".flash").inner_text()
    settings = office.call("GET", f"/v1/branches/{office.branch}", office.as_("manager"))["settings"]
    assert settings["working_days"] == [0, 2, 3, 4, 5, 6] and settings["reclaim_after_days"] == 20
    assert settings["holidays"] == ["2026-10-01", "2026-10-02"]
    assert [r["code"] for r in settings["lost_reasons"]][-1] == "school" and settings["lost_reasons"][-2]["note_required"]
    assert settings["quiet_hours"] == {"start": "21:00:00", "end": "08:00:00"}, "what the screen does not show is kept"

    admin.fill("#set-reclaim_after_days", "two weeks")
    admin.click("#settings-submit")
    admin.wait_for_load_state("networkidle")
    assert "请填写整数：无跟进多少天回收公海" in admin.locator("#save-error").inner_text()
    admin.goto(f"{office.base_url}/console/manager/branch")
    admin.locator(".reason-row[data-code='layout'] input[name=lr_code]").fill("")  # clearing a code deletes the line
    admin.click("#settings-submit")
    admin.wait_for_load_state("networkidle")
    codes = [r["code"] for r in office.call("GET", f"/v1/branches/{office.branch}", office.as_("manager"))["settings"]["lost_reasons"]]
    assert "layout" not in codes and "school" in codes

    lead = office.call("POST", "/v1/leads", office.as_("consultant", "consultant2"), json={
        "branch_id": office.branch, "customer": {"name": "何女士", "phone": "13844440002"}, "source": {"channel": "phone"}})
    consultant = page_for("consultant2")
    consultant.goto(f"{office.base_url}/console/leads/{lead['id']}")
    assert "学区不满意" in consultant.locator("#close-reason").inner_text()
    consultant.on("dialog", lambda d: d.accept())
    consultant.check("#close-lost")
    consultant.select_option("#close-reason", label="学区不满意")
    consultant.click("#close-submit")
    consultant.wait_for_load_state("networkidle")
    assert consultant.locator("#lead-lost-reason").inner_text() == "学区不满意"

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r = office.api.get("/v1/reports/lost-reasons", headers=office.as_("manager"),
                           params={"branch_id": office.branch, "from": today, "to": today})
        if r.status_code == 200 and r.json()["items"]:
            break
        time.sleep(0.3)
    assert [i["reason"] for i in r.json()["items"]] == ["school"], "the report groups by the reason's code"
    manager.goto(f"{office.base_url}/console/manager?report=lost-reasons")
    assert "学区不满意" in manager.locator("#report-table").inner_text() and "school" not in manager.locator("#report-table").inner_text()
    assert raw_keys(manager) == [] and raw_keys(admin) == []


def test_an_admin_adds_a_branch(page_for, office):
    admin = page_for("admin")
    admin.goto(f"{office.base_url}/console/manager/branches")
    assert admin.locator(f".branch-item[data-branch='{office.branch}']").count() == 1
    assert "周一、周二、周三、周四、周五、周六、周日" in admin.locator(f".branch-item[data-branch='{office.branch}']").inner_text()
    new_id = f"{office.branch}-north"
    admin.fill("#branch-add-name", "北区展厅")
    admin.fill("#branch-add-id", new_id)
    admin.click("#branch-add-submit")
    admin.wait_for_load_state("networkidle")
    assert "已新建案场：北区展厅" in admin.locator(".flash").inner_text()
    assert office.call("GET", f"/v1/branches/{new_id}", office.admin)["name"] == "北区展厅"
    admin.fill("#branch-add-name", "重复")
    admin.fill("#branch-add-id", new_id)
    admin.click("#branch-add-submit")
    admin.wait_for_load_state("networkidle")
    assert "已存在" in admin.locator("#branch-add-error").inner_text()
    assert office.call("GET", f"/v1/branches/{new_id}", office.admin)["name"] == "北区展厅"
    manager = page_for("manager")
    response = manager.goto(f"{office.base_url}/console/manager/branches")
    assert response.status == 403
    assert raw_keys(admin) == []
