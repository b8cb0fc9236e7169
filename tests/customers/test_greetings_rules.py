"""Pure greeting rules: statutory holidays from the Chinese holiday calendar (first day of a period, never a
make-up working day), yearly dates with Feb 29, stable greeting ids, who gets a gift."""

from __future__ import annotations

from datetime import date

import pytest

from crm_customers.greetings import rules

pytestmark = pytest.mark.unit


def test_a_holiday_is_greeted_on_the_first_day_of_its_period_in_chinese():
    assert rules.holiday_starting(date(2025, 1, 28)) == "春节"  # 除夕, the first day off
    assert rules.holiday_starting(date(2025, 1, 29)) is None  # inside the period
    assert rules.holiday_starting(date(2025, 10, 1)) == "国庆节"
    assert rules.holiday_starting(date(2025, 10, 2)) is None
    assert rules.holiday_starting(date(2024, 9, 15)) == "中秋节"
    assert rules.holiday_starting(date(2025, 1, 1)) == "元旦"
    assert rules.holiday_starting(date(2025, 4, 4)) == "清明节"
    assert rules.holiday_starting(date(2025, 5, 1)) == "劳动节"
    assert rules.holiday_starting(date(2025, 5, 31)) == "端午节"


def test_never_on_a_make_up_working_day_nor_an_ordinary_weekend():
    assert rules.holiday_starting(date(2025, 9, 28)) is None  # 调休: a Sunday worked for 国庆节
    assert rules.holiday_starting(date(2025, 1, 26)) is None  # 调休 for 春节
    assert rules.holiday_starting(date(2025, 3, 8)) is None  # a Saturday
    assert rules.holiday_starting(date(1990, 10, 1)) is None  # outside the calendar's years: no guess


def test_yearly_dates_and_february_29():
    assert rules.recurs_on(5, 20, date(2026, 5, 20))
    assert not rules.recurs_on(5, 20, date(2026, 5, 21))
    assert rules.recurs_on(2, 29, date(2025, 2, 28))  # a common year: the day before March
    assert not rules.recurs_on(2, 29, date(2024, 2, 28))  # a leap year has its own Feb 29
    assert rules.recurs_on(2, 29, date(2024, 2, 29))
    assert rules.month_day("1980-02-29") == (2, 29) and rules.month_day("05-20") == (5, 20)
    assert rules.month_day(date(1980, 5, 20)) == (5, 20) and rules.month_day("soon") is None


def test_occasions_of_an_archive_and_gifts_for_core_and_key_birthdays():
    today = date(2025, 10, 1)
    dates = [{"name": "结婚纪念日", "date": "10-01", "month": 10, "day": 1}, {"name": "乔迁", "date": "2019-03-03"}]
    got = rules.occasions(tier="key", birthday="1980-10-01", important_dates=dates, today=today, holiday="国庆节")
    assert [(o, n, g) for o, n, g, _ in got] == [("birthday", "生日", True), ("important_date", "结婚纪念日", False),
                                                ("holiday", "国庆节", False)]
    plain = rules.occasions(tier="general", birthday="1980-10-01", important_dates=[], today=today, holiday=None)
    assert plain[0][2] is False


def test_greeting_ids_are_stable_per_archive_occasion_and_date():
    a = rules.greeting_id("arc-1", "birthday", date(2025, 10, 1))
    assert a == rules.greeting_id("arc-1", "birthday", date(2025, 10, 1))
    assert a != rules.greeting_id("arc-1", "birthday", date(2026, 10, 1))
    assert a != rules.greeting_id("arc-2", "birthday", date(2025, 10, 1))
    assert a != rules.greeting_id("arc-1", "holiday", date(2025, 10, 1), "国庆节")
