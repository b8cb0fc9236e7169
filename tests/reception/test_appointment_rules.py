"""Appointment rules without I/O: slot buckets, overlap, checklist, no-show timing, free time."""

from datetime import UTC, datetime, timedelta

import pytest

from crm_shared import checklist
from crm_reception.appointments.rules import (
    buckets, claim_ids, free_intervals, interval_problem, no_show_due, overlaps, site_checklist,
)

pytestmark = pytest.mark.unit
T = datetime(2030, 5, 1, 2, 0, tzinfo=UTC)


def m(minutes: int) -> datetime:
    return T + timedelta(minutes=minutes)


def test_buckets_round_outward_to_five_minutes():
    assert buckets(m(7), m(16)) == [m(5), m(10), m(15)]
    assert buckets(m(0), m(60)) == [m(5 * i) for i in range(12)]


@pytest.mark.parametrize("a,b,clash", [
    ((0, 60), (30, 90), True), ((0, 60), (60, 90), False), ((0, 60), (-30, 0), False),
    ((0, 60), (10, 20), True), ((0, 60), (0, 60), True),
])
def test_overlapping_bookings_share_a_bucket_and_back_to_back_ones_do_not(a, b, clash):
    shared = set(claim_ids("c1", m(a[0]), m(a[1]))) & set(claim_ids("c1", m(b[0]), m(b[1])))
    assert bool(shared) == clash == overlaps(m(a[0]), m(a[1]), m(b[0]), m(b[1]))


def test_claims_are_per_consultant():
    assert not set(claim_ids("c1", m(0), m(60))) & set(claim_ids("c2", m(0), m(60)))


def test_interval_rules():
    assert interval_problem(m(60), m(0)) == "end must be after start"
    assert interval_problem(m(0), m(0)) is not None
    assert interval_problem(m(0), m(13 * 60)) is not None
    assert interval_problem(m(0), m(60)) is None


def test_site_checklist_only_for_site_showings():
    items = site_checklist("showing", True, 3, 1, 0, None)
    assert items == [{"code": "hard_hats", "count": 3}, {"code": "wait_at_sales_office", "children": 1, "elderly": 0},
                     {"code": "route_to_plan"}], "codes and numbers, no text"
    assert checklist.lines(items) == ["安全帽3顶（每位访客一顶）", "儿童1位在售楼处等候，不进入工地", "参观路线由置业顾问提前规划"]
    assert checklist.lines(items, "en")[0] == "Hard hats: 3 (one per visitor)"
    assert site_checklist("showing", False, 3, 0, 0, None) == []
    assert site_checklist("signing", True, 3, 0, 0, None) == []


def test_no_show_after_grace():
    assert not no_show_due(m(0), 30, m(29))
    assert no_show_due(m(0), 30, m(30))


def test_free_intervals_between_busy_ones():
    free = free_intervals(m(0), m(480), [(m(60), m(120)), (m(100), m(180)), (m(450), m(500))])
    assert free == [(m(0), m(60)), (m(180), m(450))]
    assert free_intervals(m(0), m(60), []) == [(m(0), m(60))]
