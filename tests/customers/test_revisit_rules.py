"""Pure revisit rules: cycles by tier, the revisits after a sale, anniversaries, due and overdue times, ids."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crm_customers.revisits import rules

pytestmark = pytest.mark.unit
MONTHS = {"core": 1, "key": 3, "general": 6}


def test_cycles_by_tier_core_monthly_key_quarterly_general_twice_a_year():
    today = date(2026, 1, 31)
    assert rules.tier_task("core", MONTHS, today) == rules.Planned("tier_cycle", date(2026, 2, 28), tier="core")
    assert rules.tier_task("key", MONTHS, today).due_on == date(2026, 4, 30)
    assert rules.tier_task("general", MONTHS, today).due_on == date(2026, 7, 31)
    assert rules.add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)  # a leap February


def test_after_a_sale_7_and_30_days_then_each_anniversary():
    signed = date(2026, 3, 10)
    plan = rules.after_sale("d1", signed, signed, [7, 30])
    assert [(p.kind, p.due_on, p.days) for p in plan] == [
        ("after_sale", date(2026, 3, 17), 7), ("after_sale", date(2026, 4, 9), 30), ("anniversary", date(2027, 3, 10), None)]
    later = rules.after_sale("d1", signed, date(2026, 3, 20), [7, 30])  # the 7-day revisit's day has passed
    assert [p.due_on for p in later] == [date(2026, 4, 9), date(2027, 3, 10)]
    # on an anniversary the next one is planned
    assert rules.next_anniversary(signed, date(2027, 3, 10)) == date(2028, 3, 10)
    assert rules.next_anniversary(date(2024, 2, 29), date(2024, 3, 1)) == date(2025, 2, 28)
    assert rules.next_anniversary(date(2024, 2, 29), date(2027, 3, 1)) == date(2028, 2, 29)


def test_a_plan_keeps_the_tier_task_it_has_and_adds_the_handover():
    today = date(2026, 5, 1)
    plan = rules.plan(tier="key", months=MONTHS, today=today, has_tier_task=False, deals=[("d1", date(2026, 4, 28))],
                      handover_on=date(2026, 12, 1), after_days=[7, 30])
    assert [(p.kind, p.due_on) for p in plan] == [
        ("tier_cycle", date(2026, 8, 1)), ("after_sale", date(2026, 5, 5)), ("after_sale", date(2026, 5, 28)),
        ("anniversary", date(2027, 4, 28)), ("handover", date(2026, 12, 1))]
    kept = rules.plan(tier="key", months=MONTHS, today=today, has_tier_task=True, deals=[], handover_on=date(2026, 4, 1),
                      after_days=[7, 30])
    assert kept == []  # the tier task exists; a handover in the past is not planned


def test_due_at_the_start_of_the_branch_day_and_overdue_after_the_grace_days():
    assert rules.due_at(date(2026, 5, 5), "Asia/Shanghai") == datetime(2026, 5, 4, 16, 0, tzinfo=UTC)
    assert rules.overdue_at(date(2026, 5, 5), 3, "Asia/Shanghai") == datetime(2026, 5, 8, 16, 0, tzinfo=UTC)
    assert rules.overdue_at(date(2026, 5, 5), 0, "Asia/Shanghai") == datetime(2026, 5, 5, 16, 0, tzinfo=UTC)


def test_task_ids_are_stable_and_sort_by_due_time():
    a = rules.Planned("after_sale", date(2026, 5, 5), deal_id="d1", days=7)
    b = rules.Planned("after_sale", date(2026, 5, 28), deal_id="d1", days=30)
    ida = rules.task_id("arc", a, rules.due_at(a.due_on, None))
    assert ida == rules.task_id("arc", a, rules.due_at(a.due_on, None))
    assert ida != rules.task_id("other", a, rules.due_at(a.due_on, None))
    assert ida < rules.task_id("arc", b, rules.due_at(b.due_on, None))


def test_stored_days_in_any_form():
    assert rules.day_of("2026-05-01") == date(2026, 5, 1)
    assert rules.day_of(datetime(2026, 5, 1, 3, tzinfo=UTC)) == date(2026, 5, 1)
    assert rules.day_of(date(2026, 5, 1)) == date(2026, 5, 1)
    assert rules.day_of("soon") is None and rules.day_of(None) is None
