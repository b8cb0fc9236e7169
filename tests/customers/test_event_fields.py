"""The fields the reports' complaints and revisits reports read (crm_reports/projections/care.py) are on the events
customers publishes: deadlines on `complaint.received` and `complaint.overdue`, receipt, closing and the handling
deadline on `complaint.closed`, the task and its due time on `revisit.due/overdue/logged`."""

from __future__ import annotations

from datetime import timedelta

from crm_reports.projections.care import close_counters
from crm_shared.events.customers import (ArchiveOpened, ComplaintClosed, ComplaintOverdue, ComplaintReceived,
                                         RevisitDue, RevisitLogged, RevisitOverdue)
from crm_shared.ids import utcnow
from crm_customers.complaints import deadlines
from crm_customers.revisits import scans
from tests.customers.care_office import NORTH, Care, care, new_phone
from tests.support.runtime import eventually


async def _at_least(o: Care, type_: str, n: int) -> list[dict] | None:
    found = await o.events(type_)
    return found if len(found) >= n else None


async def _events(o: Care, type_: str, n: int) -> list[dict]:
    found = await eventually(lambda: _at_least(o, type_, n))
    assert found, f"expected {n} {type_}"
    return found


async def test_complaint_events_carry_their_deadlines_and_the_closing_times(urls):
    async with care(urls) as o:
        r = await o.client.post("/v1/complaints", headers=o.auth("desk"), json={
            "branch_id": NORTH, "channel": "phone", "category": "delivery", "severity": "normal",
            "summary": "交房延期", "customer": {"name": "李女士", "phone": new_phone()}})
        assert r.status_code == 201, r.text
        cid, boss = r.json()["id"], o.auth("manager")
        stored = await o.db.complaints.find_one({"_id": cid})
        (received,) = [ComplaintReceived.model_validate(e) for e in await _events(o, "complaint.received", 1)]
        assert (received.due_at, received.report_due_at) == (stored["due_at"], stored["report_due_at"])
        # both deadlines missed (a controlled clock): each overdue names both deadlines
        t0 = stored["received_at"]
        assert await deadlines.raise_overdue(o.ctx, t0 + timedelta(days=3, minutes=5)) == 1
        assert await deadlines.raise_overdue(o.ctx, t0 + timedelta(days=7, minutes=5)) == 1
        overdue = [ComplaintOverdue.model_validate(e) for e in await _events(o, "complaint.overdue", 2)]
        assert [e.deadline for e in overdue] == ["report", "handling"]
        assert all((e.due_at, e.report_due_at) == (stored["due_at"], stored["report_due_at"]) for e in overdue)
        assert [e.missed_at for e in overdue] == [stored["report_due_at"], stored["due_at"]]
        # handled and closed
        url = f"/v1/complaints/{cid}"
        assert (await o.client.post(f"{url}/assign", headers=boss, json={"assignee_id": o.staff_id("c1")})).status_code == 200
        assert (await o.client.post(f"{url}/report", headers=o.auth("c1"),
                                    json={"cause": "工期", "responsibility": "施工", "proposal": "补偿"})).status_code == 200
        assert (await o.client.post(f"{url}/report/approve", headers=boss, json={})).status_code == 200
        before = utcnow()
        r = await o.client.post(f"{url}/close", headers=boss, json={
            "customer_response": "satisfied", "resolution": {"kind": "compensation", "note": "补偿物业费"}})
        assert r.status_code == 200, r.text
        (closed,) = [ComplaintClosed.model_validate(e) for e in await _events(o, "complaint.closed", 1)]
        assert closed.received_at == stored["received_at"] and closed.due_at == stored["due_at"]
        assert closed.report_due_at == stored["report_due_at"]
        assert closed.closed_at is not None and before <= closed.closed_at <= utcnow()
        # what the reports' complaints report makes of it: closed on time, days from receipt to closing
        counted = close_counters(closed, closed.closed_at)
        assert counted["complaints.delivery.closed"] == 1 and counted["complaints.delivery.closed_on_time"] == 1
        assert counted["complaints.delivery.timed"] == 1 and 0 <= counted["complaints.delivery.days_to_close"] < 1


async def test_revisit_events_name_their_task_and_its_due_time(urls):
    async with care(urls, revisit_grace_days=3) as o:
        doc = await o.archive(tier="core")
        await o.emit(ArchiveOpened(archive_id=doc["_id"], number=doc["number"], category="owner", tier="core",
                                   account_manager_id=doc["account_manager_id"]), NORTH, doc["_id"])
        task = await eventually(lambda: o.db.revisit_tasks.find_one({"archive_id": doc["_id"], "status": "planned"}))
        assert task, "the archive's first revisit is planned"
        assert await scans.publish_due(o.ctx, task["due_at"] + timedelta(hours=1)) == (1, 0)
        assert await scans.publish_due(o.ctx, task["overdue_at"] + timedelta(minutes=1)) == (0, 1)
        (due,) = [RevisitDue.model_validate(e) for e in await _events(o, "revisit.due", 1)]
        (late,) = [RevisitOverdue.model_validate(e) for e in await _events(o, "revisit.overdue", 1)]
        for e in (due, late):
            assert (e.task_id, e.due_at, e.assignee_id) == (task["_id"], task["due_at"], o.staff_id("c1"))
        url = f"/v1/archives/{doc['_id']}/revisits"
        r = await o.client.post(url, headers=o.auth("c1"), json={"kind": "phone", "note": "电话回访", "satisfaction": 4,
                                                                "task_id": task["_id"]})
        assert r.status_code == 201, r.text
        # nothing due any more: an unplanned revisit names no due time, so it never counts as a task done on time
        r = await o.client.post(url, headers=o.auth("c1"), json={"kind": "visit", "note": "上门", "satisfaction": 5})
        assert r.status_code == 201 and r.json()["kind"] == "unplanned"
        logged = [RevisitLogged.model_validate(e) for e in await _events(o, "revisit.logged", 2)]
        assert [(e.task_id, e.due_at) for e in logged] == [(task["_id"], task["due_at"]), (r.json()["id"], None)]
        assert logged[0].revisit_id == task["_id"] and logged[0].kind == "tier_cycle"
