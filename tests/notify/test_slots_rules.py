"""Due slots as plain functions: the minute a job is looked at, by status and due time."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from crm_notify.messages.slots import minutes_between, pending_slot, shift, slot_for, slot_of, slot_start

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 23, 22, 50, 30, tzinfo=UTC)


def test_a_slot_is_the_utc_minute_and_sorts_as_text_in_time_order():
    shanghai = timezone(timedelta(hours=8))
    assert slot_of(datetime(2026, 11, 24, 6, 50, 59, tzinfo=shanghai)) == "2026-11-23T22:50"
    assert slot_start("2026-11-23T22:50") == datetime(2026, 11, 23, 22, 50, tzinfo=UTC)
    assert shift("2026-12-31T23:59", 1) == "2027-01-01T00:00" > "2026-12-31T23:59"
    assert shift("2026-11-23T00:00", -1) == "2026-11-22T23:59"
    assert minutes_between("2026-11-23T22:50", "2026-11-24T00:10") == 80


def test_a_pending_job_is_looked_at_from_its_due_minute_never_before_it_was_written():
    assert pending_slot(NOW + timedelta(days=2), NOW) == "2026-11-25T22:50"
    assert pending_slot(NOW - timedelta(days=3), NOW) == "2026-11-23T22:50", "due in the past: from now on"
    assert slot_for("scheduled", NOW + timedelta(minutes=5), NOW) == "2026-11-23T22:55"
    assert slot_for("queued", NOW, NOW) == "2026-11-23T22:50"


@pytest.mark.parametrize("status", ["sent", "delivered", "failed", "cancelled", "suppressed"])
def test_a_job_that_will_not_be_sent_again_has_no_slot(status):
    assert slot_for(status, NOW, NOW) is None
