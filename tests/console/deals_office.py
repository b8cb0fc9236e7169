"""A sales office with units, leads and deals made through the public API, for the deals screens' tests
(test_unit_board, test_deals*, test_payouts_screen); and a plain HTTP "browser" signed in as anyone."""

from __future__ import annotations

import time
import uuid

import httpx

from crm_shared.http.auth import mint_token
from tests.console.conftest import Office

PEOPLE = (("manager", "manager", "王经理"), ("reception", "reception", "前台小李"), ("consultant1", "consultant", "顾问张三"),
          ("consultant2", "consultant", "顾问李四"), ("finance", "finance", "财务陈会计"))
PROJECT, BUILDING = "湾区壹号", "3栋"
PRICES = {"1101": "2880000", "1102": "2960000", "1201": "2980000", "1202": "3050000", "1301": "3100000",
          "1302": "3180000"}


def until(check, what: str, timeout: float = 30.0):
    """The first truthy result of `check()` (events take a moment between services), or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


def open_office(base: str, settings, api: httpx.Client) -> Office:
    """A branch with a manager, a receptionist, two consultants and finance, and six units of 湾区壹号 3栋."""
    branch = f"br-{uuid.uuid4().hex[:6]}"
    o = Office(base, settings, branch, api)
    o.call("POST", "/v1/branches", o.admin, json={"id": branch, "name": "深圳湾售楼处", "timezone": "Asia/Shanghai"})
    for key, role, name in PEOPLE:
        sid = o.call("POST", "/v1/staff", o.admin, json={"branch_id": branch, "name": name, "role": role})["id"]
        o.staff[key], o.names[key] = sid, name
    o.staff["consultant"] = o.staff["consultant1"]
    o.units = {}  # type: ignore[attr-defined]
    for no, price in PRICES.items():
        o.units[no] = o.call("POST", "/v1/units", o.as_("manager"), json={  # type: ignore[attr-defined]
            "branch_id": branch, "project": PROJECT, "building": BUILDING, "unit_no": no, "floor": int(no[:-2]),
            "product_type": "high_rise", "area": "89.50", "list_price": price})
    return o


def lead(o: Office, name: str, phone: str, owner: str = "consultant1", **source) -> dict:
    return o.call("POST", "/v1/leads", o.as_("manager"), json={
        "branch_id": o.branch, "customer": {"name": name, "phone": phone}, "owner_id": o.staff[owner],
        "source": source or {"channel": "walk_in"}})


def subscribe(o: Office, lead_id: str, unit_no: str, price: str, deposit: str = "50000",
              who: tuple[str, str] = ("manager", "manager")) -> dict:
    """A deal through the API; retried while deals has not yet heard of the lead (its event)."""
    body = {"lead_id": lead_id, "unit_id": o.units[unit_no]["id"], "agreed_price": price, "deposit": deposit}  # type: ignore[attr-defined]

    def attempt():
        r = o.api.post("/v1/deals", json=body, headers=o.as_(*who))
        if r.status_code == 404:
            return None
        assert r.status_code == 201, r.text
        return r.json()

    return until(attempt, "deals to learn of the lead")


def deal(o: Office, deal_id: str) -> dict:
    return o.call("GET", f"/v1/deals/{deal_id}", o.as_("manager"))


def act(o: Office, deal_id: str, action: str, body: dict, who: tuple[str, ...] = ("manager",), expect=(200, 201)) -> dict:
    """A change to a deal through the API, with the version just read."""
    version = deal(o, deal_id)["version"]
    return post(o, f"/v1/deals/{deal_id}/{action}", body, o.as_(*who) | {"If-Match": str(version)}, expect)


def post(o: Office, path: str, body: dict, headers: dict, expect) -> dict:
    r = o.api.post(path, json=body, headers=headers)
    assert r.status_code in ((expect,) if isinstance(expect, int) else expect), f"{path}: {r.status_code} {r.text[:400]}"
    return r.json() if r.content else {}


def browser(o: Office, key: str, *, partner: str | None = None, lang: str = "zh-CN") -> httpx.Client:
    """An HTTP client with the console's cookies for a person of the office (`key` in staff, `admin`, or a partner
    account by name), in Chinese unless told."""
    if partner:
        sub, role, branches = o.partner(partner), "partner", [o.branch]
    elif key == "admin":
        sub, role, branches = "admin", "admin", ["*"]
    else:
        sub, role, branches = o.staff[key], dict((k, r) for k, r, _ in PEOPLE)[key], [o.branch]
    token = mint_token(o.settings, sub, role, branches)
    cookies = {"crm_console_token": token, "crm_console_branch": o.branch, "crm_console_lang": lang}
    return httpx.Client(base_url=o.base_url, cookies=cookies, timeout=30, follow_redirects=True)


def status_of(o: Office, key: str, path: str, *, partner: str | None = None, lang: str = "zh-CN") -> tuple[int, str]:
    with browser(o, key, partner=partner, lang=lang) as b:
        r = b.get(path)
    return r.status_code, r.text
