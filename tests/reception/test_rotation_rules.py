"""Rotation rules without I/O: order, busy skip keeping the place, fairness, returning customers."""

from collections import Counter

import pytest

from crm_reception.rotation.rules import (
    RotationState, claim, hand_over, holder, join, leave, next_up, occupy, release, revoke, take_turn,
)

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


def test_a_change_keyed_by_the_visit_applies_once():
    state, chosen = take_turn(queue("a", "b"), "v1")
    again, same = take_turn(state, "v1")
    assert (same, again) == (chosen, state), "a visit already held keeps its consultant"
    assert occupy(occupy(state, "b", "v2"), "b", "v2") == occupy(state, "b", "v2")


def test_a_turn_taken_back_returns_the_place_and_the_count():
    state = queue("a", "b", "c")
    taken, chosen = take_turn(state, "v1")
    assert chosen == "a" and taken.queue == ["b", "c", "a"]
    back = revoke(taken, "v1", "a")
    assert back == state, "as if the visitor never reached them"
    assert revoke(taken, "v1", "b") == taken, "only the holder's hold is taken back"


def test_claim_takes_a_named_consultant_only_when_free_and_on_duty_when_asked():
    state, _ = take_turn(queue("a", "b"), "v1")  # a is busy
    assert claim(state, "a", "v2") == (state, None), "busy: the visitor waits for them"
    off = "owner-off-duty"
    assert claim(state, off, "v2", on_duty=True) == (state, None), "not in today's queue"
    named, who = claim(state, off, "v2")
    assert who == off and holder(named, "v2") == off and named.queue == state.queue, "no turn, no place"
    turned, who = claim(state, "b", "v3", turn=True)
    assert who == "b" and turned.queue == ["a", "b"] and turned.turns()["b"] == 1


def test_a_hand_over_gives_the_turn_to_the_named_consultant():
    state = queue("a", "b", "c")
    state, _ = take_turn(state, "v1")  # a took a new customer
    handed, who = hand_over(state, "v1", "a", "c", turn=True)
    assert who == "c" and holder(handed, "v1") == "c"
    assert handed.turns() == {"a": 0, "b": 0, "c": 1}, "the turn follows the new customer"
    assert handed.queue == ["a", "b", "c"] and next_up(handed) == "a", "a has their place back"
    busy, _ = take_turn(handed, "v2")  # a busy with v2
    waits, who = hand_over(busy, "v1", "c", "a", turn=False)
    assert who is None and holder(waits, "v1") is None, "a is busy: the visitor waits for them; c is free again"
