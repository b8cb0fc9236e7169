"""What a report's sheet says: staff by name, codes as words, in zh-CN (default) or en."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from crm_reports.exports.files import to_csv, to_xlsx
from crm_reports.exports.present import Names, present, present_board
from crm_reports.exports.tables import label, table

pytestmark = pytest.mark.unit
LI, ZHOU, GONE = "01a22b23-0000-7000-8000-000000000001", "01a22b23-0000-7000-8000-000000000002", "01a22b23-dead"
NAMES = Names(staff={LI: "李娜", ZHOU: "周强"}, lost_reasons={"price": "价格"})


def sheet(report: str, data: dict, names: Names = NAMES, locale: str = "zh-CN") -> list[list[str]]:
    columns, rows = table(present(report, data, names, locale))
    return list(csv.reader(io.StringIO(to_csv(columns, rows, locale).decode("utf-8-sig"))))


def test_daily_traffic_names_consultants_and_channels():
    data = {"items": [{"date": "2026-03-10", "new_leads": 3, "by_channel": {"phone": 2, "walk_in": 1},
                       "by_consultant": {LI: 2, "unassigned": 1}, "visits_by_consultant": {ZHOU: 1}, "visits": 1}]}
    header, row = sheet("daily-traffic", data)
    assert header == ["日期", "新增客户", "新增客户按渠道：来电", "新增客户按渠道：自然到访", "新增客户按顾问：李娜",
                      "新增客户按顾问：未分配", "接待到访按顾问：周强", "到访"]
    assert row == ["2026-03-10", "3", "2", "1", "2", "1", "1", "1"]


def test_a_consultant_the_branch_never_named_and_two_of_one_name_stay_apart():
    names = Names(staff={LI: "张伟", ZHOU: "张伟"})
    data = {"group_by": "consultant", "items": [{"group": g, "name": None, "leads": 1} for g in (LI, ZHOU, GONE, "x2")]}
    header, *rows = sheet("funnel", data, names)
    assert header == ["分组", "客户数"] and [r[0] for r in rows] == ["张伟", "张伟2", "未知顾问1", "未知顾问2"]


def test_funnel_by_channel_follow_up_and_lost_reasons_in_words():
    funnel = sheet("funnel", {"group_by": "channel", "items": [{"group": "referral", "leads": 2, "visit_rate": 0.5}]})
    assert funnel == [["分组", "客户数", "到访率"], ["转介绍", "2", "0.5"]]
    compliance = {"items": [{"consultant_id": LI, "name": "李娜", "follow_ups": 3, "overdue": 1,
                             "missed": {"1": 1, "2": 0, "3+": 0}, "age": {"0-1": 1, "15+": 0}, "compliance_rate": 0.75}]}
    header, row = sheet("follow-up-compliance", compliance)
    assert header == ["置业顾问", "跟进", "逾期次数", "跟进及时率", "漏跟次数：1次", "漏跟次数：2次", "漏跟次数：3次及以上",
                      "逾期天数：0-1天", "逾期天数：15天以上"]
    assert row[0] == "李娜"
    lost = {"items": [{"reason": "price", "count": 2, "share": 0.5, "by_stage": {"visited": 1, "negotiating": 1}},
                      {"reason": "离得太远", "count": 2, "share": 0.5, "by_stage": {"new": 2}}]}
    header, *rows = sheet("lost-reasons", lost)
    assert header == ["流失原因", "数量", "占比", "流失阶段：已到访", "流失阶段：洽谈中", "流失阶段：新客户"]
    assert [r[0] for r in rows] == ["价格", "离得太远"], "a code of the branch's list as its word; older free text as written"


def test_partners_grades_receptions_and_boards_in_words():
    partners = {"items": [{"partner_id": "p-1", "reports": 2, "rejection_reasons": {"open_lead": 1, "reported_first": 1}}]}
    assert sheet("partners", partners, Names(partners={"p-1": "链家地产"}))[0:2] == [
        ["渠道商", "报备", "驳回原因：已有在跟客户", "驳回原因：他人已先报备"], ["链家地产", "2", "1", "1"]]
    assert sheet("grades", {"items": [{"grade": "O", "new_leads": 1}]})[1][0] == "O级"
    assert sheet("receptions", {"items": [{"class": "A", "requested": 1}]})[1][0] == "A类"
    rows = present_board([{"metric": "new_leads", "value": 5, "previous": 3, "change": 2},
                          {"metric": "compliance_rate", "value": 0.8333, "previous": None, "change": None},
                          {"metric": "reception_spent", "value": 600.0, "previous": 0.0, "change": None}])
    assert [(r["metric"], r["value"]) for r in rows] == [("新增客户", 5), ("跟进及时率", "83.3%"), ("接待花费", 600.0)]


def test_english_sheets_and_a_sheet_title_excel_accepts():
    data = {"items": [{"date": "2026-03-10", "new_leads": 1, "by_channel": {"phone": 1}, "by_consultant": {LI: 1}}]}
    assert sheet("daily-traffic", data, locale="en")[0] == ["Date", "New customers", "New by channel: Phone",
                                                            "New by consultant: 李娜"]
    columns, rows = table(present("daily-traffic", data, NAMES))
    book = load_workbook(io.BytesIO(to_xlsx("客流量统计/日报[3月]", columns, rows)))
    assert book.active.title == "客流量统计 日报 3月 " and book.active["D1"].value == "新增客户按顾问：李娜"
    assert label("by_consultant.=cmd") == "新增客户按顾问：=cmd"
