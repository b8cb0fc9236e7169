"""Reminder plan: 7 days, 2 days, 19:00 branch time the evening before; only those still ahead."""

from datetime import UTC, datetime

import pytest

from crm_notify.triggers.rules import message_id, message_key, reminder_plan

pytestmark = pytest.mark.unit


def test_all_three_reminders_when_far_ahead():
    start = datetime(2026, 12, 10, 6, 0, tzinfo=UTC)  # 14:00 Shanghai
    plan = reminder_plan(start, datetime(2026, 11, 1, tzinfo=UTC), "Asia/Shanghai")
    assert plan == {
        "reminder_7d": datetime(2026, 12, 3, 6, 0, tzinfo=UTC),
        "reminder_2d": datetime(2026, 12, 8, 6, 0, tzinfo=UTC),
        "reminder_evening": datetime(2026, 12, 9, 11, 0, tzinfo=UTC),  # 19:00 Shanghai on the 9th
    }


def test_only_future_reminders():
    start = datetime(2026, 12, 10, 6, 0, tzinfo=UTC)
    plan = reminder_plan(start, datetime(2026, 12, 5, tzinfo=UTC), "Asia/Shanghai")
    assert set(plan) == {"reminder_2d", "reminder_evening"}
    assert reminder_plan(start, datetime(2026, 12, 9, 12, 0, tzinfo=UTC), "Asia/Shanghai") == {}


def test_evening_before_follows_the_branch_zone():
    start = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)  # 10:00 in New York on the 10th
    plan = reminder_plan(start, datetime(2026, 11, 1, tzinfo=UTC), "America/New_York")
    assert plan["reminder_evening"] == datetime(2026, 12, 10, 0, 0, tzinfo=UTC)  # 19:00 EST on the 9th


def test_early_morning_appointment_evening_is_the_previous_local_day():
    start = datetime(2026, 12, 10, 0, 30, tzinfo=UTC)  # 08:30 Shanghai on the 10th
    plan = reminder_plan(start, datetime(2026, 11, 1, tzinfo=UTC), "Asia/Shanghai")
    assert plan["reminder_evening"] == datetime(2026, 12, 9, 11, 0, tzinfo=UTC)


def test_keys_are_stable_and_hide_the_recipient():
    key = message_key("reminder_7d", "a1", "sms", "+8613800138000", "2026-12-10T06:00:00+00:00")
    assert "+86138" not in key
    assert message_id(key) == message_id(message_key("reminder_7d", "a1", "sms", "+8613800138000", "2026-12-10T06:00:00+00:00"))
    assert message_id(key) != message_id(message_key("reminder_2d", "a1", "sms", "+8613800138000", "2026-12-10T06:00:00+00:00"))
