"""Pure complaint rules: numbers per branch-local month, deadlines by severity, what a missed deadline is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm_customers.complaints import rules

pytestmark = pytest.mark.unit
T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def test_numbers_are_yymm_and_a_serial_in_the_branch_local_month():
    assert rules.month_key(datetime(2026, 1, 31, 17, 0, tzinfo=UTC), "Asia/Shanghai") == "2602"  # 01:00 on 1 Feb
    assert rules.month_key(datetime(2026, 1, 31, 15, 59, tzinfo=UTC), "Asia/Shanghai") == "2601"
    assert rules.number("2611", 7) == "2611-007" and rules.number("2611", 1000) == "2611-1000"
    assert rules.number_key("sz-bay", "2611", 7) != rules.number_key("sz-bay", "2612", 7)


def test_the_report_in_three_days_and_the_handling_by_severity():
    assert rules.deadlines(T0, "major", 3, 3, 7) == (T0 + timedelta(days=3), T0 + timedelta(days=3))
    assert rules.deadlines(T0, "normal", 3, 3, 7) == (T0 + timedelta(days=3), T0 + timedelta(days=7))


def _doc(**over) -> dict:
    report, due = rules.deadlines(T0, "normal", 3, 3, 7)
    return {"status": "investigating", "report_due_at": report, "due_at": due, "report_filed_at": None,
            "report_overdue_at": None, "handling_overdue_at": None} | over


def test_a_deadline_is_missed_once_and_never_after_closing():
    late = T0 + timedelta(days=3, seconds=1)
    assert rules.missed(_doc(), "report", late) and not rules.missed(_doc(), "handling", late)
    assert not rules.missed(_doc(), "report", T0 + timedelta(days=3))  # at the deadline itself: still on time
    assert not rules.missed(_doc(report_filed_at=T0), "report", late)  # filed in time
    assert not rules.missed(_doc(report_overdue_at=late), "report", late + timedelta(days=1))  # raised already
    assert not rules.missed(_doc(status="closed"), "report", late)
    week = T0 + timedelta(days=8)
    assert rules.missed(_doc(report_filed_at=T0), "handling", week)
    assert rules.overdue_now(_doc(), week) == ["report", "handling"]
    assert rules.overdue_now(_doc(report_filed_at=T0), week) == ["handling"]
    assert rules.overdue_now(_doc(status="closed"), week) == []


def test_assigning_starts_the_investigation_and_reassigning_keeps_the_status():
    assert rules.status_after_assign("received") == "investigating"
    assert rules.status_after_assign("reopened") == "investigating"
    assert rules.status_after_assign("responded") == "responded"
