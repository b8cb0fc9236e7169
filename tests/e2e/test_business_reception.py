"""Scenario 3: a class-A reception requested with too little notice is refused; requested
properly, approved in two steps, held, and its feedback filed late (event raised)."""

import json
from datetime import UTC, datetime, timedelta

from crm_reception.receptions.service import flag_overdue_feedback
from tests.e2e.conftest import open_floor
from tests.support.runtime import bearer, stream_messages


async def test_class_a_reception_notice_two_step_approval_and_late_feedback(system):
    client, settings = system.client, system.settings
    floor = await open_floor(client, settings)
    host = floor.staff["consultant1"]

    def request(arrive: datetime) -> dict:
        return {"branch_id": floor.branch, "class": "A", "guests": [{"name": "李局长", "title": "住建局"}],
                "arrive_at": arrive.isoformat(), "leave_at": (arrive + timedelta(hours=3)).isoformat(),
                "purpose": "项目考察", "resources": [{"kind": "meeting_room", "name": "vip-1"}, {"kind": "car", "name": "car-1"}]}

    soon = datetime.now(UTC) + timedelta(hours=20)
    refused = await floor.call("POST", "/v1/receptions", "consultant", host, json=request(soon), expect=422)
    assert refused["type"].endswith("/notice-too-short") and refused["detail"]

    arrive = (datetime.now(UTC) + timedelta(days=4)).replace(microsecond=0)
    rec = await floor.call("POST", "/v1/receptions", "consultant", host, json=request(arrive))
    assert rec["status"] == "pending"

    clash = await floor.call("POST", "/v1/receptions", "consultant", host, json=request(arrive + timedelta(hours=1)), expect=409)
    assert clash["type"].endswith("/resource-clash")

    step1 = await floor.call("POST", f"/v1/receptions/{rec['id']}/approve", "manager", floor.staff["manager"], json={"note": "同意"})
    assert step1["status"] == "awaiting_general_manager"
    same = await client.post(f"/v1/receptions/{rec['id']}/approve", json={}, headers=floor.as_("manager", floor.staff["manager"]))
    assert same.status_code in (403, 409), "the general manager must be a different person"
    gm = bearer(settings, "manager", [floor.branch], "gm-1")
    step2 = await client.post(f"/v1/receptions/{rec['id']}/approve", json={"note": "批准"}, headers=gm)
    assert step2.status_code == 200 and step2.json()["status"] == "approved", step2.text

    ctx = await system.context("reception")
    assert await flag_overdue_feedback(ctx, arrive + timedelta(days=7)) == 1  # the deadline passed, no feedback
    assert await flag_overdue_feedback(ctx, arrive + timedelta(days=8)) == 0  # raised once
    done = await floor.call("POST", f"/v1/receptions/{rec['id']}/feedback", "consultant", host,
                            json={"summary": "考察顺利，后续跟进团购", "spent": 1800})
    assert done["status"] == "completed"

    await floor.until(lambda: _types(settings, floor.branch, "reception.completed"), "reception.completed on the stream")
    types = await _types(settings, floor.branch)
    for expected in ("reception.requested", "reception.approved", "reception.feedback_overdue", "reception.completed"):
        assert expected in types
    assert types.count("reception.approved") == 1
    msgs = await stream_messages(settings, subject=f"{settings.subject_prefix}.{floor.branch}.reception.approved")
    assert json.loads(msgs[0].data)["data"]["participant_ids"] == [floor.staff["manager"], "gm-1"]


async def _types(settings, branch: str, wanted: str | None = None):
    msgs = await stream_messages(settings, subject=f"{settings.subject_prefix}.{branch}.>")
    types = [json.loads(m.data)["type"] for m in msgs]
    return (wanted in types) if wanted else types
