"""Pure rules of archives, key accounts and evaluations: numbers, dates, deadlines, tiers, scores and grades."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from crm_shared.errors import Invalid
from crm_customers.archives import rules
from crm_customers.evaluations import rules as ev

pytestmark = pytest.mark.unit
TABLE = [dict(i) for i in ev.DEFAULT_INDICATORS]


def test_numbers_are_per_branch_with_six_digits_and_grow_past_them():
    assert rules.number("", 123) == "000123"
    assert rules.number("DA", 123) == "DA-000123"
    assert rules.number("DA", 1234567) == "DA-1234567"


def test_important_dates_are_month_day_or_full_dates():
    assert rules.month_day("05-20") == (None, 5, 20)
    assert rules.month_day("2015-05-20") == (2015, 5, 20)
    assert rules.month_day("02-29") == (None, 2, 29)  # a yearly date on leap days
    for bad in ("5-20", "13-01", "2015-02-30", "0999-01-01", "春节", ""):
        with pytest.raises(ValueError):
            rules.month_day(bad)
    assert rules.stored_dates([{"name": "结婚纪念日", "date": "05-20"}]) == [
        {"name": "结婚纪念日", "date": "05-20", "year": None, "month": 5, "day": 20}]


def test_the_review_is_due_at_the_end_of_the_seventh_branch_local_day():
    opened = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)  # 01:00 on 2 March in Shanghai
    assert rules.review_due(opened, 7, "Asia/Shanghai") == datetime(2026, 3, 9, 16, 0, tzinfo=UTC)  # 10 March 00:00 local


def test_the_branch_list_is_its_managers_and_the_group_list_an_admins():
    assert rules.may_decide("manager", "branch") and rules.may_decide("admin", "branch")
    assert rules.may_decide("admin", "group")
    assert not rules.may_decide("manager", "group")
    assert not rules.may_decide("consultant", "branch")
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert rules.key_account("core", "group", "a1", at) == {"level": "group", "approved_by": "a1", "approved_at": at}
    assert rules.key_account("general", "group", "a1", at) is None


def test_sheet_words_for_category_tier_and_dates():
    assert rules.category_of("业主") == "owner" and rules.category_of(" 会员 ") == "member"
    assert rules.category_of(None) == "owner" and rules.category_of("VIP") is None
    assert rules.tier_of("核心") == "core" and rules.tier_of("重点客户") == "key" and rules.tier_of("") == "general"
    assert rules.tier_of("特级") is None
    assert rules.day_of("2020年5月1日") == date(2020, 5, 1) == rules.day_of("2020/5/1")
    assert rules.day_of(datetime(2020, 5, 1)) == date(2020, 5, 1)
    assert rules.day_of("2020-02-30") is None and rules.day_of("明年") is None


@pytest.mark.parametrize(("score", "grade"), [("100", "A"), ("85", "A"), ("85.00", "A"), ("84.99", "B"), ("70", "B"),
                                              ("69.99", "C"), ("55", "C"), ("54.99", "D"), ("0", "D")])
def test_grades_at_the_thresholds(score, grade):
    assert ev.grade(Decimal(score)) == grade


def test_the_score_is_the_weighted_sum_in_decimal_rounded_half_up():
    scores = {"purchase_amount": Decimal(90), "referrals": Decimal(80), "communication": Decimal("85.5"),
              "satisfaction": Decimal(88), "complaints": Decimal(100)}
    # 90*30 + 80*20 + 85.5*15 + 88*20 + 100*15 = 2700 + 1600 + 1282.5 + 1760 + 1500 = 8842.5 -> 88.425 -> 88.43
    assert ev.weighted(TABLE, scores) == Decimal("88.43")
    assert ev.text(ev.weighted(TABLE, dict.fromkeys(scores, Decimal(85)))) == "85.00"
    exact = [{"key": "a", "name": "甲", "weight": 1}, {"key": "b", "name": "乙", "weight": 99}]
    assert ev.weighted(exact, {"a": Decimal("0.01"), "b": Decimal("84.99")}) == Decimal("84.14")  # no float drift
    assert ev.grade(ev.weighted(TABLE, dict.fromkeys(scores, Decimal("84.99")))) == "B"


def test_weights_sum_to_100_and_keys_are_distinct():
    ev.check_indicators(TABLE)
    with pytest.raises(Invalid) as bad:
        ev.check_indicators(TABLE[:-1])
    assert bad.value.kind == "weights-not-100" and bad.value.fields["weight_sum"] == 85
    with pytest.raises(Invalid) as twice:
        ev.check_indicators([{"key": "a", "name": "甲", "weight": 50}, {"key": "a", "name": "乙", "weight": 50}])
    assert twice.value.kind == "duplicate-indicator"


def test_every_indicator_is_scored_and_none_else():
    full = {i["key"]: Decimal(80) for i in TABLE}
    ev.check_scores(TABLE, full)
    with pytest.raises(Invalid) as bad:
        ev.check_scores(TABLE, {**{k: v for k, v in full.items() if k != "referrals"}, "looks": Decimal(1)})
    assert bad.value.fields["missing"] == ["referrals"] and bad.value.fields["unknown"] == ["looks"]


def test_recommendations_by_grade_and_the_account_managers_choice_within_it():
    assert [ev.recommendation(g) for g in "ABCD"] == ["maintain", "maintain", "improve", "end"]
    assert ev.recommendation("B", "improve") == "improve" and ev.recommendation("D", "improve") == "improve"
    for grade, chosen in (("A", "end"), ("A", "improve"), ("B", "end")):
        with pytest.raises(Invalid) as bad:
            ev.recommendation(grade, chosen)
        assert bad.value.kind == "recommendation-not-allowed"
