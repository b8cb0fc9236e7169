"""Sales (销售业绩), 换房/退房一览表, 特殊优惠客户一览表 and the funnel's deal stages, from deals' events on the
real stack (issue 18): every dimension, a cancellation after signing on its own date, a unit change
moving the product type, redeliveries counting once."""

from __future__ import annotations

import pytest

from tests.reports.builders import BRANCH
from tests.reports.conftest import publish_all
from tests.reports.deal_builders import deal_days
from tests.support.runtime import bearer

BOTH_DAYS = {"branch_id": BRANCH, "from": "2026-03-10", "to": "2026-03-11"}
TENTH = {"branch_id": BRANCH, "from": "2026-03-10", "to": "2026-03-10"}


@pytest.fixture
async def deals(reports):
    settings, ctx, client = reports
    events = deal_days()
    again = tuple(i for i, e in enumerate(events) if e.type in ("deal.signed", "deal.cancelled", "deal.unit_changed",
                                                                  "deal.price_approved", "payout.paid"))
    await publish_all(settings, ctx, events, redeliver=again)
    return settings, ctx, client, bearer(settings, "manager", [BRANCH], sub="m1")


async def _sales(client, auth, group_by: str, params=BOTH_DAYS) -> dict:
    r = await client.get("/v1/reports/sales", params={**params, "group_by": group_by}, headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


async def test_sales_by_product_type_follow_cancellations_and_unit_changes(deals):
    _, _, client, auth = deals
    body = await _sales(client, auth, "product_type")
    rows = {i["group"]: i for i in body["items"]}
    assert [i["group"] for i in body["items"]][:7] == ["apartment", "high_rise", "garden_house", "villa", "shop",
                                                       "parking", "other"], "every product type is listed"
    assert (rows["apartment"]["name"], rows["apartment"]["units"], rows["apartment"]["amount"]) == ("公寓", 1, "1950000.00")
    villa, garden = rows["villa"], rows["garden_house"]
    assert (villa["signed"], villa["moved"], villa["units"], villa["amount"]) == (1, -1, 0, "0.00"), "D2 moved off the villa"
    assert (garden["signed"], garden["cancelled"], garden["moved"], garden["units"]) == (1, 1, 1, 1)
    assert garden["amount"] == "2900000.00" and garden["refund"] == "100000.00" and garden["name"] == "洋房"
    assert body["total"]["units"] == 2 and body["total"]["amount"] == "4850000.00"
    assert body["total"]["collected_amount"] == "1950000.00" and body["branches"] == [{"id": BRANCH, "name": "深圳湾售楼处"}]


async def test_sales_by_consultant_partner_referrer_and_channel_with_names(deals):
    _, _, client, auth = deals
    staff = {i["group"]: i for i in (await _sales(client, auth, "consultant"))["items"]}
    assert (staff["c1"]["name"], staff["c1"]["signed"], staff["c1"]["cancelled"], staff["c1"]["units"]) == ("张三", 2, 1, 1)
    assert (staff["c2"]["name"], staff["c2"]["units"], staff["c2"]["amount"]) == ("李四", 1, "2900000.00")
    assert staff["c2"]["moved_amount"] == "-1800000.00", "the unit change lowered the price on its date"
    partners = {i["group"]: i for i in (await _sales(client, auth, "partner"))["items"]}
    assert (partners["p1"]["name"], partners["p1"]["units"]) == ("链家湾区店", 1)
    assert (partners["none"]["name"], partners["none"]["units"]) == ("无渠道商", 1)
    referrers = {i["group"]: i for i in (await _sales(client, auth, "referrer"))["items"]}
    assert (referrers["r1"]["name"], referrers["r1"]["signed"], referrers["r1"]["units"]) == ("李业主", 1, 0)
    channels = {i["group"]: (i["name"], i["units"]) for i in (await _sales(client, auth, "channel"))["items"]}
    assert channels == {"phone": ("来电", 1), "partner": ("渠道", 1), "referral": ("转介绍", 0)}


async def test_a_signing_counts_on_its_branch_date_and_a_cancellation_on_its_own(deals):
    _, _, client, auth = deals
    tenth = await _sales(client, auth, "product_type", TENTH)
    assert tenth["total"]["signed"] == 3 and tenth["total"]["units"] == 3 and tenth["total"]["amount"] == "9650000.00"
    eleventh = await _sales(client, auth, "product_type", {**TENTH, "from": "2026-03-11", "to": "2026-03-11"})
    assert (eleventh["total"]["signed"], eleventh["total"]["cancelled"], eleventh["total"]["units"]) == (0, 1, -1)
    assert eleventh["total"]["amount"] == "-4800000.00", "a closed day keeps its sales; later changes count on their day"


async def test_deal_changes_list_every_cancellation_and_unit_change_with_reasons(deals):
    _, _, client, auth = deals
    r = await client.get("/v1/reports/deal-changes", params=BOTH_DAYS, headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(i["date"], i["change_kind"], i["customer"]) for i in body["items"]] == [
        ("2026-03-10", "cancel", "孙女士"), ("2026-03-11", "cancel", "钱先生"), ("2026-03-11", "unit_change", "赵女士")]
    before, after, moved = body["items"]
    assert (before["stage"], before["reason_name"], before["refund"], before["unit"]) == ("subscribed", "客户资金不足", "0.00",
                                                                                           "湾区壹号 4栋 1201")
    assert (after["stage"], after["reason_name"], after["refund"], after["consultant"]) == ("signed", "贷款未获批准",
                                                                                             "100000.00", "张三")
    assert (moved["unit"], moved["new_unit"], moved["previous_price"], moved["agreed_price"]) == (
        "湾区壹号 2栋 1201", "湾区壹号 3栋 1201", "4700000.00", "2900000.00")
    assert body["total"] == {"cancellations": 2, "unit_changes": 1, "refund": "100000.00"}
    assert {(g["reason_name"], g["count"]) for g in body["by_reason"]} == {("客户资金不足", 1), ("贷款未获批准", 1), ("换购更小户型", 1)}


async def test_discounts_list_one_line_per_approved_price(deals):
    _, _, client, auth = deals
    r = await client.get("/v1/reports/discounts", params=BOTH_DAYS, headers=auth)
    assert r.status_code == 200, r.text
    (line,) = r.json()["items"]
    assert (line["customer"], line["consultant"], line["unit"], line["product_type"]) == ("赵女士", "李四", "湾区壹号 2栋 1201",
                                                                                          "villa")
    assert (line["list_price"], line["agreed_price"], line["discount"], line["discount_rate"]) == (
        "5000000.00", "4700000.00", "300000.00", 0.06)
    assert (line["approved_by"], line["note"]) == ("王经理", "老客户团购")
    assert r.json()["total"] == {"count": 1, "discount": "300000.00"}


async def test_the_funnel_gains_the_deal_stages_and_keeps_its_fields(deals):
    _, _, client, auth = deals
    r = await client.get("/v1/reports/funnel", params={**BOTH_DAYS, "from": "2026-03-09"}, headers=auth)
    assert r.status_code == 200, r.text
    total = r.json()["total"]
    assert total == {"leads": 4, "visited": 0, "won": 0, "lost": 0, "visit_rate": 0.0, "win_rate": None,
                     "conversion_rate": 0.0}, "the total keeps exactly its fields"
    stages = [(s["stage"], s["count"], s["step_rate"]) for s in r.json()["stages"]]
    assert stages == [("leads", 4, None), ("visited", 0, 0.0), ("subscribed", 4, None), ("signed", 3, 0.75), ("paid", 1, 0.3333)]
    by_channel = r.json()["deal_stages"]
    assert by_channel["phone"] == {"subscribed": 1, "signed": 1, "paid": 1, "subscribe_rate": None, "sign_rate": 1.0}
    assert (by_channel["partner"]["signed"], by_channel["walk_in"]["signed"], by_channel["walk_in"]["subscribed"]) == (1, 0, 1)
    assert set(r.json()["items"][0]) == {"group", "leads", "visited", "won", "lost", "visit_rate", "win_rate", "conversion_rate"}
    sheet = await client.get("/v1/reports/funnel", params={**BOTH_DAYS, "from": "2026-03-09", "format": "csv"}, headers=auth)
    header = sheet.content.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:5] == ["分组", "客户数", "到访数", "成交数", "流失数"] and header[-5:] == ["认购数", "签约套数", "全款到账数", "认购率",
                                                                                   "签约率"]
