"""Scenario: the busy Saturday that failed the office's first day. Four consultants, twelve visitors
in thirty minutes (more visitors than consultants), returning customers whose owner is on duty and off
duty, the same person checked in twice, a hand-over with a reason: every visitor is recorded and
assigned exactly once, and the daily traffic counts twelve.

In the all-in-one mode the front desk runs on a controlled clock (`ctx.state.clock`): the thirty
minutes pass in a moment and waiting times are exact. One process per service keeps real time; the
same checks hold, waiting times aside.
"""

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

from crm_shared.branches import local_date
from tests.e2e.conftest import open_floor
from tests.support.runtime import stream_messages

SATURDAY_10AM = datetime(2031, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


class Clock:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at


async def test_a_busy_saturday_at_the_front_desk(system):
    # only in one process is the running front desk's context at hand (elsewhere `system.context()` makes a
    # context of its own for driving timers, not the serving one)
    reception = system.contexts.get("reception") if system.mode == "all-in-one" else None
    clock = Clock(SATURDAY_10AM) if reception is not None else None
    real_clock = reception.state.clock if reception is not None else None
    if reception is not None:
        reception.state.clock = clock
    try:
        await _saturday(system, clock)
    finally:
        if reception is not None:
            reception.state.clock = real_clock


async def _saturday(system, clock: Clock | None) -> None:
    client, settings = system.client, system.settings
    floor = await open_floor(client, settings, consultants=4)
    b = floor.branch
    c1, c2, c3, c4 = (floor.staff[f"consultant{i}"] for i in range(1, 5))
    day = local_date(clock() if clock else datetime.now(UTC), "Asia/Shanghai").isoformat()
    minute = 0

    def at(m: int) -> None:
        nonlocal minute
        minute = m
        if clock:
            clock.at = SATURDAY_10AM + timedelta(minutes=m)

    # two customers the office already knows: 老王 is consultant 1's, 老李 consultant 4's
    known = {"老王": ("13600001001", c1), "老李": ("13600001002", c4)}
    for name, (phone, owner) in known.items():
        lead = await floor.call("POST", "/v1/leads", "consultant", owner, json={
            "branch_id": b, "customer": {"name": name, "phone": phone}, "source": {"channel": "phone"}})
        start = (datetime.now(UTC) + timedelta(days=30)).replace(minute=0, second=0, microsecond=0)
        # reception learns of the lead from lead.registered: booking the customer's next visit waits for it
        appt = await floor.call_once_known("POST", "/v1/appointments", "reception", json={
            "branch_id": b, "consultant_id": owner, "lead_id": lead["id"], "customer": {"name": name, "phone": phone},
            "kind": "office_visit", "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()})
        await floor.call("POST", f"/v1/appointments/{appt['id']}/cancel", "reception", json={"reason": "测试预热"})

    async def join(consultant: str) -> dict:
        return await floor.call_once_known("POST", f"/v1/rotation/{b}/join", "reception", json={"consultant_id": consultant})

    async def check_in(name: str, phone: str, party: int = 2, expect: int = 201) -> dict:
        return await floor.call("POST", "/v1/visits", "reception", expect=expect, json={
            "branch_id": b, "visitor": {"name": name, "phone": phone}, "party_size": party})

    async def end(visit: dict) -> None:
        await floor.call("POST", f"/v1/visits/{visit['id']}/end", "reception", json={"outcome": "interested"})

    async def get(visit: dict) -> dict:
        return await floor.call("GET", f"/v1/visits/{visit['id']}", "reception")

    at(0)  # consultant 4 is off this morning
    for c in (c1, c2, c3):
        await join(c)
    v = {}
    v[1] = await check_in("访客1", "13700002001")
    v[2] = await check_in("访客2", "13700002002")
    at(2)
    lao_wang = await check_in("老王", known["老王"][0])  # owner on duty but busy: waits for them
    assert (lao_wang["returning"], lao_wang["waiting_for"], lao_wang["owner_off_duty"]) == (True, c1, False)
    v[3] = await check_in("访客3", "13700002003")
    assert [v[i]["consultant_id"] for i in (1, 2, 3)] == [c1, c2, c3]
    at(5)
    v[4] = await check_in("访客4", "13700002004")  # nobody free: recorded at once, waits
    assert (v[4]["status"], v[4]["consultant_id"], v[4]["queue_position"]) == ("waiting", None, 1)
    at(6)
    again = await check_in("访客4", "137 0000 2004", expect=200)  # the desk checks the same person in twice
    assert again["id"] == v[4]["id"] and again["repeat"] is True
    at(8)
    lao_li = await check_in("老李", known["老李"][0])  # the owner is off duty: a warning, and the visitor waits
    assert (lao_li["owner_off_duty"], lao_li["owner_status"], lao_li["owner_name"]) == (True, "off_duty", "顾问4")
    assert (lao_li["status"], lao_li["waiting_for"]) == ("waiting", c4)
    at(10)
    v[5] = await check_in("访客5", "13700002005", party=4)  # the party of four who went missing last time
    assert v[5]["queue_position"] == 2
    at(11)
    await end(v[1])  # consultant 1 is free: their own customer 老王 first
    assert (await get(lao_wang))["consultant_id"] == c1
    at(13)
    v[6] = await check_in("访客6", "13700002006")
    at(15)
    await end(v[2])  # consultant 2 takes the longest-waiting new visitor
    assert (await get(v[4]))["consultant_id"] == c2
    at(17)
    v[7] = await check_in("访客7", "13700002007")
    at(18)
    handed = await floor.call("POST", f"/v1/visits/{v[7]['id']}/assign", "reception",
                              json={"consultant_id": c3, "reason": "访客7指定顾问3（朋友介绍）"})
    assert (handed["status"], handed["waiting_for"]) == ("waiting", c3), "consultant 3 is busy: waits for them"
    at(20)
    await join(c4)  # consultant 4 arrives: 老李 was waiting for them
    assert (await get(lao_li))["consultant_id"] == c4
    at(21)
    v[8] = await check_in("访客8", "13700002008")
    at(23)
    await end(v[3])  # consultant 3 is free: the longest-waiting visitor they may take comes first
    assert (await get(v[5]))["consultant_id"] == c3
    assert (await get(v[7]))["waiting_for"] == c3, "访客7 waits for consultant 3's next free moment"
    at(24)
    v[9] = await check_in("访客9", "13700002009")
    at(26)
    await end(lao_wang)
    at(27)
    v[10] = await check_in("访客10", "13700002010")
    at(29)
    await end(lao_li)
    at(30)
    queue = (await floor.call("GET", "/v1/visits", "reception",
                              params={"branch_id": b, "status": "waiting", "date": day}))["items"]
    assert [q["visitor"]["name"] for q in queue] == ["访客7", "访客9", "访客10"], "in order of arrival"
    assert [q["queue_position"] for q in queue] == [1, 1, 2], "访客7 waits for consultant 3, the others for the rotation"

    # the afternoon winds down: every visit that ends lets the next waiting visitor in
    for _ in range(30):
        live = (await floor.call("GET", "/v1/visits", "reception", params={"branch_id": b, "date": day, "status": "open"}))["items"]
        if not live:
            break
        at(minute + 5)
        await end(live[0])
    visits = (await floor.call("GET", "/v1/visits", "reception", params={"branch_id": b, "date": day}))["items"]
    assert len(visits) == 12, "every visitor recorded, the repeated check-in once"
    assert len({x["visitor"]["phone_masked"] + x["visitor"]["name"] for x in visits}) == 12
    assert all(x["status"] == "ended" and x["consultant_id"] for x in visits), "and every one served"

    events = await stream_messages(settings, subject=f"{settings.subject_prefix}.{b}.visit.>")
    checked_in = [json.loads(m.data)["data"] for m in events if m.subject.endswith(".visit.checked_in")]
    assigned = Counter(json.loads(m.data)["data"]["visit_id"] for m in events if m.subject.endswith(".visit.assigned"))
    assert len(checked_in) == 12
    for e in checked_in:  # assigned exactly once: at check-in, or once from the queue
        assert (e["consultant_id"] is not None) + assigned[e["visit_id"]] == 1, e
    assert sum(1 for e in checked_in if e["status"] == "waiting") == 9, "all but the first three waited"
    rotation = await floor.call("GET", f"/v1/rotation/{b}", "reception", params={"date": day})
    assert sum(rotation["turns"].values()) == 10, "one turn per new visitor; returning customers use none"
    if clock:
        by_name = {x["visitor"]["name"]: x for x in visits}
        assert by_name["老王"]["waited_seconds"] == 9 * 60
        assert by_name["老李"]["waited_seconds"] == 12 * 60
        assert by_name["访客4"]["waited_seconds"] == 10 * 60
        assert by_name["访客7"]["waited_seconds"] == 23 * 60  # until consultant 3 was free again (at 10:40)
        assert by_name["访客7"]["handovers"][0]["reason"] == "访客7指定顾问3（朋友介绍）"

    window = {"branch_id": b, "from": (datetime.now(UTC) - timedelta(days=1)).date().isoformat(),
              "to": (datetime.now(UTC) + timedelta(days=1)).date().isoformat()}

    async def traffic():
        items = (await floor.call("GET", "/v1/reports/daily-traffic", "manager", params=window))["items"]
        return items if sum(i["visits"] for i in items) == 12 else None
    items = await floor.until(traffic, "the daily traffic to count all twelve visitors")
    assert sum(i.get("returning_visits", 0) for i in items) == 2


async def test_the_site_checklist_reaches_the_customer_in_chinese(system):
    """The text that really reaches the customer (not a checklist the test makes up): reception's event,
    notify's template, the SMS provider."""
    client, settings = system.client, system.settings
    floor = await open_floor(client, settings, consultants=1)
    phone = "13800003003"
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    appt = await floor.call_once_known("POST", "/v1/appointments", "reception", json={
        "branch_id": floor.branch, "consultant_id": floor.staff["consultant1"], "kind": "showing", "on_site": True,
        "customer": {"name": "周女士", "phone": phone}, "party_size": 3, "children": 1, "elderly": 1,
        "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()})
    assert appt["checklist"][0] == "安全帽3顶（每位访客一顶）"
    notify = await system.context("notify")

    async def sms():
        return await notify.db.console_outbox.find_one({"branch_id": floor.branch, "channel": "sms", "to": {"$regex": "3003$"}})
    sent = await floor.until(sms, "the confirmation SMS of the showing")
    assert "工地参观须知：安全帽3顶（每位访客一顶）；儿童1位、老人1位在售楼处等候，不进入工地" in sent["body"], sent["body"]
    assert "Hard hats" not in sent["body"] and "Children" not in sent["body"]
