"""A scripted day of events (out of order, with redeliveries) -> exact numbers in every report."""

from __future__ import annotations

import pytest

from tests.reports.builders import BRANCH, registered, scripted_day
from tests.reports.conftest import publish_all
from tests.support.runtime import bearer

DAY = {"branch_id": BRANCH, "from": "2026-03-10", "to": "2026-03-11"}


@pytest.fixture
async def day(reports):
    settings, ctx, client = reports
    await publish_all(settings, ctx, scripted_day(), redeliver=(5, 8, 17, 22))
    return settings, ctx, client, bearer(settings, "manager", [BRANCH], sub="m1")


async def get(client, auth, name, **params):
    r = await client.get(f"/v1/reports/{name}", params={**DAY, **params}, headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


async def test_daily_traffic_counts_each_branch_date(day):
    _, _, client, auth = day
    items = (await get(client, auth, "daily-traffic"))["items"]
    assert [i["date"] for i in items] == ["2026-03-10", "2026-03-11"]
    d10, d11 = items
    assert d10["new_leads"] == 4 and d11["new_leads"] == 1, "L0 at 00:10 and L4 at 00:30 branch time"
    assert d10["by_channel"] == {"online": 1, "phone": 1, "walk_in": 1, "partner": 1}
    assert d10["by_consultant"] == {"c1": 3, "c2": 1}
    assert (d10["visits"], d10["walk_ins"], d10["appointment_arrivals"]) == (3, 2, 1)
    assert (d10["appointments"], d10["appointments_cancelled"], d10["calls"]) == (2, 1, 1)
    assert (d10["deals"], d10["follow_ups"]) == (2, 2)
    assert d11["by_channel"] == {"phone": 1} and d11["by_consultant"] == {"c2": 1} and d11["calls"] == 1
    assert d11["visits"] == 0
    assert sum(d10["visits_by_consultant"].values()) == d10["visits"] and d11["visits_by_consultant"] == {}


async def test_funnel_by_channel_and_consultant(day):
    _, _, client, auth = day
    report = await get(client, auth, "funnel")
    rows = {i["group"]: i for i in report["items"]}
    assert {g: (r["leads"], r["visited"], r["won"], r["lost"]) for g, r in rows.items()} == {
        "phone": (2, 1, 1, 0), "walk_in": (1, 1, 0, 1), "partner": (1, 1, 1, 0), "online": (1, 0, 0, 1)}
    assert report["total"] == {"leads": 5, "visited": 3, "won": 2, "lost": 2, "visit_rate": 0.6,
                               "win_rate": 0.6667, "conversion_rate": 0.4}
    by_consultant = await get(client, auth, "funnel", group_by="consultant")
    rows = {i["group"]: i for i in by_consultant["items"]}
    assert rows["c1"]["name"] == "张三" and (rows["c1"]["leads"], rows["c1"]["won"]) == (3, 2)
    assert (rows["c2"]["leads"], rows["c2"]["visited"], rows["c2"]["won"]) == (2, 1, 0)


async def test_grades_mix_and_movement(day):
    _, _, client, auth = day
    report = await get(client, auth, "grades")
    rows = {i["grade"]: i for i in report["items"]}
    assert {g: (r["new_leads"], r["moved_in"], r["moved_out"], r["net"]) for g, r in rows.items()} == {
        "O": (1, 0, 0, 1), "A": (1, 1, 0, 2), "B": (1, 0, 1, 0), "C": (1, 1, 0, 2)}
    assert rows["A"]["share"] == 0.25 and report["ungraded_new_leads"] == 1
    assert report["moves"] == {"B>A": 1, "none>C": 1} and report["upgrades"] == 1 and report["downgrades"] == 0


async def test_follow_up_compliance_per_consultant(day):
    _, _, client, auth = day
    rows = {i["consultant_id"]: i for i in (await get(client, auth, "follow-up-compliance"))["items"]}
    c1 = rows["c1"]
    assert (c1["name"], c1["follow_ups"], c1["overdue"], c1["newly_overdue"], c1["max_missed"]) == ("张三", 1, 2, 1, 3)
    assert c1["missed"] == {"1": 1, "2": 0, "3+": 1}
    assert c1["age"] == {"0-1": 0, "2-3": 1, "4-7": 0, "8-14": 1, "15+": 0}
    assert c1["compliance_rate"] == 0.3333 and rows["c2"]["compliance_rate"] == 1.0


async def test_lost_reasons_by_reason_and_stage(day):
    _, _, client, auth = day
    report = await get(client, auth, "lost-reasons")
    assert report["total"] == 2
    assert {i["reason"]: (i["count"], i["share"], i["by_stage"]) for i in report["items"]} == {
        "价格太高": (1, 0.5, {"visited": 1}), "位置不合适": (1, 0.5, {"new": 1})}


async def test_partners_effectiveness(day):
    _, _, client, auth = day
    rows = {i["partner_id"]: i for i in (await get(client, auth, "partners"))["items"]}
    p1 = rows["p1"]
    assert (p1["reports"], p1["accepted"], p1["rejected"], p1["confirmed"], p1["deals"]) == (2, 1, 1, 1, 1)
    assert p1["amount"] == 2_000_000 and p1["accept_rate"] == 0.5 and p1["deal_rate"] == 1.0
    assert p1["rejection_reasons"] == {"重复报备": 1}
    assert (rows["p2"]["accepted"], rows["p2"]["expired"], rows["p2"]["confirmed"]) == (1, 1, 0)


async def test_receptions_by_class_with_budget(day):
    _, _, client, auth = day
    rows = {i["class"]: i for i in (await get(client, auth, "receptions"))["items"]}
    a = rows["A"]
    assert (a["requested"], a["approved"], a["completed"], a["budget"], a["spent"]) == (1, 1, 1, 560.0, 600.0)
    assert a["over_budget"] == 1 and a["spend_ratio"] == 1.0714 and a["feedback_on_time"] == 1
    assert (rows["C"]["requested"], rows["C"]["rejected"], rows["C"]["completed"]) == (1, 1, 0)
    assert rows["B"]["requested"] == 0


async def test_branch_time_zone_sets_the_day(reports):
    settings, ctx, client = reports
    from crm_shared.events.leads import BranchConfigured
    from tests.reports.builders import ev
    envs = [
        ev(BranchConfigured(branch_id="ny-fifth", timezone="America/New_York", settings={}), "2026-03-01T00:00:00", "ny-fifth"),
        registered("N1", "phone", "c9", "A", "2026-03-10T03:00:00", branch="ny-fifth"),  # 23:00 on the 9th in New York
        registered("S1", "phone", "c9", "A", "2026-03-09T16:30:00", branch="gz-new"),  # unknown branch: Shanghai, the 10th
    ]
    await publish_all(settings, ctx, envs)
    auth = bearer(settings, "admin", ["*"])
    ny = (await client.get("/v1/reports/daily-traffic", params={"branch_id": "ny-fifth", "from": "2026-03-09", "to": "2026-03-10"}, headers=auth)).json()
    assert [i["new_leads"] for i in ny["items"]] == [1, 0]
    gz = (await client.get("/v1/reports/daily-traffic", params={"branch_id": "gz-new", "from": "2026-03-09", "to": "2026-03-10"}, headers=auth)).json()
    assert [i["new_leads"] for i in gz["items"]] == [0, 1]
