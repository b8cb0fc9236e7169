"""Business reception rules without I/O: class policies, notice, budget, approval chain,
resource buckets, feedback deadline in working days."""

from datetime import UTC, date, datetime, timedelta

import pytest

from crm_shared.branches import BranchSettings
from crm_reception.receptions.rules import (
    DEFAULT_POLICIES, after_approval, budget_problem, feedback_due, notice_problem, policy, resource_claim_ids,
)

pytestmark = pytest.mark.unit
NOW = datetime(2030, 3, 4, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


def test_default_budgets_per_class():
    assert (DEFAULT_POLICIES["A"].budget_min, DEFAULT_POLICIES["A"].budget_max) == (130, 150)
    assert (DEFAULT_POLICIES["B"].budget_min, DEFAULT_POLICIES["B"].budget_max) == (100, 130)
    assert (DEFAULT_POLICIES["C"].budget_min, DEFAULT_POLICIES["C"].budget_max) == (80, 100)


@pytest.mark.parametrize("cls,hours,ok", [("A", 47, False), ("A", 48, True), ("B", 23, False), ("B", 24, True),
                                          ("C", 0.5, True), ("D", 0, True)])
def test_notice_per_class(cls, hours, ok):
    problem = notice_problem(cls, policy(cls), NOW + timedelta(hours=hours), NOW)
    assert (problem is None) == ok
    if not ok:
        assert f"class {cls} needs at least" in problem


def test_branch_overrides_apply_and_bad_ones_are_ignored():
    pol = policy("C", {"reception_classes": {"C": {"notice_days": 3, "budget_max": 90, "hotel": 5, "needs_general_manager": 1}}})
    assert pol.notice_days == 3 and pol.budget_max == 90
    assert pol.hotel == DEFAULT_POLICIES["C"].hotel and pol.needs_general_manager is False
    assert policy("A", {"reception_classes": "nonsense"}) == DEFAULT_POLICIES["A"]
    assert policy("B", {"reception_classes": {"B": {"needs_general_manager": True}}}).needs_general_manager


def test_budget_above_the_class_maximum():
    assert budget_problem("B", policy("B"), 131) is not None
    assert budget_problem("B", policy("B"), 130) is None


def test_approval_chain():
    assert after_approval("pending", policy("A")) == ("department_head", "awaiting_general_manager")
    assert after_approval("awaiting_general_manager", policy("A")) == ("general_manager", "approved")
    for cls in "BCD":
        assert after_approval("pending", policy(cls)) == ("department_head", "approved")
    with pytest.raises(ValueError):
        after_approval("approved", policy("A"))


def test_resource_buckets_clash_only_when_times_overlap():
    a = set(resource_claim_ids("b", "car:1", NOW, NOW + timedelta(hours=2)))
    assert a & set(resource_claim_ids("b", "car:1", NOW + timedelta(hours=1), NOW + timedelta(hours=3)))
    assert not a & set(resource_claim_ids("b", "car:1", NOW + timedelta(hours=2), NOW + timedelta(hours=3)))
    assert not a & set(resource_claim_ids("b", "room:1", NOW, NOW + timedelta(hours=2)))


def test_feedback_due_in_working_days():
    weekdays = [0, 1, 2, 3, 4]  # a branch that does not work weekends (the default is the whole week)
    settings = BranchSettings(working_days=weekdays)
    assert feedback_due(datetime(2030, 3, 8, 8, 0, tzinfo=UTC), 2, BranchSettings(), "Asia/Shanghai").date() == date(2030, 3, 10)
    friday_afternoon = datetime(2030, 3, 8, 8, 0, tzinfo=UTC)
    due = feedback_due(friday_afternoon, 2, settings, "Asia/Shanghai")
    assert due == datetime(2030, 3, 12, 15, 59, 59, tzinfo=UTC)  # Tuesday 23:59:59 Shanghai
    holiday = BranchSettings(working_days=weekdays, holidays=[date(2030, 3, 11)])
    assert feedback_due(friday_afternoon, 2, holiday, "Asia/Shanghai").date() == date(2030, 3, 13)
    makeup = BranchSettings(working_days=weekdays, workdays_extra=[date(2030, 3, 9)])
    assert feedback_due(friday_afternoon, 2, makeup, "Asia/Shanghai").date() == date(2030, 3, 11)
