"""The import's pure rules: header synonyms, channel/grade/gender words, dates, phones, staff names, encodings."""

from datetime import UTC, datetime

import pytest

from crm_leads.imports import columns, messages, sheets
from crm_leads.imports.rules import Owners, RowError, Setting, prepare
from crm_shared.errors import Invalid

NOW = datetime(2025, 6, 1, 4, 0, tzinfo=UTC)
STAFF = [
    {"_id": "s1", "name": "张三", "role": "consultant", "active": True},
    {"_id": "s2", "name": "王芳", "role": "consultant", "active": True},
    {"_id": "s3", "name": "王 芳", "role": "manager", "active": True},
    {"_id": "s4", "name": "赵六", "role": "consultant", "active": False},
    {"_id": "s5", "name": "小李", "role": "reception", "active": True},
]


def setting(**over) -> Setting:
    return Setting(region="CN", timezone="Asia/Shanghai", now=NOW, owners=Owners.of(STAFF), **over)


def row(**cells) -> dict:
    return prepare({"name": "王先生", "phone": "13812345678", **cells}, setting())


@pytest.mark.parametrize("header,field", [
    ("客户姓名", "name"), ("姓名*", "name"), ("手机号码（必填）", "phone"), ("手机", "phone"), ("联系电话", "phone"),
    ("Phone", "phone"), ("意向等级", "grade"), ("等级", "grade"), ("置业顾问", "owner"), ("顾问", "owner"),
    ("来源渠道", "channel"), ("渠道", "channel"), ("登记日期", "date"), ("来访日期", "date"), ("性别", "gender"),
    ("备注", "interest"), ("意向", "interest"), ("推荐人", "referrer"), ("活动名称", "campaign"), ("ｎａｍｅ", "name"),
    ("无关", None), ("", None), (None, None),
])
def test_header_synonyms(header, field):
    assert columns.field_of(header) == field


@pytest.mark.parametrize("word,channel", [
    ("来电", "phone"), ("自然到访", "walk_in"), ("到访", "walk_in"), ("渠道", "partner"), ("中介", "partner"),
    ("老带新", "referral"), ("推荐", "referral"), ("网络", "online"), ("线上", "online"), ("活动", "event"),
    ("walk_in", "walk_in"), (" 来 电 ", "phone"), ("朋友圈", None),
])
def test_channel_words(word, channel):
    assert columns.channel_of(word) == channel


@pytest.mark.parametrize("word,grade", [("A", "A"), ("a", "A"), ("Ａ", "A"), ("O级", "O"), ("B类客户", "B"),
                                        ("O级（一个月内）", "O"), ("c", "C"), ("D", None), ("AB", None), ("高", None)])
def test_grade_words(word, grade):
    assert columns.grade_of(word) == grade


@pytest.mark.parametrize("cell,expected", [
    ("2024-03-05", datetime(2024, 3, 4, 16, tzinfo=UTC)),
    ("2024/3/5", datetime(2024, 3, 4, 16, tzinfo=UTC)),
    ("2024.03.05", datetime(2024, 3, 4, 16, tzinfo=UTC)),
    ("2024年3月5日", datetime(2024, 3, 4, 16, tzinfo=UTC)),
    ("20240305", datetime(2024, 3, 4, 16, tzinfo=UTC)),
    ("2024-03-05 14:30", datetime(2024, 3, 5, 6, 30, tzinfo=UTC)),
    ("2024/3/5 9:05:10", datetime(2024, 3, 5, 1, 5, 10, tzinfo=UTC)),
    ("45356", datetime(2024, 3, 4, 16, tzinfo=UTC)),  # an Excel serial date
    ("2024-03-05T10:00:00+00:00", datetime(2024, 3, 5, 10, tzinfo=UTC)),
    (datetime(2024, 3, 5, 8, 0), datetime(2024, 3, 5, 0, 0, tzinfo=UTC)),  # an XLSX date cell, branch wall clock
])
def test_registration_dates_as_offices_write_them(cell, expected):
    assert row(date=cell)["registered_at"] == expected


@pytest.mark.parametrize("cell,code", [("2024-13-01", "bad_date"), ("昨天", "bad_date"), ("2099-01-01", "future_date"),
                                       ("1999-12-31", "old_date")])
def test_dates_that_cannot_be_kept_refuse_the_row(cell, code):
    with pytest.raises(RowError) as err:
        row(date=cell)
    assert err.value.code == code and err.value.params == {"value": cell}


