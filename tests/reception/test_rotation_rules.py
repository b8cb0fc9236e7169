"""Rotation rules without I/O: order, busy skip keeping the place, fairness, returning customers."""

from collections import Counter

import pytest

from crm_reception.rotation.rules import RotationState, join, leave, next_up, occupy, release, take_turn

pytestmark = pytest.mark.unit


def queue(*ids: str) -> RotationState:
    state = RotationState()
    for i in ids:
        state = join(state, i)
    return state


def test_first_in_is_next_and_a_turn_sends_you_to_the_back():
    state = queue("a", "b", "c")
    assert next_up(state) == "a"
    state, chosen = take_turn(state, "v1")
    assert chosen == "a" and state.queue == ["b", "c", "a"] and state.busy_ids() == {"a"}


def test_joining_twice_keeps_the_place_and_late_joiners_wait_behind():
    state = join(queue("a", "b"), "a")
    assert state.queue == ["a", "b"]
    assert join(state, "c").queue == ["a", "b", "c"]


def test_busy_consultant_is_skipped_and_keeps_the_front_place():
    state = occupy(queue("a", "b", "c"), "a", "ret-1")  # a serves a returning customer
    state, chosen = take_turn(state, "v1")
    assert chosen == "b" and state.queue == ["a", "c", "b"]
    state = release(state, "ret-1")
    assert next_up(state) == "a"


def test_returning_customer_uses_no_turn():
    state = occupy(queue("a", "b"), "b", "r1")
    assert state.turns() == {"a": 0, "b": 0} and state.queue == ["a", "b"]


def test_nobody_free_gives_nobody_and_changes_nothing():
    state = occupy(queue("a"), "a", "r1")
    after, chosen = take_turn(state, "v2")
    assert chosen is None and after == state


def test_release_only_removes_that_visit():
    state = occupy(occupy(queue("a"), "a", "v1"), "a", "v2")
    assert release(state, "v1").busy_ids() == {"a"}
    assert release(release(state, "v1"), "v2").busy_ids() == set()


def test_leaving_removes_from_queue_but_not_from_busy():
    state, _ = take_turn(queue("a", "b"), "v1")
    state = leave(state, "a")
    assert state.queue == ["b"] and state.busy_ids() == {"a"}


def test_a_day_of_thirty_walk_ins_is_fair_with_varying_visit_lengths():
    state = queue("a", "b", "c", "d")
    open_visits, lengths = [], [1, 3, 2, 1, 4, 1, 2]
    for i in range(30):
        open_visits = [(v, left - 1) for v, left in open_visits]
        for v, left in open_visits:
            if left <= 0:
                state = release(state, v)
        open_visits = [(v, left) for v, left in open_visits if left > 0]
        state, chosen = take_turn(state, f"v{i}")
        if chosen is None:  # everyone busy: the longest visit ends first
            v, _ = open_visits.pop(0)
            state = release(state, v)
            state, chosen = take_turn(state, f"v{i}")
        open_visits.append((f"v{i}", lengths[i % len(lengths)]))
    counts = Counter(state.turns())
    assert sum(counts.values()) == 30
    assert max(counts.values()) - min(counts.values()) <= 2, counts
