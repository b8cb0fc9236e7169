"""Complaints (客户投诉), revisit compliance (回访) and archive tiers and grades (顾客档案, 客户关系评估) from
customers' events on the real stack (issue 17): redeliveries count once, lists name people."""

from __future__ import annotations

import pytest

from crm_shared.events.customers import (
    ArchiveFrozen, ArchiveOpened, ArchiveTierChanged, ComplaintActionDone, ComplaintClosed, ComplaintOverdue,
    ComplaintReceived, EvaluationSubmitted, RevisitDue, RevisitLogged, RevisitOverdue,
)
from crm_shared.events.leads import BranchConfigured, StaffJoined
from tests.reports.builders import BRANCH, at, ev
from tests.reports.conftest import publish_all
from tests.support.runtime import bearer

PERIOD = {"branch_id": BRANCH, "from": "2026-03-10", "to": "2026-03-20"}


def complaint(cls, cid: str, category: str, when: str, received: str, days: int, **extra):
    due = at(received).replace(day=at(received).day + days)
    report_due = at(received).replace(day=at(received).day + 3)
    data = cls(complaint_id=cid, number=f"2603-00{cid[-1]}", category=category, severity=extra.pop("severity", "normal"),
               due_at=due, report_due_at=report_due, customer_name="王先生", **extra)
    return ev(data, when, subject=cid)


def revisit(cls, task: str, who: str, due: str, when: str, **extra):
    return ev(cls(archive_id=f"A-{task}", task_id=task, assignee_id=who, due_at=at(due), kind="tier_cycle", **extra), when,
              subject=task)


def archive(cls, aid: str, tier: str, category: str, when: str, **extra):
    return ev(cls(archive_id=aid, number=f"SZ-{aid}", category=category, tier=tier, account_manager_id="c1", **extra), when,
              subject=aid)


def evaluation(eid: str, aid: str, grade: str, recommendation: str, when: str):
    return ev(EvaluationSubmitted(evaluation_id=eid, archive_id=aid, score=80, grade=grade, recommendation=recommendation,
                                  account_manager_id="c1"), when, subject=eid)


def care_days() -> list:
    return [
        ev(BranchConfigured(branch_id=BRANCH, name="深圳湾售楼处", timezone="Asia/Shanghai", settings={}), "2026-03-01T00:00:00"),
        ev(StaffJoined(staff_id="c1", role="consultant", name="张三"), "2026-03-01T00:00:00", subject="c1"),
        ev(StaffJoined(staff_id="c2", role="consultant", name="李四"), "2026-03-01T00:00:00", subject="c2"),
        # complaints: K1 closed on time in 2 days, K2 closed late after 8 (its report late too), K3 still open
        complaint(ComplaintReceived, "K1", "quality", "2026-03-10T02:00:00", "2026-03-10T02:00:00", 3, severity="major"),
        complaint(ComplaintReceived, "K2", "service", "2026-03-10T03:00:00", "2026-03-10T03:00:00", 7),
        complaint(ComplaintReceived, "K3", "service", "2026-03-11T03:00:00", "2026-03-11T03:00:00", 7),
        complaint(ComplaintClosed, "K1", "quality", "2026-03-12T02:00:00", "2026-03-10T02:00:00", 3, customer_response="satisfied",
                  received_at=at("2026-03-10T02:00:00"), closed_at=at("2026-03-12T02:00:00")),
        complaint(ComplaintOverdue, "K2", "service", "2026-03-13T03:05:00", "2026-03-10T03:00:00", 7, deadline="report"),
        complaint(ComplaintActionDone, "K2", "service", "2026-03-15T03:00:00", "2026-03-10T03:00:00", 7, action_id="X1",
                  action="前台接待培训"),
        complaint(ComplaintOverdue, "K2", "service", "2026-03-17T04:00:00", "2026-03-10T03:00:00", 7, deadline="handling"),
        complaint(ComplaintClosed, "K2", "service", "2026-03-18T03:00:00", "2026-03-10T03:00:00", 7,
                  customer_response="unsatisfied", received_at=at("2026-03-10T03:00:00"), closed_at=at("2026-03-18T03:00:00")),
        # revisits: c1 one on time, one late after two overdue notices; c2 one never done
        revisit(RevisitDue, "T1", "c1", "2026-03-12T09:00:00", "2026-03-12T00:00:00"),
        revisit(RevisitLogged, "T1", "c1", "2026-03-12T09:00:00", "2026-03-12T06:00:00", satisfaction=5, on_time=True,
                revisit_id="RV1"),
        revisit(RevisitDue, "T2", "c1", "2026-03-13T09:00:00", "2026-03-13T00:00:00"),
        revisit(RevisitOverdue, "T2", "c1", "2026-03-13T09:00:00", "2026-03-14T00:00:00", missed_count=1),
        revisit(RevisitOverdue, "T2", "c1", "2026-03-13T09:00:00", "2026-03-15T00:00:00", missed_count=2),
        revisit(RevisitLogged, "T2", "c1", "2026-03-13T09:00:00", "2026-03-16T06:00:00", satisfaction=3, revisit_id="RV2"),
        revisit(RevisitDue, "T3", "c2", "2026-03-14T09:00:00", "2026-03-14T00:00:00"),
        revisit(RevisitOverdue, "T3", "c2", "2026-03-14T09:00:00", "2026-03-15T00:00:00"),
        # archives and evaluations
        archive(ArchiveOpened, "A1", "core", "owner", "2026-03-10T02:00:00"),
        archive(ArchiveOpened, "A2", "key", "prospect", "2026-03-10T03:00:00"),
        archive(ArchiveOpened, "A3", "general", "member", "2026-03-11T02:00:00"),
        archive(ArchiveOpened, "A4", "general", "owner", "2026-03-11T03:00:00"),
        archive(ArchiveTierChanged, "A3", "key", "member", "2026-03-12T02:00:00", previous_tier="general", level="branch"),
        archive(ArchiveFrozen, "A4", "general", "owner", "2026-03-12T03:00:00", frozen=True, reason="客户要求"),
        evaluation("E1", "A1", "A", "maintain", "2026-03-13T02:00:00"),
        evaluation("E2", "A3", "C", "improve", "2026-03-13T03:00:00"),
        evaluation("E3", "A1", "B", "maintain", "2026-03-14T02:00:00"),
    ]


