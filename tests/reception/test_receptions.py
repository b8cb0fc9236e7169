"""Business receptions against the real store and bus: notice per class, approval chain,
resource clashes, feedback and its working-day deadline."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

from crm_reception.receptions.service import flag_overdue_feedback
from tests.reception.builders import future, office
from tests.support.runtime import eventually, stream_messages


def reception(o, cls="B", hours=72, length=3, **extra):
    start = future(hours)
    return {"branch_id": o.branch, "class": cls, "guests": [{"name": "刘总", "title": "董事长"}, {"name": "秘书"}],
            "arrive_at": start.isoformat(), "leave_at": (start + timedelta(hours=length)).isoformat(),
            "purpose": "项目考察", **extra}


async def request(o, body, sub="host-1"):
    return await o.client.post("/v1/receptions", json=body, headers=o.auth("consultant", sub=sub))


async def test_notice_rule_per_class(urls):
    async with office(urls) as o:
        short = await request(o, reception(o, "A", hours=30))
        assert short.status_code == 422 and short.json()["type"].endswith("/notice-too-short")
        assert "2 day" in short.json()["detail"]
        assert await o.db.receptions.count_documents({}) == 0
        assert (await request(o, reception(o, "A", hours=50))).status_code == 201
        assert (await request(o, reception(o, "B", hours=12))).status_code == 422
        for cls in "CD":
            r = await request(o, reception(o, cls, hours=2))
            assert r.status_code == 201, r.text
            assert r.json()["status"] == "pending"


async def test_branch_can_override_the_class_policy(urls):
    async with office(urls) as o:
        await o.configure(reception_classes={"C": {"notice_days": 3, "budget_max": 90}})
        assert (await request(o, reception(o, "C", hours=48))).status_code == 422
        r = await request(o, reception(o, "C", hours=80))
        assert r.status_code == 201 and r.json()["budget_per_head"] == 90
        over = await request(o, reception(o, "C", hours=80, budget_per_head=95))
        assert over.status_code == 422 and over.json()["type"].endswith("/over-budget")


async def test_class_a_needs_department_head_then_a_different_general_manager(urls):
    async with office(urls) as o:
        rec = (await request(o, reception(o, "A", hours=60))).json()
        assert rec["policy"]["hotel"] == "five_star" and rec["budget_per_head"] == 150
        url = f"/v1/receptions/{rec['id']}"
        denied = await o.client.post(f"{url}/approve", headers=o.auth("consultant", sub="host-1"))
        assert denied.status_code == 403
        own = await o.client.post(f"{url}/approve", headers=o.auth("manager", sub="host-1"))
        assert own.status_code == 403, "nobody approves their own request"
        step1 = await o.client.post(f"{url}/approve", json={"note": "ok"}, headers=o.auth("manager", sub="head-1"))
        assert step1.json()["status"] == "awaiting_general_manager"
        same = await o.client.post(f"{url}/approve", headers=o.auth("manager", sub="head-1"))
        assert same.status_code == 403
        step2 = await o.client.post(f"{url}/approve", headers=o.auth("manager", sub="gm-1"))
        assert step2.json()["status"] == "approved"
        assert [a["step"] for a in step2.json()["approvals"]] == ["department_head", "general_manager"]
        assert (await o.client.post(f"{url}/approve", headers=o.auth("manager", sub="gm-1"))).status_code == 409
        msgs = await eventually(lambda: stream_messages(o.settings, subject=f"{o.settings.subject_prefix}.{o.branch}.reception.approved"))
        assert len(msgs) == 1 and json.loads(msgs[0].data)["data"]["class"] == "A"


async def test_class_b_is_approved_by_the_department_head_and_rejection_needs_a_reason(urls):
    async with office(urls) as o:
        b = (await request(o, reception(o, "B"))).json()
        r = await o.client.post(f"/v1/receptions/{b['id']}/approve", headers=o.auth("manager", sub="head-1"))
        assert r.json()["status"] == "approved"
        c = (await request(o, reception(o, "C", hours=100))).json()
        assert (await o.client.post(f"/v1/receptions/{c['id']}/reject", json={}, headers=o.auth("manager"))).status_code == 422
        r = await o.client.post(f"/v1/receptions/{c['id']}/reject", json={"reason": "budget frozen"}, headers=o.auth("manager"))
        assert r.json()["status"] == "rejected" and r.json()["rejection"]["reason"] == "budget frozen"
        msgs = await eventually(lambda: stream_messages(o.settings, subject=f"{o.settings.subject_prefix}.{o.branch}.reception.rejected"))
        assert json.loads(msgs[0].data)["data"]["reason"] == "budget frozen"


async def test_resources_are_booked_without_clashes_and_rejection_frees_them(urls):
    async with office(urls) as o:
        room = [{"kind": "meeting_room", "name": "room-1"}]
        car = [{"kind": "car", "name": "car-1"}]
        first = await request(o, reception(o, "C", hours=30, length=2, resources=room + car))
        assert first.status_code == 201
        clash = await request(o, reception(o, "C", hours=31, length=2, resources=room))
        assert clash.status_code == 409 and clash.json()["resource"] == "meeting_room:room-1"
        assert (await request(o, reception(o, "C", hours=32, length=2, resources=[{"kind": "projector", "name": "p1"}]))).status_code == 201
        racers = await asyncio.gather(*(request(o, reception(o, "D", hours=40 + i * 0.5, length=2, resources=car))
                                        for i in range(4)))
        assert sorted(r.status_code for r in racers) == [201, 409, 409, 409]
        await o.client.post(f"/v1/receptions/{first.json()['id']}/reject", json={"reason": "x"}, headers=o.auth("manager"))
        assert (await request(o, reception(o, "C", hours=31, length=2, resources=room))).status_code == 201


async def test_feedback_completes_and_overdue_feedback_raises_an_event_once(urls):
    async with office(urls) as o:
        await o.configure(feedback_due_working_days=2)
        done = (await request(o, reception(o, "C", hours=5))).json()
        late = (await request(o, reception(o, "C", hours=5))).json()
        for rec in (done, late):
            await o.client.post(f"/v1/receptions/{rec['id']}/approve", headers=o.auth("manager"))
        not_host = await o.client.post(f"/v1/receptions/{done['id']}/feedback", json={"summary": "ok"},
                                       headers=o.auth("consultant", sub="someone-else"))
        assert not_host.status_code == 403
        fb = await o.client.post(f"/v1/receptions/{done['id']}/feedback", headers=o.auth("consultant", sub="host-1"),
                                 json={"summary": "签约意向强", "spent": 1200, "follow_ups": [{"title": "send contract"}]})
        assert fb.status_code == 200 and fb.json()["status"] == "completed"
        due = datetime.fromisoformat(late["feedback_due_at"])
        assert due > datetime.fromisoformat(late["leave_at"]) + timedelta(days=1)
        assert await flag_overdue_feedback(o.ctx, due - timedelta(minutes=1)) == 0
        assert await flag_overdue_feedback(o.ctx, due + timedelta(minutes=1)) == 1
        assert await flag_overdue_feedback(o.ctx, due + timedelta(days=3)) == 0, "once"
        msgs = await eventually(lambda: stream_messages(o.settings, subject=f"{o.settings.subject_prefix}.{o.branch}.reception.feedback_overdue"))
        assert [json.loads(m.data)["data"]["reception_id"] for m in msgs] == [late["id"]]
        completed = await eventually(lambda: stream_messages(o.settings, subject=f"{o.settings.subject_prefix}.{o.branch}.reception.completed"))
        assert json.loads(completed[0].data)["data"]["spent"] == 1200


async def test_feedback_deadline_skips_the_weekend(urls):
    async with office(urls) as o:
        await o.configure(working_days=[0, 1, 2, 3, 4])  # an office closed at weekends (the default is the whole week)
        friday = datetime(2030, 3, 1, 6, 0, tzinfo=UTC)  # 14:00 Friday in Shanghai
        body = reception(o, "D")
        body["arrive_at"], body["leave_at"] = friday.isoformat(), (friday + timedelta(hours=2)).isoformat()
        rec = (await request(o, body)).json()
        assert rec["feedback_due_at"].startswith("2030-03-05T15:59:59"), "end of Tuesday, branch time"
