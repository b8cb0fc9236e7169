"""The complaints report's overdue rate (超时率) after a complaint is reopened: a reopened complaint gets new deadlines
(`complaint.reopened`), may miss them again (a second `complaint.overdue`), and still counts once. The rate is the
share of complaints with a handling deadline in the period that missed one there, never above 100 %; investigation
reports likewise; redeliveries and a rebuild by replay count the same."""

from __future__ import annotations

from datetime import datetime, timedelta

from crm_shared.events.customers import ComplaintClosed, ComplaintOverdue, ComplaintReceived, ComplaintReopened
from crm_shared.events.leads import BranchConfigured
from tests.reports.builders import BRANCH, at, ev
from tests.reports.conftest import publish_all, rebuilt
from tests.support.runtime import bearer

REPORT_DAYS, DAYS = 3, {"major": 3, "normal": 7}  # the customers service's defaults (rules.deadlines)


class Complaint:
    """One complaint's events as the customers service builds them from the stored complaint (complaint_event):
    every event carries the deadlines standing after it; reopening sets new ones from that moment."""

    def __init__(self, cid: str, category: str, severity: str, received: str) -> None:
        self.fields = dict(complaint_id=cid, number=f"2603-00{cid[-1]}", category=category, severity=severity,
                           channel="phone", customer_name="王先生", summary="交房延期")
        self.received_at = at(received)
        self._deadlines(self.received_at)

    def _deadlines(self, start: datetime) -> None:
        self.report_due_at = start + timedelta(days=REPORT_DAYS)
        self.due_at = start + timedelta(days=DAYS[self.fields["severity"]])

    def _ev(self, cls, when: datetime, status: str, **extra):
        data = cls(**self.fields, status=status, report_due_at=self.report_due_at, due_at=self.due_at, **extra)
        return ev(data, when.isoformat().removesuffix("+00:00"), subject=self.fields["complaint_id"])

    def received(self):
        return self._ev(ComplaintReceived, self.received_at, "received")

    def overdue(self, deadline: str):
        """The timer's notice, five minutes after the deadline passed."""
        due = self.report_due_at if deadline == "report" else self.due_at
        return self._ev(ComplaintOverdue, due + timedelta(minutes=5), "investigating", deadline=deadline, missed_at=due,
                        escalated_to=["m1"])

    def closed(self, when: str):
        return self._ev(ComplaintClosed, at(when), "closed", customer_response="unsatisfied", resolution="已整改",
                        resolution_kind="repair", received_at=self.received_at, closed_at=at(when))

    def reopened(self, when: str):
        self._deadlines(at(when))
        return self._ev(ComplaintReopened, at(when), "reopened", reason="客户不认可处理结果")


def month() -> list:
    """March at sz-bay. K1 (service) misses both deadlines, is reopened and misses both new ones; K2 (delivery) keeps
    its deadlines; K3 (quality, major) misses its handling deadline, is reopened and then closed in time."""
    k1, k2, k3 = (Complaint("K1", "service", "normal", "2026-03-01T02:00:00"),
                  Complaint("K2", "delivery", "normal", "2026-03-02T02:00:00"),
                  Complaint("K3", "quality", "major", "2026-03-10T02:00:00"))
    return [
        ev(BranchConfigured(branch_id=BRANCH, name="深圳湾售楼处", timezone="Asia/Shanghai", settings={}), "2026-02-01T00:00:00"),
        k1.received(), k2.received(),
        k1.overdue("report"),  # 03-04
        k2.closed("2026-03-06T02:00:00"),
        k1.overdue("handling"),  # 03-08
        k1.closed("2026-03-09T02:00:00"),
        k1.reopened("2026-03-10T02:00:00"),  # new deadlines: report 03-13, handling 03-17
        k3.received(),  # report and handling 03-13
        k1.overdue("report"), k3.overdue("handling"),  # 03-13
        k3.closed("2026-03-14T02:00:00"),
        k3.reopened("2026-03-15T02:00:00"),  # new deadlines 03-18
        k3.closed("2026-03-16T02:00:00"),
        k1.overdue("handling"),  # 03-17
        k1.closed("2026-03-18T02:00:00"),
    ]


async def _complaints(client, auth, first: str, last: str) -> dict:
    r = await client.get("/v1/reports/complaints", params={"branch_id": BRANCH, "from": first, "to": last}, headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    return {"total": body["total"]} | {i["category"]: i for i in body["items"]}


def _deadlines(row: dict) -> tuple:
    return row["handling_due"], row["handling_missed"], row["overdue_rate"], row["report_due"], row["report_missed"]


async def test_a_reopened_complaint_counts_once_in_the_overdue_rate(reports):
    settings, ctx, client = reports
    events = month()
    again = tuple(i for i, e in enumerate(events) if e.type in ("complaint.overdue", "complaint.reopened"))
    await publish_all(settings, ctx, events, redeliver=again)
    auth = bearer(settings, "manager", [BRANCH], sub="m1")

    march = await _complaints(client, auth, "2026-03-01", "2026-03-31")
    assert _deadlines(march["service"]) == (1, 1, 1.0, 1, 1), "K1 missed four deadlines: one complaint, 100 %"
    assert _deadlines(march["delivery"]) == (1, 0, 0.0, 1, 0)
    assert _deadlines(march["quality"]) == (1, 1, 1.0, 1, 0), "missed before its reopening, in time after: once"
    assert _deadlines(march["total"]) == (3, 2, 0.6667, 3, 1)
    assert (march["service"]["reopened"], march["total"]["reopened"], march["total"]["received"]) == (1, 2, 3)

    late = await _complaints(client, auth, "2026-03-15", "2026-03-31")  # only the deadlines set by the reopenings
    assert _deadlines(late["service"]) == (1, 1, 1.0, 0, 0), "a deadline missed in the period is a deadline due in it"
    assert _deadlines(late["quality"]) == (1, 0, 0.0, 1, 0)
    early = await _complaints(client, auth, "2026-03-01", "2026-03-09")
    assert _deadlines(early["total"]) == (2, 1, 0.5, 2, 1)
    for period in (march, late, early):
        assert all(r["overdue_rate"] is None or 0 <= r["overdue_rate"] <= 1 for r in period.values())

    await rebuilt(client, bearer(settings, "admin", ["*"]))
    assert await _complaints(client, auth, "2026-03-01", "2026-03-31") == march, "a rebuild by replay counts the same"
    assert await _complaints(client, auth, "2026-03-15", "2026-03-31") == late
