"""Consultant's day: overdue follow-ups first, the public pool with the claims left, on a phone too."""

import time
from datetime import UTC, datetime, timedelta

from tests.console.conftest import shot, untranslated


def _lead(office, name: str, phone: str, as_key: str = "consultant1", **extra) -> dict:
    role = "consultant" if as_key.startswith("consultant") else as_key
    return office.call("POST", "/v1/leads", office.as_(role, as_key), json={
        "branch_id": office.branch, "customer": {"name": name, "phone": phone}, "source": {"channel": "walk_in"}, **extra})


def _overdue(office, lead: dict, as_key: str = "consultant1") -> None:
    past = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    office.call("PATCH", f"/v1/leads/{lead['id']}", office.as_("consultant", as_key), json={"next_follow_up_at": past})


def test_following_up_an_overdue_lead_takes_it_off_the_overdue_list(page_for, office):
    late = _lead(office, "周先生", "13811110001", grade="A")
    _overdue(office, late)
    _lead(office, "吴女士", "13811110002")  # new, not overdue
    pooled = _lead(office, "郑先生", "13811110003", as_key="manager", owner_id=office.staff["consultant2"])
    office.call("POST", f"/v1/leads/{pooled['id']}/release", office.as_("manager"))

    page = page_for("consultant1")
    assert "/console/my-day" in page.url
    assert untranslated(page) == []
    row = page.locator(f"#overdue li[data-lead='{late['id']}']")
    assert row.count() == 1
    assert page.locator(f"#new-leads li", has_text="吴女士").count() == 1
    assert page.locator("#claims-left").get_attribute("data-remaining") == "5"
    shot(page, "20-my-day-desktop")
    assert untranslated(page) == []

    row.locator("input[name=note]").fill("电话回访，周末来看房")
    row.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(f"#overdue li[data-lead='{late['id']}']").count() == 0
    assert page.locator("#all-clear").is_visible()
    assert "周先生" in page.locator(".flash").inner_text()
    lead = office.call("GET", f"/v1/leads/{late['id']}", office.as_("consultant", "consultant1"))
    assert lead["overdue"] is False and lead["status"] == "contacted"

    # claim from the public pool: the lead becomes mine, one claim fewer left today
    page.locator(f"#pool li[data-lead='{pooled['id']}'] button.claim").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#claims-left").get_attribute("data-remaining") == "4"
    assert page.locator(f"#pool li[data-lead='{pooled['id']}']").count() == 0
    assert page.locator("#new-leads li", has_text="郑先生").count() == 1


def test_a_failed_follow_up_shows_the_api_message_on_that_lead(page_for, office):
    late = _lead(office, "冯女士", "13811110004")
    _overdue(office, late)
    page = page_for("consultant1")
    row = page.locator(f"#overdue li[data-lead='{late['id']}']")
    row.locator("input[name=note]").fill("改了种类")
    row.locator("select[name=kind]").evaluate("s => { s.options[0].value = 'carrier-pigeon'; }")
    row.locator("button[type=submit]").click()
    row = page.locator(f"#overdue li[data-lead='{late['id']}']")
    assert row.locator(".error").is_visible()
    assert "kind" in row.locator(".error").inner_text()
    assert row.locator("input[name=note]").input_value() == "改了种类"


def test_my_day_fits_a_phone(page_for, office):
    late = _lead(office, "陈先生", "13811110005", grade="B")
    _overdue(office, late)
    _lead(office, "褚女士", "13811110006")
    page = page_for("consultant1", mobile=True)
    assert page.locator(f"#overdue li[data-lead='{late['id']}']").is_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    button = page.locator(f"#overdue li[data-lead='{late['id']}'] button[type=submit]").bounding_box()
    assert button and button["x"] + button["width"] <= 390
    shot(page, "21-my-day-mobile")
    page.click("a.lang")  # English on the same screen
    assert page.locator("#overdue h2").inner_text().startswith("Overdue follow-ups")
    assert "/console/my-day" in page.url
    assert untranslated(page) == []


def test_an_appointments_phone_is_masked_and_revealed_on_request_with_an_audit(page_for, office):
    """Issue 19: the day shows the customer's masked number; the button reveals it, audited by reception."""
    c1 = office.staff["consultant1"]
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=30)
    body = {"branch_id": office.branch, "consultant_id": c1, "customer": {"name": "钱女士", "phone": "13700004444"},
            "kind": "office_visit", "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}
    deadline = time.monotonic() + 20  # reception learns of the consultant from staff.joined
    while (r := office.api.post("/v1/appointments", json=body, headers=office.as_("reception"))).status_code == 422:
        assert time.monotonic() < deadline, "reception never heard of the consultant"
        time.sleep(0.3)
    appointment = r.json()
    page = page_for("consultant1")
    row = page.locator(f"#appointments li[data-appointment='{appointment['id']}']")
    assert row.locator(f"[data-masked-phone='{appointment['id']}']").inner_text() == "137****4444"
    assert "13700004444" not in page.content()
    row.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    row = page.locator(f"#appointments li[data-appointment='{appointment['id']}']")
    assert row.locator(f"[data-full-phone='{appointment['id']}']").inner_text() == "+8613700004444"
    audit = office.call("GET", "/v1/appointments/audit", office.as_("manager"),
                        params={"branch_id": office.branch, "appointment_id": appointment["id"]})
    assert [(a["actor_id"], a["reason"]) for a in audit["items"]] == [(c1, "预约联系客户")]
