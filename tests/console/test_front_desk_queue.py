"""Front desk, busy Saturday: the visitor queue with waiting times (names, never ids), hand-over to a
named consultant with a reason, and the warning and choice when a returning customer's owner is off
duty; everything in Chinese first, refusals included."""

import re
import time

from tests.console.conftest import shot, untranslated

LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def _join(office, key: str) -> None:
    """Through the API: reception learns of the consultant from staff.joined a moment after it is created."""
    deadline = time.monotonic() + 20
    while office.api.post(f"/v1/rotation/{office.branch}/join", json={"consultant_id": office.staff[key]},
                          headers=office.as_("reception")).status_code != 200:
        assert time.monotonic() < deadline, "reception never heard of the consultant"
        time.sleep(0.3)


def _known_returning(office, phone: str) -> None:
    """Wait until reception knows the customer's lead (lead.registered): a check-in through the API that
    comes back `returning`, then ended, so the desk's own check-in is the customer's one visit."""
    deadline = time.monotonic() + 20
    while True:
        r = office.call("POST", "/v1/visits", office.as_("reception"), json={
            "branch_id": office.branch, "visitor": {"name": "预热", "phone": phone}, "if_owner_off_duty": "rotation"})
        office.call("POST", f"/v1/visits/{r['id']}/end", office.as_("reception"), json={"outcome": "retry"})
        if r["returning"]:
            return
        assert time.monotonic() < deadline, "reception never heard of the lead"
        time.sleep(0.3)


def _check_in(page, name: str, phone: str, *, rotation: bool = False) -> None:
    page.fill("#checkin-name", name)
    page.fill("#checkin-phone", phone)
    page.fill("#checkin-party", "2")
    if rotation:
        page.check("input[name=if_owner_off_duty][value=rotation]")
    page.click("#checkin-submit")
    page.wait_for_load_state("networkidle")


def _no_ids_or_english(page, office, selector: str) -> None:
    text = page.locator(selector).inner_text()
    assert not any(sid in text for sid in office.staff.values()), f"an id on the screen: {text}"
    assert not LATIN_WORD.findall(text), f"Latin words on the Chinese screen: {LATIN_WORD.findall(text)}"


def test_more_visitors_than_consultants_wait_in_a_queue_and_are_handed_over(page_for, office):
    c1, c2 = office.staff["consultant1"], office.staff["consultant2"]
    _join(office, "consultant1")
    desk = page_for("reception")
    _check_in(desk, "赵先生", "13900007001")
    assert desk.locator("#result-consultant").get_attribute("data-id") == c1
    _check_in(desk, "钱女士", "13900007002")
    waiting = desk.locator("#result-waiting").inner_text()
    assert "等候中" in waiting and "第 1 位" in waiting and "等候轮排顾问" in waiting and "已等 0 分钟" in waiting
    assert "正在等候（第 1 位）" in desk.locator(".flash").inner_text()
    _check_in(desk, "钱女士", "13900007002")  # the same person at the desk again: one visit, not counted twice
    assert "未重复登记" in desk.locator(".flash").inner_text()
    row = desk.locator("#visitor-queue li", has_text="钱女士")
    assert desk.locator("#visitor-queue li").count() == 1 and "已等 0 分钟" in row.inner_text()
    shot(desk, "13-front-desk-visitor-queue")
    _no_ids_or_english(desk, office, "#board")

    # a hand-over needs a reason: refused in Chinese, nothing changed
    row.locator("summary").click()
    row.locator("select.handover-to").select_option(c2)
    row.locator("button.handover-submit").click()
    desk.wait_for_load_state("networkidle")
    assert desk.locator("#queue-error").inner_text() == "请填写转交原因。"
    row = desk.locator("#visitor-queue li", has_text="钱女士")
    row.locator("select.handover-to").select_option(c2)
    row.locator("input.handover-reason").fill("老客户介绍，指定李四接待")
    row.locator("button.handover-submit").click()
    desk.wait_for_load_state("networkidle")
    assert "已转交：钱女士 → 顾问李四" in desk.locator(".flash").inner_text()
    assert desk.locator("#result-consultant").get_attribute("data-id") == c2
    assert desk.locator("#visitor-queue li").count() == 0
    visits = desk.locator("#visits").inner_text()
    assert "赵先生" in visits and "钱女士" in visits and "顾问李四" in visits
    _no_ids_or_english(desk, office, "#board")
    assert untranslated(desk) == []


def test_the_owner_off_duty_is_announced_and_the_desk_chooses(page_for, office):
    c1, c2 = office.staff["consultant1"], office.staff["consultant2"]
    for i, phone in enumerate(("13500006001", "13500006002")):
        office.call("POST", "/v1/leads", office.as_("consultant", "consultant1"), json={
            "branch_id": office.branch, "customer": {"name": f"老客户{i}", "phone": phone}, "source": {"channel": "phone"}})
    _join(office, "consultant2")
    _known_returning(office, "13500006001")
    _known_returning(office, "13500006002")
    desk = page_for("reception")

    _check_in(desk, "韩先生", "13500006001")  # the owner, 顾问张三, is not in today's rotation
    warning = desk.locator("#owner-warning").inner_text()
    assert "归属顾问 顾问张三 今日不在岗" in warning and "继续等候" in warning
    assert "等候 顾问张三" in desk.locator("#result-waiting").inner_text()
    assert desk.locator("#visitor-queue li .owner-off-duty").count() == 1
    shot(desk, "14-front-desk-owner-off-duty")
    _no_ids_or_english(desk, office, "#check-in")
    desk.locator("#owner-to-rotation button").click()  # the desk's choice: the rotation serves the customer now
    desk.wait_for_load_state("networkidle")
    assert "已交给轮排：韩先生" in desk.locator(".flash").inner_text()
    assert desk.locator("#result-consultant").get_attribute("data-id") == c2

    _check_in(desk, "韩太太", "13500006002")  # the other choice: keep waiting for the owner
    assert desk.locator("#owner-keep-waiting").count() == 1
    desk.click(f"#off-queue li[data-consultant='{c1}'] button.join")  # the owner comes on duty
    desk.wait_for_load_state("networkidle")
    assert desk.locator("#visitor-queue li").count() == 0
    assert desk.locator("#visits li", has_text="韩太太").inner_text().count("顾问张三") == 1

    desk.click("a.lang")
    assert "Visitors waiting" in desk.locator("#board").inner_text()
    assert untranslated(desk) == []
