"""Scenario 1: a partner reports a customer, a second partner is refused, the customer
visits, the report is confirmed, the consultant works the lead to a signing and wins it
inside the protection window, crediting the partner; reminders and reports follow."""

from datetime import UTC, datetime, timedelta

from tests.e2e.conftest import open_floor

PHONE = "13812345678"


async def test_partner_report_to_credited_deal(system):
    client, settings = system.client, system.settings
    floor = await open_floor(client, settings)
    b = floor.branch

    report = await floor.call("POST", "/v1/channel-reports", "partner", "agency-1",
                              json={"branch_id": b, "customer_name": "周先生", "gender": "male", "phone": "138****5678"})
    assert report["status"] == "accepted"
    conflict = await floor.call("POST", "/v1/channel-reports", "partner", "agency-2", expect=409,
                                json={"branch_id": b, "customer_name": "周先生", "phone": PHONE})
    assert conflict["type"].endswith("/report-conflict")
    mine = await floor.call("GET", "/v1/channel-reports", "partner", "agency-2", params={"branch_id": b})
    assert all(r["id"] != report["id"] for r in mine["items"]), "a partner sees only its own reports"

    consultant = floor.staff["consultant1"]

    async def joined():
        r = await client.post(f"/v1/rotation/{b}/join", json={"consultant_id": consultant}, headers=floor.as_("reception"))
        return r.status_code == 200
    await floor.until(joined, "reception to learn the consultant from staff.joined")

    visit = await floor.call("POST", "/v1/visits", "reception",
                             json={"branch_id": b, "visitor": {"name": "周先生", "phone": PHONE}, "party_size": 2})
    assert visit["consultant_id"] == consultant and visit["returning"] is False

    async def walk_in_lead():
        page = await floor.call("GET", "/v1/leads", "manager", params={"branch_id": b})
        return page["items"][0] if page["items"] else None
    lead = await floor.until(walk_in_lead, "a walk-in lead from visit.checked_in")
    assert lead["owner_id"] == consultant
    assert lead["source"]["channel"] == "partner" and lead["source"]["partner_id"] == "agency-1", "reported walk-in"

    async def confirmed():
        r = await floor.call("GET", f"/v1/channel-reports/{report['id']}", "partner", "agency-1")
        return r if r["status"] == "confirmed" else None
    confirmed_report = await floor.until(confirmed, "the channel report to be confirmed by the visit")
    assert confirmed_report["protection_until"]

    await floor.call("POST", f"/v1/leads/{lead['id']}/follow-ups", "consultant", consultant,
                     json={"kind": "call", "note": "确认签约时间", "outcome": "ready"})
    current = await floor.call("GET", f"/v1/leads/{lead['id']}", "consultant", consultant)
    graded = await floor.call("PATCH", f"/v1/leads/{lead['id']}", "consultant", consultant,
                              json={"grade": "O"}, headers={"If-Match": str(current["version"])})
    assert graded["grade"] == "O"

    start = (datetime.now(UTC) + timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
    appointment = await floor.call_once_known("POST", "/v1/appointments", "consultant", consultant, json={
        "branch_id": b, "consultant_id": consultant, "lead_id": lead["id"],
        "customer": {"name": "周先生", "phone": PHONE}, "kind": "signing",
        "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat(), "party_size": 2,
    })
    assert appointment["status"] == "scheduled"

    async def planned():
        page = await floor.call("GET", "/v1/messages", "manager", params={"branch_id": b, "to": PHONE, "limit": 50})
        return page["items"] if len(page["items"]) >= 4 else None
    messages = await floor.until(planned, "confirmation and three reminders for the appointment")
    assert len(messages) == 4, [m.get("status") for m in messages]

    await floor.call("POST", f"/v1/leads/{lead['id']}/close", "consultant", consultant,
                     json={"outcome": "won", "amount": 5_200_000})

    window = {"branch_id": b, "from": (datetime.now(UTC) - timedelta(days=1)).date().isoformat(),
              "to": (datetime.now(UTC) + timedelta(days=1)).date().isoformat()}

    async def partner_credited():
        rows = (await floor.call("GET", "/v1/reports/partners", "manager", params=window))
        items = rows.get("items", rows)
        row = next((r for r in items if r.get("partner_id") == "agency-1"), None)
        return row if row and row.get("deals") == 1 else None
    row = await floor.until(partner_credited, "the partner report to credit the deal")
    assert row["accepted"] >= 1

    async def traffic():
        items = (await floor.call("GET", "/v1/reports/daily-traffic", "manager", params=window))["items"]
        return items if sum(i["new_leads"] for i in items) == 1 and sum(i["visits"] for i in items) == 1 else None
    assert await floor.until(traffic, "daily traffic to show the lead and the visit")

    async def funnel():
        body = await floor.call("GET", "/v1/reports/funnel", "manager", params=window | {"group_by": "channel"})
        return body if body["total"]["won"] == 1 else None
    body = await floor.until(funnel, "the funnel to count the deal")
    assert body["total"]["leads"] == 1 and body["total"]["visited"] == 1 and body["total"]["conversion_rate"] == 1.0