def test_phones():
    assert row(phone="138 1234 5678")["phone"] == "+8613812345678"
    assert row(phone="+86-138-1234-5678")["phone_masked"] == "138****5678"
    two = row(phone="13812345678/13987654321")
    assert two["phone"] == "+8613812345678" and two["warnings"] == [{"code": "extra_phones", "value": "13987654321"}]
    for cell, code in (("1.38123E+10", "phone_scientific"), ("12345", "bad_phone"), ("138****5678", "bad_phone"),
                       ("", "no_phone")):
        with pytest.raises(RowError) as err:
            row(phone=cell)
        assert err.value.code == code, cell


def test_staff_by_name_or_id_else_the_pool_with_a_warning():
    assert row(owner="张三")["owner_id"] == "s1"
    assert row(owner=" 张 三 ")["owner_id"] == "s1"
    assert row(owner="s1")["owner_id"] == "s1"
    cases = {"王芳": "owner_ambiguous", "赵六": "owner_left", "小李": "owner_not_consultant", "不认识": "owner_unknown",
             "s4": "owner_left", "s5": "owner_not_consultant"}
    for name, code in cases.items():
        lead = row(owner=name)
        assert lead["owner_id"] is None and lead["warnings"][0]["code"] == code, name
    assert row(owner="王芳")["warnings"][0]["count"] == 2


def test_values_that_can_only_be_left_out_warn():
    lead = row(gender="保密", grade="D", email="no-at-sign", birthday="1890-01-01", channel="朋友圈", campaign=None)
    assert (lead["gender"], lead["grade"], lead["email"], lead["birthday"], lead["channel"]) == (None, None, None, None, "import")
    assert [w["code"] for w in lead["warnings"]] == ["gender_unknown", "email_bad", "birthday_bad", "grade_unknown", "channel_unknown"]
    assert lead["campaign"] == "朋友圈"
    good = row(gender="女士", birthday="1985-04-02", email="a@b.cn", channel="来电", campaign="五一暖场")
    assert (good["gender"], good["birthday"], good["email"], good["channel"], good["campaign"]) == (
        "female", "1985-04-02", "a@b.cn", "phone", "五一暖场")
    assert prepare({"name": "王", "phone": "13812345678"}, setting(default_channel="event"))["channel"] == "event"


def test_what_refuses_a_row():
    for cells, code in (({"name": None}, "no_name"), ({"name": "\u200b"}, "no_name"), ({"name": "李\u0001四"}, "bad_text"),
                        ({"interest": "bad\u0000note"}, "bad_text"), ({"interest": "长" * 1001}, "too_long")):
        with pytest.raises(RowError) as err:
            row(**cells)
        assert err.value.code == code, cells


def test_every_reason_has_words_in_both_languages():
    for code, (zh, en) in messages.TEXT.items():
        assert zh and en, code
    said = messages.say({"code": "too_long", "field": "interest", "max": 1000}, "zh-CN")
    assert said == "「备注」超过1000个字"
    assert messages.say({"code": "channel_unknown", "value": "x", "channel": "import"}, "en") == \
        "channel \"x\" is not known: recorded as \"import\""


def test_csv_encodings_and_separators():
    text = "客户姓名,手机号码\n王五,13812345678\n"
    for data in (text.encode("utf-8"), text.encode("utf-8-sig"), text.encode("gbk"), text.encode("gb18030"),
                 "\ufeff".encode("utf-16-le") + text.replace(",", "\t").encode("utf-16-le")):
        sheet = sheets.read(data, "x.csv")
        assert sheet.rows == [{"n": 2, "cells": {"name": "王五", "phone": "13812345678"}}], data[:20]
    semicolons = sheets.read("name;phone\nAnn;13812345678\n".encode(), "x.csv")
    assert semicolons.rows[0]["cells"] == {"name": "Ann", "phone": "13812345678"}


def test_the_header_may_sit_below_a_title_and_blank_rows_are_skipped():
    data = "客户登记表\n\n客户姓名,手机号码,备注,备注2\n王五,13812345678,三居,\n,,,\n李四,13912345678,,\n".encode("gbk")
    sheet = sheets.read(data, "x.csv")
    assert sheet.headers == ["客户姓名", "手机号码", "备注", "备注2"] and sheet.ignored == ["备注2"]
    assert [r["n"] for r in sheet.rows] == [4, 6]


def test_a_sheet_without_the_columns_says_which_and_what_it_found():
    with pytest.raises(Invalid) as err:
        sheets.read("名称,号码\n王,138\n".encode("gbk"), "x.csv")
    assert err.value.kind == "missing-columns" and err.value.fields["headers"] == ["名称", "号码"]
