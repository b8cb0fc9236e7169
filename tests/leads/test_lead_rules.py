"""Pure lead rules: cadence in branch time, missed dates, reclaim and pool-claim windows."""

from datetime import UTC, datetime, timedelta

import pytest

from crm_leads.leads import rules
from crm_shared.branches import BranchSettings

pytestmark = pytest.mark.unit
S = BranchSettings()
SH = "Asia/Shanghai"


def utc(*a) -> datetime:
    return datetime(*a, tzinfo=UTC)


def test_cadence_defaults_and_ungraded_leads_are_urgent():
    assert [rules.cadence_days(g, S) for g in ("O", "A", "B", "C", None)] == [1, 3, 7, 14, 1]
    custom = BranchSettings(cadence_days={"O": 2, "A": 4, "B": 8, "C": 20})
    assert rules.cadence_days("C", custom) == 20


def test_due_date_is_the_end_of_the_branch_local_day():
    # 23:30 UTC on Jan 1 is already Jan 2 in Shanghai: grade A (3 days) is due by the end of Jan 5, Shanghai time
    due = rules.next_follow_up(utc(2026, 1, 1, 23, 30), "A", S, SH)
    assert due == utc(2026, 1, 5, 16, 0)
    assert rules.next_follow_up(utc(2026, 1, 1, 23, 30), "A", S, "UTC") == utc(2026, 1, 5, 0, 0)


def test_missed_dates_count_one_per_cadence_period():
    due = utc(2026, 3, 1)
    assert rules.missed_dates(due, 3, due) == 0
    assert rules.missed_dates(due, 3, due + timedelta(seconds=1)) == 1
    assert rules.missed_dates(due, 3, due + timedelta(days=3)) == 2
    assert rules.missed_dates(due, 3, due + timedelta(days=6, seconds=1)) == 3
    assert rules.missed_dates(None, 3, due) == 0
    assert rules.latest_missed_date(due, 3, 3) == due + timedelta(days=6)


def test_reclaim_and_warning_times():
    last = utc(2026, 3, 1)
    assert rules.reclaim_at(last, S) == last + timedelta(days=15)
    assert rules.warn_at(last, S) == last + timedelta(days=13)
    assert rules.warn_at(last, BranchSettings(reclaim_warning_days=0)) is None


def test_a_consultant_cannot_reclaim_within_the_window():
    lost = utc(2026, 3, 1)
    assert rules.may_claim(None, lost, S)
    assert not rules.may_claim(lost, lost + timedelta(days=14, hours=23), S)
    assert rules.may_claim(lost, lost + timedelta(days=15), S)


def test_claim_day_is_the_branch_local_date():
    assert rules.claim_day(utc(2026, 3, 1, 17, 0), SH) == "2026-03-02"
    assert rules.claim_day(utc(2026, 3, 1, 15, 59), SH) == "2026-03-01"
