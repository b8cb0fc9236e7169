"""Commissions and referral rewards (结佣, 全民营销奖励) by kind and beneficiary; who reads the deals reports
(finance: sales and payouts only); the group roll-up over several branches; rebuild by replay."""

from __future__ import annotations

import pytest

from crm_shared.events.deals import DealSigned, PayoutDue, PayoutPending
from crm_shared.events.leads import BranchConfigured
from tests.reports.builders import BRANCH, ev
from tests.reports.conftest import publish_all
from tests.reports.deal_builders import deal, deal_days, payout
from tests.support.runtime import bearer, eventually

BOTH_DAYS = {"branch_id": BRANCH, "from": "2026-03-10", "to": "2026-03-11"}
OTHER = "gz-tianhe"
BOOKS = ("sales", "deal-changes", "discounts", "payouts", "complaints", "revisits", "customers")


@pytest.fixture
async def deals(reports):
    settings, ctx, client = reports
    await publish_all(settings, ctx, deal_days(), redeliver=(len(deal_days()) - 1,))
    return settings, ctx, client, bearer(settings, "manager", [BRANCH], sub="m1")


async def test_payouts_by_kind_and_beneficiary_in_every_status(deals):
    _, _, client, auth = deals
    r = await client.get("/v1/reports/payouts", params=BOTH_DAYS, headers=auth)
    assert r.status_code == 200, r.text
    rows = {(i["kind"], i["beneficiary"]["id"]): i for i in r.json()["items"]}
    commission = rows[("commission", "p1")]
    assert commission["name"] == "链家湾区店" and commission["beneficiary"]["type"] == "partner"
    assert [commission[f"n_{s}"] for s in ("pending", "due", "approved", "paid", "void")] == [1, 1, 1, 1, 0]
    assert commission["paid_amount"] == "141000.00" and commission["due_amount"] == "141000.00", "a redelivery counts once"
    reward = rows[("referral_reward", "r1")]
    assert (reward["name"], reward["n_pending"], reward["n_void"], reward["void_amount"], reward["paid_amount"]) == (
        "李业主", 1, 1, "2500.00", "0.00")
    total = r.json()["total"]
    assert (total["n_pending"], total["pending_amount"], total["paid_amount"]) == (2, "143500.00", "141000.00")
    tenth = (await client.get("/v1/reports/payouts", params={**BOTH_DAYS, "to": "2026-03-10"}, headers=auth)).json()
    assert tenth["total"]["n_paid"] == 0 and tenth["total"]["n_pending"] == 2, "each status on the day it was reached"


async def test_who_reads_the_deals_and_customers_reports(deals):
    settings, _, client, _ = deals
    for role in ("admin", "manager", "integrator", "finance", "consultant", "reception", "partner"):
        auth = bearer(settings, role, [BRANCH], sub=f"{role}-1")
        for name in BOOKS:
            r = await client.get(f"/v1/reports/{name}", params=BOTH_DAYS, headers=auth)
            allowed = role in ("admin", "manager", "integrator") or role == "finance" and name in ("sales", "payouts")
            assert r.status_code == (200 if allowed else 403), (role, name, r.text)
        foreign = await client.get("/v1/reports/sales", params={**BOTH_DAYS, "branch_id": OTHER}, headers=auth)
        assert foreign.status_code == 404 and foreign.json()["type"].endswith("/not-found"), (role, foreign.text)
    mixed = await client.get("/v1/reports/payouts", params={**BOTH_DAYS, "branch_id": f"{BRANCH},{OTHER}"},
                             headers=bearer(settings, "finance", [BRANCH]))
    assert mixed.status_code == 404, "a roll-up naming a branch the caller does not see is 404"
    for bad in ({"branch_id": "SZ BAY"}, {"from": "2026-03-12"}, {"group_by": "colour"}, {"format": "pdf"}):
        r = await client.get("/v1/reports/sales", params={**BOTH_DAYS, **bad}, headers=bearer(settings, "admin", ["*"]))
        assert r.status_code == 422, (bad, r.text)


