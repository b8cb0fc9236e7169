"""The visitor queue against the real store and bus, in controlled time: nobody turned away, waiting
visitors assigned in order as consultants free up, one visit per person, the owner's duty, hand-over."""

import asyncio
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from crm_reception.visits.queue import assign_waiting
from tests.reception.builders import new_phone, office
from tests.support.runtime import eventually, stream_messages

SATURDAY_10AM = datetime(2031, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
DAY = "2031-03-01"


async def _events(o, kind: str) -> list[dict]:
    msgs = await stream_messages(o.settings, subject=f"{o.settings.subject_prefix}.{o.branch}.{kind}")
    return [json.loads(m.data)["data"] for m in msgs]


async def test_waiting_visitors_are_assigned_in_order_of_arrival_with_their_waiting_time(urls):
    async with office(urls) as o:
        clock = o.controlled_clock(SATURDAY_10AM)
        c1, c2 = await o.staff(2)
        await o.join(c1, c2)
        first, second = (await o.check_in()).json(), (await o.check_in()).json()
        waiting = []
        for minutes in (1, 2, 4):
            clock.advance(minutes)
            waiting.append((await o.check_in()).json())
        assert [(w["status"], w["consultant_id"], w["queue_position"]) for w in waiting] == [
            ("waiting", None, 1), ("waiting", None, 2), ("waiting", None, 3)]
        clock.advance(3)  # 10:10
        queue = (await o.client.get("/v1/visits", params={"branch_id": o.branch, "status": "waiting", "date": DAY},
                                    headers=o.auth())).json()["items"]
        assert [v["id"] for v in queue] == [w["id"] for w in waiting], "in order of arrival"
        assert [v["waited_seconds"] for v in queue] == [540, 420, 180]
        assert [v["queue_position"] for v in queue] == [1, 2, 3]

        await o.end(second["id"])  # c2 frees up: takes the longest-waiting visitor
        got = await o.visit(waiting[0]["id"])
        assert (got["status"], got["consultant_id"], got["waited_seconds"]) == ("open", c2, 540)
        assert (await o.visit(waiting[1]["id"]))["queue_position"] == 1
        clock.advance(5)
        await o.end(first["id"])
        got = await o.visit(waiting[1]["id"])
        assert (got["consultant_id"], got["waited_seconds"]) == (c1, 720)
        assigned = await eventually(lambda: _events_n(o, "visit.assigned", 2))
        assert [(a["visit_id"], a["consultant_id"], a["waited_seconds"], a["assigned_by"]) for a in assigned] == [
            (waiting[0]["id"], c2, 540, "rotation"), (waiting[1]["id"], c1, 720, "rotation")]
        checked_in = await _events(o, "visit.checked_in")
        assert [e["status"] for e in checked_in] == ["open", "open", "waiting", "waiting", "waiting"]
        assert all(e["consultant_id"] is None for e in checked_in[2:])
        rot = await o.rotation()
        assert rot["turns"] == {c1: 2, c2: 2}, "visitors who waited took turns like the others"
        listed = (await o.client.get("/v1/visits", params={"branch_id": o.branch, "date": "2031-03-02"},
                                     headers=o.auth())).json()["items"]
        assert listed == [], "the date is the branch-local day of check-in"


async def _events_n(o, kind: str, n: int):
    events = await _events(o, kind)
    return events if len(events) >= n else None


async def test_a_consultant_joining_takes_the_longest_waiting_visitor(urls):
    async with office(urls) as o:
        o.controlled_clock(SATURDAY_10AM)
        (c1,) = await o.staff()
        v = (await o.check_in()).json()
        assert v["status"] == "waiting", "nobody on duty yet: recorded and waiting"
        rot = (await o.client.post(f"/v1/rotation/{o.branch}/join", json={"consultant_id": c1}, headers=o.auth())).json()
        assert rot["busy"] == [c1] and rot["turns"] == {c1: 1}
        assert (await o.visit(v["id"]))["consultant_id"] == c1


async def test_the_same_person_checked_in_again_is_one_visit(urls):
    async with office(urls) as o:
        o.controlled_clock(SATURDAY_10AM)
        (c1,) = await o.staff()
        await o.join(c1)
        phone = new_phone()
        first = await o.check_in(phone=phone)
        assert first.status_code == 201 and first.json()["repeat"] is False
        again = await o.check_in(phone=f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}")  # typed differently
        assert again.status_code == 200 and again.json()["id"] == first.json()["id"] and again.json()["repeat"] is True
        other_phone = new_phone()
        other = (await o.check_in(phone=other_phone)).json()
        assert other["status"] == "waiting"
        many = await asyncio.gather(*(o.check_in(phone=other_phone) for _ in range(3)))
        assert {r.json()["id"] for r in many} == {other["id"]} and all(r.status_code == 200 for r in many)
        assert all(r.json()["status"] == "waiting" and r.json()["queue_position"] == 1 for r in many)
        assert await o.db.visits.count_documents({}) == 2
        assert len(await _events(o, "visit.checked_in")) == 2, "counted once"
        await o.end(first.json()["id"])
        back = await o.check_in(phone=phone)
        assert back.status_code == 201 and back.json()["id"] != first.json()["id"], "a new visit after the last ended"


async def test_simultaneous_check_ins_of_one_person_make_one_visit(urls):
    async with office(urls) as o:
        c1, c2, c3 = await o.staff(3)
        await o.join(c1, c2, c3)
        phone = new_phone()
        results = await asyncio.gather(*(o.check_in(phone=phone) for _ in range(6)))
        assert sorted(r.status_code for r in results) == [200] * 5 + [201], [r.text for r in results]
        assert len({r.json()["id"] for r in results}) == 1
        assert await o.db.visits.count_documents({}) == 1
        rot = await o.rotation()
        assert sum(rot["turns"].values()) == 1 and len(rot["busy"]) == 1, "the losers gave their turns back"
        assert rot["next"] is not None


async def test_returning_customer_of_an_owner_off_duty_waits_for_them_with_a_warning(urls):
    async with office(urls) as o:
        o.controlled_clock(SATURDAY_10AM)
        c1, owner = await o.staff(2)
        await o.join(c1)
        phone = new_phone()
        lead_id = await o.lead(phone, owner)
        v = (await o.check_in(phone=phone)).json()
        assert v["returning"] is True and v["lead_id"] == lead_id
        assert (v["owner_off_duty"], v["owner_status"], v["owner_id"], v["owner_name"]) == (
            True, "off_duty", owner, f"staff {owner[-4:]}")
        assert (v["status"], v["waiting_for"], v["queue_position"], v["assigned_by"]) == ("waiting", owner, 1, "owner")
        walk_in = (await o.check_in()).json()
        assert walk_in["consultant_id"] == c1, "a visitor waiting for their owner holds nobody up"
        await o.join(owner)
        got = await o.visit(v["id"])
        assert (got["status"], got["consultant_id"]) == ("open", owner)
        assert (await o.rotation())["turns"][owner] == 0, "their own customer: no turn used"


async def test_the_desk_may_send_the_owners_customer_to_the_rotation_instead(urls):
    async with office(urls) as o:
        c1, owner, gone = await o.staff(3)
        await o.join(c1)
        phone, phone_gone = new_phone(), new_phone()
        await o.lead(phone, owner)
        await o.lead(phone_gone, gone)
        now = (await o.check_in(phone=phone, if_owner_off_duty="rotation")).json()
        assert (now["status"], now["consultant_id"], now["owner_off_duty"]) == ("open", c1, True)
        await o.end(now["id"])
        await o.leave_company(gone)
        left = (await o.check_in(phone=phone_gone)).json()
        assert (left["owner_status"], left["owner_off_duty"], left["consultant_id"]) == ("left", True, c1), (
            "an owner who left cannot be waited for")
        assert (await o.client.post("/v1/visits", headers=o.auth(), json={
            "branch_id": o.branch, "visitor": {"name": "v", "phone": new_phone()}, "if_owner_off_duty": "later"})
                ).status_code == 422


async def test_an_owner_on_duty_but_busy_is_waited_for(urls):
    async with office(urls) as o:
        owner, c2 = await o.staff(2)
        await o.join(owner, c2)
        busy = (await o.check_in()).json()
        assert busy["consultant_id"] == owner
        phone = new_phone()
        await o.lead(phone, owner)
        v = (await o.check_in(phone=phone)).json()
        assert (v["status"], v["waiting_for"], v["owner_off_duty"], v["owner_status"]) == ("waiting", owner, False, "on_duty")
        await o.end(busy["id"])
        assert (await o.visit(v["id"]))["consultant_id"] == owner


async def test_hand_over_to_a_named_consultant_with_a_reason(urls):
    async with office(urls) as o:
        o.controlled_clock(SATURDAY_10AM)
        a, b, c = await o.staff(3)
        await o.join(a, b, c)
        v = (await o.check_in()).json()
        assert v["consultant_id"] == a
        r = await o.client.post(f"/v1/visits/{v['id']}/assign", json={"consultant_id": c, "reason": "客户要求女顾问"},
                                headers=o.auth())
        assert r.status_code == 200, r.text
        handed = r.json()
        assert (handed["consultant_id"], handed["assigned_by"], handed["status"]) == (c, "handover", "open")
        assert handed["handovers"][0] | {"at": None} == {"from_consultant_id": a, "to_consultant_id": c,
                                                          "reason": "客户要求女顾问", "by": "desk-1", "at": None}
        rot = await o.rotation()
        assert rot["turns"] == {a: 0, b: 0, c: 1} and rot["next"] == a and rot["busy"] == [c], (
            "a got the turn and place back; the new customer is c's turn")
        event = (await eventually(lambda: _events_n(o, "visit.assigned", 1)))[0]
        assert (event["consultant_id"], event["previous_consultant_id"], event["reason"]) == (c, a, "客户要求女顾问")

        w = (await o.check_in()).json()  # a
        r = await o.client.post(f"/v1/visits/{w['id']}/assign", json={"consultant_id": c, "reason": "老乡"}, headers=o.auth())
        assert (r.json()["status"], r.json()["waiting_for"], r.json()["consultant_id"]) == ("waiting", c, None), (
            "c is busy: the visitor waits for c, and a is free again")
        assert (await o.rotation())["next"] == a
        await o.end(v["id"])
        assert (await o.visit(w["id"]))["consultant_id"] == c


async def test_hand_over_refusals(urls):
    async with office(urls) as o:
        a, b = await o.staff(2)
        await o.join(a)
        v = (await o.check_in()).json()
        path = f"/v1/visits/{v['id']}/assign"
        cases = [({"consultant_id": b}, 422, "validation"), ({"consultant_id": "nobody", "reason": "x"}, 422, "unknown-consultant"),
                 ({"consultant_id": None, "reason": "x"}, 422, "consultant-required")]
        for body, status, kind in cases:
            r = await o.client.post(path, json=body, headers=o.auth())
            assert r.status_code == status and r.json()["type"].endswith(kind), (body, r.text)
        consultant = await o.client.post(path, json={"consultant_id": b, "reason": "x"}, headers=o.auth("consultant", sub=a))
        assert consultant.status_code == 403
        stale = await o.client.post(path, json={"consultant_id": b, "reason": "x"}, headers={**o.auth(), "If-Match": "7"})
        assert stale.status_code == 412
        assert (await o.visit(v["id"]))["consultant_id"] == a and (await o.visit(v["id"]))["version"] == v["version"]
        await o.end(v["id"])
        r = await o.client.post(path, json={"consultant_id": b, "reason": "x"}, headers=o.auth())
        assert r.status_code == 409 and r.json()["type"].endswith("/wrong-status")


async def test_a_waiting_visitor_who_leaves_is_ended_and_their_span_is_free(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        await o.join(c1)
        busy = (await o.check_in()).json()
        phone = new_phone()
        w = (await o.check_in(phone=phone)).json()
        ended = await o.end(w["id"], outcome="left")
        assert (ended["status"], ended["consultant_id"]) == ("ended", None)
        await o.end(busy["id"])
        assert (await o.rotation())["busy"] == [], "nobody took a visitor who had left"
        assert (await o.check_in(phone=phone)).status_code == 201


async def test_a_visit_never_ended_yesterday_does_not_hold_the_person_today(urls):
    async with office(urls) as o:
        clock = o.controlled_clock(SATURDAY_10AM)
        (c1,) = await o.staff()
        await o.join(c1)
        phone = new_phone()
        old = (await o.check_in(phone=phone)).json()
        clock.advance(minutes=24 * 60)
        await o.join(c1)
        new = await o.check_in(phone=phone)
        assert new.status_code == 201 and new.json()["consultant_id"] == c1
        closed = await o.visit(old["id"])
        assert closed["status"] == "ended"


async def test_the_timer_assigns_waiting_visitors_a_missed_trigger_left_behind(urls):
    async with office(urls) as o:
        o.controlled_clock(SATURDAY_10AM)
        (c1,) = await o.staff()
        await o.join(c1)
        busy = (await o.check_in()).json()
        w = (await o.check_in()).json()
        await o.db.visits.update_one({"_id": busy["id"]}, {"$set": {"status": "ended"}})  # a crash: rotation never told
        assert await assign_waiting(o.ctx, SATURDAY_10AM - timedelta(days=1)) == 0, "only today's queue"
        assert await assign_waiting(o.ctx, SATURDAY_10AM) == 1
        assert (await o.visit(w["id"]))["consultant_id"] == c1
        assert await assign_waiting(o.ctx, SATURDAY_10AM) == 0


async def test_visitors_waiting_for_someone_who_leaves_the_company_go_to_the_rotation(urls):
    async with office(urls) as o:
        c1, owner = await o.staff(2)
        phone = new_phone()
        await o.lead(phone, owner)
        v = (await o.check_in(phone=phone)).json()
        assert v["waiting_for"] == owner
        await o.join(c1)
        assert (await o.visit(v["id"]))["status"] == "waiting", "still waiting for the owner"
        await o.leave_company(owner)
        got = await eventually(lambda: _open(o, v["id"]))
        assert got["consultant_id"] == c1 and got["assigned_by"] == "rotation"


async def _open(o, visit_id):
    got = await o.visit(visit_id)
    return got if got["status"] == "open" else None


async def test_a_waiting_owners_customer_handed_to_the_rotation(urls):
    async with office(urls) as o:
        c1, owner = await o.staff(2)
        await o.join(c1)
        phone = new_phone()
        await o.lead(phone, owner)
        v = (await o.check_in(phone=phone)).json()
        r = await o.client.post(f"/v1/visits/{v['id']}/assign", json={"consultant_id": None, "reason": "归属顾问今日休息"},
                                headers=o.auth("manager", sub="m-1"))
        assert r.status_code == 200 and r.json()["consultant_id"] == c1 and r.json()["assigned_by"] == "rotation"
        assert (await o.rotation())["turns"] == {c1: 1}


async def test_a_busy_afternoon_stays_fair(urls):
    """Twenty visitors arrive faster than four consultants serve them; the day's turns stay even."""
    async with office(urls) as o:
        clock = o.controlled_clock(SATURDAY_10AM)
        consultants = await o.staff(4)
        await o.join(*consultants)
        live: list[str] = []
        for i in range(20):
            clock.advance(2)
            live.append((await o.check_in()).json()["id"])
            if i % 3 == 2:  # a visit ends every six minutes
                open_ones = [v for v in live if (await o.visit(v))["status"] == "open"]
                await o.end(open_ones[0])
                live.remove(open_ones[0])
        while live:  # the rest of the afternoon: each visit that ends lets the next waiting visitor in
            clock.advance(3)
            open_ones = [v for v in live if (await o.visit(v))["status"] == "open"]
            assert open_ones, "somebody waits while nobody is served"
            await o.end(open_ones[0])
            live.remove(open_ones[0])
        visits = (await o.client.get("/v1/visits", params={"branch_id": o.branch, "date": DAY, "limit": 100},
                                     headers=o.auth())).json()["items"]
        assert len(visits) == 20 and all(v["consultant_id"] for v in visits)
        counts = Counter(v["consultant_id"] for v in visits)
        assert max(counts.values()) - min(counts.values()) <= 1, counts
        assert max(v["waited_seconds"] for v in visits) > 0
        assert (await o.rotation())["turns"] == dict(counts)
