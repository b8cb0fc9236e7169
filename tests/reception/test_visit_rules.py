"""Front-desk rules without I/O: who a visitor is for, the owner's duty, who of the waiting goes next."""

from datetime import UTC, date, datetime, timedelta

import pytest

from crm_reception.rotation.rules import RotationState, join, occupy, take_turn
from crm_reception.visits.rules import Waiting, owner_status, pick, plan, stale, takes_turn, waited_seconds

pytestmark = pytest.mark.unit


def test_an_owner_is_on_duty_in_todays_queue_and_gone_once_they_left():
    assert owner_status(True, True) == "on_duty"
    assert owner_status(True, False) == "off_duty"
    assert owner_status(False, True) == "left"


def test_who_a_visitor_is_for():
    assert plan("c9", "o1", "on_duty", "wait").consultant_id == "c9", "an appointment first"
    owner = plan(None, "o1", "on_duty", "rotation")
    assert (owner.consultant_id, owner.assigned_by, owner.on_duty) == ("o1", "owner", True)
    assert plan(None, "o1", "off_duty", "wait").consultant_id == "o1", "the desk waits for the owner"
    assert plan(None, "o1", "off_duty", "rotation").assigned_by == "rotation"
    assert plan(None, "o1", "left", "wait").assigned_by == "rotation", "nobody to wait for"
    assert plan(None, None, None, "wait").assigned_by == "rotation"


def test_turns_go_with_new_customers():
    assert takes_turn("rotation", True, None)
    assert takes_turn("handover", False, None)
    assert not takes_turn("handover", True, None) and not takes_turn("handover", False, "appt-1")
    assert not takes_turn("owner", True, None) and not takes_turn("appointment", False, "appt-1")


def test_the_longest_waiting_visitor_someone_may_take_goes_first():
    state = join(join(RotationState(), "a"), "b")
    state, _ = take_turn(state, "v0")  # a busy
    for_a = Waiting("v1", "a", on_duty=True, turn=False)
    rotation = Waiting("v2", None, on_duty=False, turn=True)
    assert pick(state, [for_a, rotation]) == (rotation, "b"), "waiting for busy a holds nobody up"
    busy = occupy(state, "b", "v3")
    assert pick(busy, [for_a, rotation]) is None
    owner_away = Waiting("v4", "o1", on_duty=True, turn=False)
    assert pick(state, [owner_away]) is None, "an owner off duty is waited for until they join"
    named = Waiting("v5", "o1", on_duty=False, turn=False)
    assert pick(state, [named]) == (named, "o1"), "a consultant the desk named need not be in the queue"
    held = occupy(busy, "a", "v2")  # held by a crashed dispatch before the visit was written
    assert pick(held, [for_a, rotation])[1] == "a"


def test_waiting_time_and_a_visit_left_over_from_yesterday():
    t = datetime(2031, 3, 1, 2, 0, tzinfo=UTC)
    assert waited_seconds(t, t + timedelta(minutes=7, seconds=5)) == 425
    assert waited_seconds(t, t - timedelta(seconds=3)) == 0
    assert stale({"rotation_day": "2031-02-28"}, date(2031, 3, 1))
    assert not stale({"rotation_day": "2031-03-01"}, date(2031, 3, 1))
