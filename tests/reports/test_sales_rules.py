"""Pure rules of the deals and customers reports: money strings, where a deal counts, moves, rates."""

from __future__ import annotations

import pytest

from crm_reports.projections.sales import dimensions, move_counters, sale_counters
from crm_reports.queries import care_rules, deal_rules
from crm_reports.queries.scope import BRANCHES_PATTERN
from crm_shared.events.deals import Attribution

pytestmark = pytest.mark.unit


def test_money_is_a_decimal_string_with_two_places_and_its_sign():
    assert [deal_rules.money(v) for v in (0, 5, 298000000, -150000, 12.0, None)] == [
        "0.00", "0.05", "2980000.00", "-1500.00", "0.12", "0.00"]


def test_a_deal_counts_under_its_partner_referrer_channel_and_product_type():
    dims = dimensions("c1", Attribution(partner_id="p.1"), None, "phone")
    assert dims == {"total": "all", "consultant": "c1", "channel": "partner", "partner": "p.1", "referrer": "none",
                    "product_type": "other"}
    assert dimensions(None, Attribution(referrer_id="r1"), "villa", "walk_in")["channel"] == "referral"
    assert dimensions(None, Attribution(), "villa", None)["channel"] == "unknown"
    counters = sale_counters(dims, {"signed": 1, "refund": 0})
    assert counters["sales.partner.p%2E1.signed"] == 1 and not any(k.endswith("refund") for k in counters)


def test_a_move_takes_the_deal_out_of_the_old_key_and_into_the_new_one():
    before = {"total": "all", "product_type": "villa"}
    after = {"total": "all", "product_type": "garden_house"}
    assert move_counters(before, after, 470, 290) == {
        "sales.total.all.moved_amount": -180, "sales.product_type.villa.moved": -1,
        "sales.product_type.villa.moved_amount": -470, "sales.product_type.garden_house.moved": 1,
        "sales.product_type.garden_house.moved_amount": 290}
    assert move_counters(before, before, 100, 100) == {}


def test_sold_units_are_signed_less_cancelled_plus_moves():
    row = deal_rules.sales_row({"signed": 3, "cancelled": 1, "moved": -1, "signed_amount": 900, "cancelled_amount": 300,
                                "moved_amount": -250, "refund": 50})
    assert (row["units"], row["amount"], row["refund"], row["collected_amount"]) == (1, "3.50", "0.50", "0.00")


def _deadline(cid: str, deadline: str = "handling", missed: bool = False, category: str = "service") -> dict:
    return {"complaint_id": cid, "deadline": deadline, "category": category, **({"missed": True} if missed else {})}


def test_overdue_rate_and_average_days_to_close():
    days = {"d1": {"complaints": {"service": {"received": 2, "closed": 2, "timed": 2, "days_to_close": 5.5}}}}
    lines = [_deadline("K1", missed=True), _deadline("K2"), _deadline("K3"), _deadline("K4"), _deadline("K1", "report")]
    body = care_rules.complaints(days, lines)
    service = [i for i in body["items"] if i["category"] == "service"][0]
    assert (service["handling_due"], service["handling_missed"], service["report_due"]) == (4, 1, 1)
    assert (service["overdue_rate"], service["avg_days_to_close"]) == (0.25, 2.8)
    assert [i["category"] for i in body["items"]] == list(care_rules.COMPLAINT_CATEGORIES)


def test_a_complaint_counts_once_in_the_overdue_rate_however_often_reopened():
    """Deadlines of one complaint on several dates (reopened): due once, overdue once if any was missed."""
    lines = [_deadline("K1", missed=True), _deadline("K1", missed=True), _deadline("K1", "report", missed=True),
             _deadline("K1", "report", missed=True), _deadline("K2", category="quality"),
             _deadline("K2", missed=True, category="quality"), _deadline("K2", category="quality")]
    body = care_rules.complaints({}, lines)
    rows = {i["category"]: i for i in body["items"]}
    assert (rows["service"]["handling_due"], rows["service"]["handling_missed"], rows["service"]["overdue_rate"]) == (1, 1, 1.0)
    assert (rows["service"]["report_due"], rows["service"]["report_missed"]) == (1, 1)
    assert (rows["quality"]["handling_due"], rows["quality"]["handling_missed"], rows["quality"]["overdue_rate"]) == (1, 1, 1.0)
    total = body["total"]
    assert (total["handling_due"], total["handling_missed"], total["overdue_rate"], total["report_due"]) == (2, 2, 1.0, 1)


@pytest.mark.parametrize("value,ok", [("sz-bay", True), ("sz-bay,gz-tianhe", True), ("*", True), ("sz-bay,", False),
                                      ("SZ", False), ("a,*", False), ("a;b", False)])
def test_the_branch_list_of_a_roll_up(value, ok):
    import re

    assert bool(re.match(BRANCHES_PATTERN, value)) is ok
