"""Demo data for `crm dev`: one sales office with staff, leads, a channel report, the
front-desk rotation, appointments and a business reception.

Loaded only when the store has no demo branch yet, and only through the public HTTP API,
so every rule (dedup, ownership, events, outbox) applies as in real use.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from crm_shared.config import Settings
from crm_shared.http.auth import mint_token

BRANCH = "sz-bay"
TZ = ZoneInfo("Asia/Shanghai")
log = logging.getLogger("crm.demo")

STAFF = [
    ("王经理", "manager", "13900000001"), ("李娜", "consultant", "13900000002"),
    ("张伟", "consultant", "13900000003"), ("陈静", "consultant", "13900000004"),
    ("刘洋", "consultant", "13900000005"), ("赵前台", "reception", "13900000006"),
]
LEADS = [  # name, phone, channel, grade
    ("王先生", "13812345678", "walk_in", "A"), ("李女士", "13987654321", "phone", "B"),
    ("张先生", "13711112222", "online", "O"), ("刘女士", "13633334444", "referral", "C"),
    ("陈先生", "13555556666", "event", "A"), ("杨女士", "13477778888", "walk_in", "B"),
]


class DemoLoader:
    def __init__(self, base_url: str, settings: Settings) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10)
        self.settings = settings

    def auth(self, role: str, sub: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(self.settings, sub, role, [BRANCH])}"}  # type: ignore[arg-type]

    def call(self, method: str, path: str, role: str, sub: str, body: dict | None = None) -> dict | None:
        r = self.http.request(method, path, json=body, headers=self.auth(role, sub))
        if r.status_code >= 300:
            log.warning("demo step refused", extra={"path": path, "status": r.status_code, "detail": r.text[:300]})
            return None
        return r.json()

    def needed(self) -> bool:
        r = self.http.get(f"/v1/branches/{BRANCH}", headers=self.auth("admin", "demo-admin"))
        return r.status_code == 404

    def load(self) -> None:
        self.call("POST", "/v1/branches", "admin", "demo-admin", {"id": BRANCH, "name": "深圳湾售楼处", "timezone": "Asia/Shanghai"})
        staff = {}
        for name, role, phone in STAFF:
            made = self.call("POST", "/v1/staff", "admin", "demo-admin",
                             {"branch_id": BRANCH, "name": name, "role": role, "phone": phone, "email": f"{phone}@demo.crm"})
            if made:
                staff[name] = made["id"]
        consultants = [staff[n] for n, role, _ in STAFF if role == "consultant" and n in staff]
        manager = staff.get("王经理", "demo-manager")
        leads = []
        for i, (name, phone, channel, grade) in enumerate(LEADS):
            owner = consultants[i % len(consultants)] if consultants else "demo-consultant"
            lead = self.call("POST", "/v1/leads", "consultant", owner, {
                "branch_id": BRANCH, "customer": {"name": name, "phone": phone},
                "source": {"channel": channel}, "grade": grade, "interest": "三房，预算 500 万",
            })
            if lead:
                leads.append(lead)
                self.call("POST", f"/v1/leads/{lead['id']}/follow-ups", "consultant", owner,
                          {"kind": "call", "note": "电话回访，约周末看房", "outcome": "interested"})
        self.call("POST", "/v1/channel-reports", "partner", "demo-agency",
                  {"branch_id": BRANCH, "customer_name": "周先生", "gender": "male", "phone": "135****0000"})
        for consultant in consultants:
            self.call("POST", f"/v1/rotation/{BRANCH}/join", "reception", staff.get("赵前台", "demo-reception"),
                      {"consultant_id": consultant})
        tomorrow = (datetime.now(TZ) + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
        for i, lead in enumerate(leads[:3]):
            start = tomorrow + timedelta(hours=2 * i)
            name, phone, *_ = LEADS[i]
            self.call("POST", "/v1/appointments", "consultant", lead["owner_id"], {
                "branch_id": BRANCH, "consultant_id": lead["owner_id"], "lead_id": lead["id"],
                "customer": {"name": name, "phone": phone}, "kind": "showing", "start": start.isoformat(),
                "end": (start + timedelta(hours=1)).isoformat(), "party_size": 2, "on_site": i == 0,
            })
        arrive = (datetime.now(TZ) + timedelta(days=5)).replace(hour=9, minute=30, second=0, microsecond=0)
        self.call("POST", "/v1/receptions", "manager", manager, {
            "branch_id": BRANCH, "class": "B", "guests": [{"name": "黄总", "title": "采购总监"}],
            "arrive_at": arrive.isoformat(), "leave_at": (arrive + timedelta(hours=4)).isoformat(),
            "purpose": "大客户团购洽谈", "resources": [{"kind": "meeting_room", "name": "room-1"}],
        })
        log.warning("demo data loaded: branch %s, %d staff, %d leads", BRANCH, len(staff), len(leads))


def load_when_ready(base_url: str, settings: Settings, timeout: float = 60.0) -> None:
    """Wait for /readyz, then load the demo office if it is not there yet (run in a thread)."""
    loader = DemoLoader(base_url, settings)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if loader.http.get("/readyz").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    else:
        log.warning("demo data skipped: the server did not become ready")
        return
    try:
        if loader.needed():
            loader.load()
    except httpx.HTTPError as exc:
        log.warning("demo data incomplete: %s", exc)