@pytest.fixture
async def care(reports):
    settings, ctx, client = reports
    events = care_days()
    again = tuple(i for i, e in enumerate(events) if e.type in ("complaint.closed", "complaint.overdue", "revisit.logged",
                                                                  "revisit.overdue", "evaluation.submitted", "archive.opened"))
    await publish_all(settings, ctx, events, redeliver=again)
    return settings, ctx, client, bearer(settings, "manager", [BRANCH], sub="m1")


async def _get(client, auth, name: str, params=PERIOD) -> dict:
    r = await client.get(f"/v1/reports/{name}", params=params, headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


async def test_complaints_by_category_with_time_to_close_and_overdue_rate(care):
    _, _, client, auth = care
    body = await _get(client, auth, "complaints")
    rows = {i["category"]: i for i in body["items"]}
    assert list(rows) == ["quality", "service", "delivery", "sales_promise", "other"], "every category is listed"
    quality, service = rows["quality"], rows["service"]
    assert (quality["received"], quality["major"], quality["closed_on_time"], quality["avg_days_to_close"]) == (1, 1, 1, 2.0)
    assert (quality["overdue_rate"], quality["satisfied"]) == (0.0, 1)
    assert (service["received"], service["closed"], service["closed_late"], service["avg_days_to_close"]) == (2, 1, 1, 8.0)
    assert (service["handling_due"], service["handling_missed"], service["overdue_rate"]) == (2, 1, 0.5)
    assert (service["report_due"], service["report_missed"], service["actions_done"], service["unsatisfied"]) == (2, 1, 1, 1)
    assert rows["delivery"]["overdue_rate"] is None and rows["delivery"]["received"] == 0
    total = body["total"]
    assert (total["received"], total["closed"], total["avg_days_to_close"], total["overdue_rate"]) == (3, 2, 5.0, 0.3333)
    early = await _get(client, auth, "complaints", {**PERIOD, "to": "2026-03-12"})
    assert early["total"]["handling_due"] == 0 and early["total"]["received"] == 3, "deadlines count on the day they fall"


async def test_revisit_compliance_by_account_manager(care):
    _, _, client, auth = care
    body = await _get(client, auth, "revisits")
    rows = {i["account_manager_id"]: i for i in body["items"]}
    zhang, li = rows["c1"], rows["c2"]
    assert (zhang["name"], zhang["due"], zhang["done_on_time"], zhang["done_late"], zhang["overdue_tasks"]) == ("张三", 2, 1, 1, 1)
    assert (zhang["missed"], zhang["done"], zhang["satisfaction_avg"], zhang["revisit_rate"]) == (2, 2, 4.0, 0.5)
    assert (li["name"], li["due"], li["done"], li["overdue_tasks"], li["revisit_rate"]) == ("李四", 1, 0, 1, 0.0)
    assert body["total"] == {"due": 3, "done_on_time": 1, "overdue_tasks": 2, "done": 2, "revisit_rate": 0.3333}


async def test_archive_tiers_and_evaluation_grades(care):
    _, _, client, auth = care
    body = await _get(client, auth, "customers")
    rows = {i["tier"]: i for i in body["items"]}
    assert list(rows) == ["core", "key", "general"]
    core, key, general = rows["core"], rows["key"], rows["general"]
    assert (core["archives"], core["opened"], core["latest_grade"]["B"], core["latest_grade"]["A"]) == (1, 1, 1, 0)
    assert (core["evaluations"], core["evaluation_grade"], core["recommendation"]["maintain"]) == (
        2, {"A": 1, "B": 1, "C": 0, "D": 0}, 2)
    assert (key["archives"], key["moved_in"], key["category"], key["latest_grade"]["C"]) == (
        2, 1, {"owner": 0, "prospect": 1, "member": 1}, 1)
    assert (key["evaluations"], key["recommendation"]["improve"]) == (1, 1), "graded in the tier the archive had then"
    assert (general["archives"], general["frozen"], general["opened"], general["moved_out"]) == (1, 1, 2, 1)
    assert body["total"] == {"archives": 4, "frozen": 1, "opened": 4, "evaluations": 3}
