"""Backoff, rate-limit windows and quiet-hour deferral as plain functions."""

from datetime import UTC, datetime, time

import pytest

from crm_shared.branches import QuietHours
from crm_notify.dispatch.rules import backoff_seconds, quiet_deferral, rate_key, rate_window

pytestmark = pytest.mark.unit


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    assert backoff_seconds(1, 10, 600, rand=lambda: 0.0) == 5
    assert backoff_seconds(1, 10, 600, rand=lambda: 1.0) == 10
    assert backoff_seconds(3, 10, 600, rand=lambda: 1.0) == 40
    assert backoff_seconds(20, 10, 600, rand=lambda: 1.0) == 600
    assert 300 <= backoff_seconds(20, 10, 600) <= 600


def test_rate_windows_are_fixed_and_keyed_per_recipient():
    now = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
    number, nxt = rate_window(now, 3600)
    assert nxt == datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    assert rate_key("sms", "+86138", now, 3600) == rate_key("sms", "+86138", datetime(2026, 11, 23, 10, 59, tzinfo=UTC), 3600)
    assert rate_key("sms", "+86138", now, 3600) != rate_key("sms", "+86139", now, 3600)
    assert rate_window(datetime(2026, 11, 23, 11, 0, tzinfo=UTC), 3600)[0] == number + 1


def test_marketing_in_quiet_hours_waits_until_the_end_in_branch_time():
    quiet = QuietHours()
    # 23:30 in New York (04:30 UTC next day) -> 08:00 New York = 13:00 UTC
    now = datetime(2026, 11, 24, 4, 30, tzinfo=UTC)
    assert quiet_deferral(now, "marketing", quiet, "America/New_York") == datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
    # same instant is 12:30 in Shanghai: not quiet there
    assert quiet_deferral(now, "marketing", quiet, "Asia/Shanghai") is None


def test_transactional_is_never_held_by_quiet_hours():
    now = datetime(2026, 11, 24, 4, 30, tzinfo=UTC)
    assert quiet_deferral(now, "transactional", QuietHours(), "America/New_York") is None


def test_quiet_window_not_wrapping_midnight():
    quiet = QuietHours(start=time(12, 0), end=time(14, 0))
    now = datetime(2026, 11, 24, 4, 30, tzinfo=UTC)  # 12:30 Shanghai
    assert quiet_deferral(now, "marketing", quiet, "Asia/Shanghai") == datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
