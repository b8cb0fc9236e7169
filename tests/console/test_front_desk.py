"""Front desk (来访登记): walk-ins advance the live rotation board; appointments arrive; visits end."""

import time
from datetime import UTC, datetime, timedelta

from tests.console.conftest import shot, untranslated


def _next_up(page) -> str:
    return page.locator("#next-up").get_attribute("data-id") or ""


def test_two_walk_ins_advance_the_rotation_live_and_get_different_consultants(page_for, office):
    c1, c2 = office.staff["consultant1"], office.staff["consultant2"]
    board = page_for("reception")  # stays open: its board must change without a reload
    assert "/console/front-desk" in board.url
    for cid in (c1, c2):  # both consultants join through the join buttons
        board.click(f"#off-queue li[data-consultant='{cid}'] button.join")
        board.wait_for_load_state("networkidle")
    assert board.locator("#queue li").count() == 2
    first = _next_up(board)
    assert first in (c1, c2)
    shot(board, "10-front-desk")

    desk = page_for("reception")
    got = []
    for name, phone in (("赵先生", "13900001111"), ("钱女士", "13900002222")):
        before = _next_up(board)
        desk.fill("#checkin-name", name)
        desk.fill("#checkin-phone", phone)
        desk.fill("#checkin-party", "2")
        desk.click("#checkin-submit")
        desk.wait_for_load_state("networkidle")
        assert desk.locator("#result-visitor").inner_text() == name
        assert "新客户" in desk.locator("#result-kind").inner_text()
        got.append(desk.locator("#result-consultant").get_attribute("data-id"))
        assert got[-1] == before  # the visitor went to whoever was next up
        if len(got) == 1:  # the other page's board moves on by itself (data-refresh), no reload
            board.wait_for_function(
                "before => document.querySelector('#next-up').dataset.id !== before", arg=before, timeout=15_000)
    assert got[0] != got[1] and set(got) == {c1, c2}
    shot(desk, "12-front-desk-check-in-result")
    assert untranslated(desk) == []
    board.wait_for_function("() => document.querySelectorAll('#visits li').length === 2", timeout=15_000)
    assert _next_up(board) == ""  # both busy: nobody free
    shot(board, "11-front-desk-rotation-after-check-ins")

    # ending a visit frees that consultant again
    desk.goto(f"{office.base_url}/console/front-desk")
    desk.locator("#visits li").first.locator("button.end-visit").click()
    desk.wait_for_load_state("networkidle")
    assert desk.locator("#visits li").count() == 1
    assert _next_up(desk) in (c1, c2)


def test_an_appointment_arrival_goes_to_its_consultant_and_errors_stay_on_the_form(page_for, office):
    c2 = office.staff["consultant2"]
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=30)
    body = {"branch_id": office.branch, "consultant_id": c2, "customer": {"name": "孙先生", "phone": "13700003333"},
            "kind": "office_visit", "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat(), "party_size": 3}
    deadline = time.monotonic() + 20  # reception learns of the consultant from staff.joined
    while office.api.post("/v1/appointments", json=body, headers=office.as_("reception")).status_code == 422:
        assert time.monotonic() < deadline, "reception never heard of the consultant"
        time.sleep(0.3)
    page = page_for("reception")
    row = page.locator("#appointments tr", has_text="孙先生")
    assert row.count() == 1
    # a phone the API refuses: the refusal shows on the check-in form in Chinese, input kept
    page.fill("#checkin-name", "李女士")
    page.fill("#checkin-phone", "12")
    page.click("#checkin-submit")
    assert page.locator("#checkin-error").inner_text() == "手机号格式不正确，请检查后重试。"
    assert page.locator("#checkin-name").input_value() == "李女士"
    page.fill("#checkin-party", "lots")
    page.click("#checkin-submit")
    assert "1–50" in page.locator("#checkin-error").inner_text()
    # the appointment's customer arrives: bound to the appointment, served by its consultant
    page.locator("#appointments tr", has_text="孙先生").locator("button.arrived").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#result-consultant").get_attribute("data-id") == c2
    assert page.locator("#appointments tr", has_text="孙先生").locator("button.arrived").count() == 0
    # a walk-in with nobody in the queue is recorded and waits: never turned away
    page.fill("#checkin-name", "李女士")
    page.fill("#checkin-phone", "13600004444")
    page.fill("#checkin-party", "1")
    page.click("#checkin-submit")
    page.wait_for_load_state("networkidle")
    assert "等候中" in page.locator("#result-waiting").inner_text() and "第 1 位" in page.locator("#result-waiting").inner_text()
    assert page.locator("#visitor-queue li", has_text="李女士").count() == 1
    page.click("a.lang")  # English: the board and the appointments, every label translated
    assert page.locator("h1").inner_text().startswith("Front desk")
    assert "Arrived" in page.locator("#appointments").inner_text()
    assert "Waiting" in page.locator("#visitor-queue").inner_text()
    assert untranslated(page) == []
