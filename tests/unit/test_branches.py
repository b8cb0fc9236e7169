from datetime import UTC, date, datetime, time

import pytest
from pydantic import ValidationError

from crm_shared.branches import (
    BranchSettings, QuietHours, add_working_days, at_local, in_quiet_hours, local_date, quiet_hours_end,
    valid_timezone,
)


def test_defaults_are_the_documented_ones():
    s = BranchSettings()
    assert (s.cadence_days.O, s.cadence_days.A, s.cadence_days.B, s.cadence_days.C) == (1, 3, 7, 14)
    assert (s.reclaim_after_days, s.report_valid_days, s.protection_days) == (15, 7, 30)
    assert (s.quiet_hours.start, s.quiet_hours.end) == (time(21), time(8))


def test_unknown_or_bad_settings_are_rejected():
    with pytest.raises(ValidationError):
        BranchSettings(reclaim_after_dayz=3)
    with pytest.raises(ValidationError):
        BranchSettings(cadence_days={"O": 0})
    with pytest.raises(ValueError):
        valid_timezone("Mars/Olympus")


def test_local_date_crosses_midnight_in_branch_time():
    assert local_date(datetime(2026, 11, 23, 17, 0, tzinfo=UTC), "Asia/Shanghai") == date(2026, 11, 24)
    assert local_date(datetime(2026, 11, 23, 17, 0, tzinfo=UTC), "Europe/London") == date(2026, 11, 23)


def test_working_days_skip_weekends_holidays_and_honour_make_up_days():
    s = BranchSettings(working_days=[0, 1, 2, 3, 4], holidays=[date(2026, 11, 30)], workdays_extra=[date(2026, 11, 29)])
    friday = at_local(date(2026, 11, 27), time(10), "Asia/Shanghai")
    assert add_working_days(friday, 1, s, "Asia/Shanghai").date() == date(2026, 11, 29)  # Sunday make-up day
    assert add_working_days(friday, 2, s, "Asia/Shanghai").date() == date(2026, 12, 1)  # Monday is a holiday


def test_quiet_hours_wrap_midnight():
    q = QuietHours()
    tz = "Asia/Shanghai"
    late = at_local(date(2026, 11, 23), time(22, 30), tz)
    assert in_quiet_hours(late, q, tz)
    assert quiet_hours_end(late, q, tz) == at_local(date(2026, 11, 24), time(8), tz)
    early = at_local(date(2026, 11, 24), time(7, 0), tz)
    assert quiet_hours_end(early, q, tz) == at_local(date(2026, 11, 24), time(8), tz)
    noon = at_local(date(2026, 11, 24), time(12), tz)
    assert not in_quiet_hours(noon, q, tz) and quiet_hours_end(noon, q, tz) == noon
def test_consumers_ignore_settings_newer_than_their_code():
    assert BranchSettings.from_event({"protection_days": 9, "added_later": 1}).protection_days == 9


def test_reception_class_overrides_are_typed():
    s = BranchSettings(reception_classes={"A": {"notice_days": 3}})
    assert s.reception_classes["A"].notice_days == 3 and s.reception_classes["A"].budget_max is None
    with pytest.raises(ValidationError):
        BranchSettings(reception_classes={"E": {"notice_days": 3}})
    with pytest.raises(ValidationError):
        BranchSettings(reception_classes={"A": {"notice_days": "soon"}})


def test_sales_offices_work_the_whole_week_by_default():
    friday = at_local(date(2026, 11, 27), time(10), "Asia/Shanghai")
    assert BranchSettings().working_days == [0, 1, 2, 3, 4, 5, 6]
    assert add_working_days(friday, 1, BranchSettings(), "Asia/Shanghai").date() == date(2026, 11, 28)  # Saturday
    assert add_working_days(friday, 1, BranchSettings(holidays=[date(2026, 11, 28)]), "Asia/Shanghai").date() == date(2026, 11, 29)