async def test_the_group_roll_up_sums_several_branches_each_on_its_local_dates(deals):
    settings, ctx, client, _ = deals
    other = [ev(BranchConfigured(branch_id=OTHER, name="广州天河展厅", timezone="Asia/Shanghai", settings={}),
                "2026-03-01T00:00:00", branch=OTHER),
             *[e.model_copy(update={"branch_id": OTHER}) for e in (
                 deal(DealSigned, "D4", "2026-03-10T16:30:00", contract_no="GZ-1", status="signed"),  # 00:30 on the 11th there
                 payout(PayoutPending, "GZ-PO", "commission", "partner", "p1", "D4", 180_000, "pending", "2026-03-10T16:30:00"),
                 payout(PayoutDue, "GZ-PO", "commission", "partner", "p1", "D4", 180_000, "due", "2026-03-11T01:00:00"))]]
    await publish_all(settings, ctx, other)
    group = bearer(settings, "manager", [BRANCH, OTHER], sub="gm")
    both = {**BOTH_DAYS, "branch_id": f"{BRANCH},{OTHER}", "group_by": "product_type"}
    r = await client.get("/v1/reports/sales", params=both, headers=group)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [b["name"] for b in body["branches"]] == ["深圳湾售楼处", "广州天河展厅"]
    assert body["total"]["units"] == 3 and body["total"]["amount"] == "10850000.00"
    assert {i["group"]: i["units"] for i in body["items"]}["villa"] == 1
    admin = bearer(settings, "admin", ["*"])
    everywhere = (await client.get("/v1/reports/sales", params={**both, "branch_id": "*"}, headers=admin)).json()
    assert everywhere["total"] == body["total"] and len(everywhere["branches"]) == 2
    tenth = (await client.get("/v1/reports/sales", params={**both, "to": "2026-03-10"}, headers=group)).json()
    assert tenth["total"]["signed"] == 3, "the other branch's signing fell on the 11th in its time zone"
    payouts = (await client.get("/v1/reports/payouts", params={**both, "branch_id": "*"}, headers=group)).json()
    p1 = [i for i in payouts["items"] if i["beneficiary"]["id"] == "p1"][0]
    assert (p1["n_pending"], p1["pending_amount"], p1["due_amount"]) == (2, "321000.00", "321000.00")
    sheet = await client.get("/v1/reports/sales", params={**both, "format": "csv"}, headers=group)
    assert "别墅" in sheet.content.decode("utf-8-sig") and "合计" in sheet.content.decode("utf-8-sig")


async def test_rebuild_replays_the_deals_reports_equal_to_live(deals):
    settings, _, client, auth = deals
    admin = bearer(settings, "admin", ["*"])

    async def snapshot() -> dict:
        out = {}
        for name in BOOKS:
            out[name] = (await client.get(f"/v1/reports/{name}", params=BOTH_DAYS, headers=auth)).json()
        for group_by in ("channel", "partner", "referrer", "product_type"):
            out[group_by] = (await client.get("/v1/reports/sales", params={**BOTH_DAYS, "group_by": group_by}, headers=auth)).json()
        out["funnel"] = (await client.get("/v1/reports/funnel", params={**BOTH_DAYS, "from": "2026-03-09"}, headers=auth)).json()
        return out

    live = await snapshot()
    assert live["sales"]["total"]["units"] == 2 and live["deal-changes"]["total"]["cancellations"] == 2
    r = await client.post("/v1/reports/rebuild", headers=admin)
    assert r.status_code == 202, r.text
    generation = r.json()["generation"]

    async def switched():
        s = (await client.get("/v1/reports/rebuild", headers=admin)).json()
        return s["current"] == generation and s["last"]["state"] == "done"

    assert await eventually(switched, timeout=60), "rebuild did not finish"
    assert await snapshot() == live
