"""Pure rules: keys, month buckets, sums, age buckets, rates, tables, CSV/XLSX, periods, ranges."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from crm_reports.exports.files import to_csv, to_xlsx
from crm_reports.exports.tables import label, number_format, table
from crm_reports.projections.buckets import bucket_id, key, unkey
from crm_reports.projections.funnel import stage_counters, stages_reached
from crm_reports.projections.outcomes import age_bucket, grade_direction, missed_bucket
from crm_reports.queries import rules
from crm_reports.queries.boards import month_of, previous_period, week_of
from crm_reports.queries.params import check_range
from crm_reports.queries.tally import merge, rate
from crm_shared.errors import Invalid


@pytest.mark.parametrize("text", ["a.b", "$x", "100%.$", "价格.太高", "plain"])
def test_free_text_keys_round_trip_without_dots_or_dollars(text):
    k = key(text)
    assert "." not in k and not k.startswith("$") and unkey(k) == text


def test_empty_key_is_unknown_and_long_keys_are_cut():
    assert key(None) == "unknown" and key("") == "unknown" and len(key("x" * 500)) == 100


def test_one_bucket_per_branch_and_local_date():
    assert bucket_id("sz-bay", date(2026, 3, 10)) == "sz-bay:2026-03-10"


def test_merge_sums_nested_maps_keeps_max_and_unescapes_once():
    merged = merge([{"a": 1, "m": {"x%2Ey": 2, "max_missed": 3}}, {"a": 2, "m": {"x%2Ey": 1, "max_missed": 1}}, None])
    assert merged == {"a": 3, "m": {"x.y": 3, "max_missed": 3}}


@pytest.mark.parametrize("days,label_", [(0, "0-1"), (1, "0-1"), (2, "2-3"), (7, "4-7"), (14, "8-14"), (15, "15+")])
def test_overdue_age_buckets(days, label_):
    assert age_bucket(days) == label_


def test_missed_and_grade_direction():
    assert [missed_bucket(n) for n in (1, 2, 3, 9)] == ["1", "2", "3+", "3+"]
    assert grade_direction("B", "A") == "up" and grade_direction("A", "C") == "down"
    assert grade_direction(None, "A") == "set" and grade_direction("A", "A") == "same"


def test_funnel_counts_nothing_before_the_registration_is_known():
    assert stages_reached({"visited": True, "won": True}) == []
    lead = {"registered_day": "2026-03-10", "visited": True, "won": True, "channel": "phone", "consultant": "c.1"}
    assert stages_reached(lead) == ["leads", "visited", "won"]
    assert stage_counters(lead, "won") == {"funnel.total.won": 1, "funnel.channel.phone.won": 1, "funnel.consultant.c%2E1.won": 1}


def test_rates_round_and_have_no_value_on_a_zero_base():
    assert rate(1, 3) == 0.3333 and rate(0, 0) is None and rate(2, 2) == 1.0


def test_daily_traffic_has_a_row_for_every_date_including_empty_ones():
    days = {"2026-03-02": {"new_leads": 2, "by_channel": {"phone": 2}, "visits": 1}}
    out = rules.daily_traffic(days, date(2026, 3, 1), date(2026, 3, 3))
    assert [i["date"] for i in out["items"]] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert out["items"][0]["new_leads"] == 0 and out["items"][1]["by_channel"] == {"phone": 2}
    assert out["totals"]["new_leads"] == 2 and out["totals"]["visits"] == 1


def test_funnel_rates_per_group():
    days = {"2026-03-01": {"funnel": {"channel": {"phone": {"leads": 4, "visited": 2, "won": 1}}, "total": {"leads": 4}}}}
    row = rules.funnel(days, "channel")["items"][0]
    assert (row["visit_rate"], row["win_rate"], row["conversion_rate"]) == (0.5, 0.5, 0.25)


def test_receptions_spend_ratio_and_feedback_rate():
    days = {"d": {"receptions": {"B": {"completed": 2, "budget": 1000.0, "spent": 900.0, "feedback_on_time": 1, "feedback_late": 1}}}}
    b = {i["class"]: i for i in rules.receptions(days)["items"]}["B"]
    assert (b["spend_ratio"], b["on_time_rate"]) == (0.9, 0.5)


def test_table_flattens_maps_into_columns_and_fills_missing_counters_with_zero():
    columns, rows = table([{"date": "d1", "by_channel": {"phone": 1}}, {"date": "d2", "by_channel": {"online": 2}}])
    assert columns == ["date", "by_channel.phone", "by_channel.online"]
    assert rows == [["d1", 1, 0], ["d2", 0, 2]]
    assert label("by_channel.来电") == "新增客户按渠道：来电" and label("by_consultant.张三") == "新增客户按顾问：张三"
    assert number_format("visit_rate") == "0.0%" and number_format("amount") == "#,##0.00" and number_format("leads") == "#,##0"


def test_csv_starts_with_a_bom_and_xlsx_freezes_the_header():
    data = to_csv(["reason", "count"], [["价格太高", 3]])
    assert data.startswith(b"\xef\xbb\xbf") and "流失原因,数量\r\n价格太高,3" in data.decode("utf-8-sig")
    ws = load_workbook(io.BytesIO(to_xlsx("lost", ["reason", "share"], [["价格太高", 0.25]]))).active
    assert ws.freeze_panes == "B2" and ws["A1"].value == "流失原因" and ws["B2"].number_format == "0.0%"


def test_board_periods():
    assert week_of(date(2026, 3, 11)) == (date(2026, 3, 9), date(2026, 3, 15))
    assert month_of(date(2026, 2, 10)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert previous_period("weekly", date(2026, 3, 9)) == (date(2026, 3, 2), date(2026, 3, 8))
    assert previous_period("monthly", date(2026, 1, 1)) == (date(2025, 12, 1), date(2025, 12, 31))


def test_date_range_rules():
    check_range(date(2026, 1, 1), date(2026, 12, 31))
    with pytest.raises(Invalid):
        check_range(date(2026, 1, 2), date(2026, 1, 1))
    with pytest.raises(Invalid):
        check_range(date(2025, 1, 1), date(2026, 1, 2))


def test_free_text_never_becomes_a_formula():
    data = to_csv(["reason", "count"], [["=HYPERLINK(\"http://x\")", 1], ["-1+2", 2]]).decode("utf-8-sig")
    assert "'=HYPERLINK" in data and "'-1+2" in data
    ws = load_workbook(io.BytesIO(to_xlsx("lost", ["reason", "count"], [["=1+1", 1]]))).active
    assert ws["A2"].value == "'=1+1" and ws["A2"].data_type == "s" and ws["B2"].value == 1
