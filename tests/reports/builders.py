"""Envelopes at explicit instants, and a scripted day at branch sz-bay (Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, datetime

from crm_shared.events import Envelope, new_event
from crm_shared.events.leads import (
    BranchConfigured, ChannelReportAccepted, ChannelReportConfirmed, ChannelReportExpired, ChannelReportRejected,
    LeadFollowedUp, LeadFollowUpOverdue, LeadGraded, LeadLost, LeadRegistered, LeadSource, LeadWon, MaskedCustomer,
    StaffJoined,
)
from crm_shared.events.reception import (
    AppointmentCancelled, AppointmentScheduled, Contact, ReceptionApproved, ReceptionCompleted, ReceptionRejected,
    ReceptionRequested, VisitCheckedIn,
)

BRANCH = "sz-bay"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ev(data, when: str, branch: str = BRANCH, subject: str = "s") -> Envelope:
    env = new_event(data, branch_id=branch, subject=subject)
    return env.model_copy(update={"time": at(when)})


def customer(n: int) -> MaskedCustomer:
    return MaskedCustomer(name=f"客户{n}", phone_masked="138****0000", phone_hash=f"h{n}")


def registered(lead: str, channel: str, owner: str | None, grade: str | None, when: str, branch: str = BRANCH, partner=None):
    data = LeadRegistered(lead_id=lead, customer=customer(len(lead)), source=LeadSource(channel=channel, partner_id=partner),
                          owner_id=owner, grade=grade)
    return ev(data, when, branch, lead)


def visit(vid: str, lead: str | None, consultant: str, when: str, appointment: str | None = None):
    data = VisitCheckedIn(visit_id=vid, consultant_id=consultant, lead_id=lead, visitor=customer(1), appointment_id=appointment)
    return ev(data, when, subject=vid)


def appointment(cls, aid: str, consultant: str, when: str):
    data = cls(appointment_id=aid, consultant_id=consultant, customer=Contact(name="王先生", phone="+8613800000000"),
               start=at("2026-03-12T02:00:00"), end=at("2026-03-12T03:00:00"), kind="showing")
    return ev(data, when, subject=aid)


def reception(cls, rid: str, klass: str, when: str, **extra):
    data = cls(reception_id=rid, reception_class=klass, host_id="c1", arrive_at=at(extra.pop("arrive", "2026-03-10T02:00:00")),
               **extra)
    return ev(data, when, subject=rid)


def scripted_day() -> list[Envelope]:
    """Publish order is deliberately not time order: a visit and a deal before their lead."""
    staff = [StaffJoined(staff_id="c1", role="consultant", name="张三"), StaffJoined(staff_id="c2", role="consultant", name="李四"),
             StaffJoined(staff_id="m1", role="manager", name="王经理", email="wang@example.com")]
    return [
        ev(BranchConfigured(branch_id=BRANCH, name="深圳湾售楼处", timezone="Asia/Shanghai",
                            settings={"digest_time": "18:00:00"}), "2026-03-01T00:00:00"),
        *[ev(s, "2026-03-01T00:00:00", subject=s.staff_id) for s in staff],
        registered("L0", "online", "c1", None, "2026-03-09T16:10:00"),  # 00:10 on the 10th, branch time
        registered("L1", "phone", "c1", "A", "2026-03-10T01:30:00"),
        appointment(AppointmentScheduled, "A1", "c1", "2026-03-10T02:00:00"),
        appointment(AppointmentScheduled, "A2", "c2", "2026-03-10T02:10:00"),
        registered("L2", "walk_in", "c2", "B", "2026-03-10T03:00:00"),
        visit("V1", "L2", "c2", "2026-03-10T03:05:00"),
        appointment(AppointmentCancelled, "A2", "c2", "2026-03-10T04:00:00"),
        ev(LeadGraded(lead_id="L2", grade="A", previous_grade="B"), "2026-03-10T05:00:00"),
        ev(LeadGraded(lead_id="L0", grade="C"), "2026-03-10T05:10:00"),
        ev(LeadFollowedUp(lead_id="L1", owner_id="c1", kind="call"), "2026-03-10T05:30:00"),
        ev(LeadFollowedUp(lead_id="L2", owner_id="c2", kind="wechat"), "2026-03-10T05:40:00"),
        ev(LeadFollowUpOverdue(lead_id="L0", owner_id="c1", due_at=at("2026-03-08T02:00:00"), missed_count=1), "2026-03-10T02:00:00"),
        ev(LeadFollowUpOverdue(lead_id="L9", owner_id="c1", due_at=at("2026-03-01T02:00:00"), missed_count=3), "2026-03-10T02:01:00"),
        visit("V2", "L1", "c1", "2026-03-10T06:00:00", appointment="A1"),
        ev(LeadWon(lead_id="L1", owner_id="c1", amount=1_500_000), "2026-03-10T08:00:00"),
        ev(LeadLost(lead_id="L2", owner_id="c2", reason="价格太高", status_before="visited"), "2026-03-10T09:00:00"),
        ev(LeadLost(lead_id="L0", owner_id="c1", reason="位置不合适", status_before="new"), "2026-03-10T09:05:00"),
        visit("V3", "L3", "c1", "2026-03-10T15:40:00"),
        ev(LeadWon(lead_id="L3", owner_id="c1", amount=2_000_000, partner_id="p1"), "2026-03-10T15:50:00"),
        registered("L3", "partner", "c1", "O", "2026-03-10T15:30:00", partner="p1"),  # 23:30 on the 10th
        registered("L4", "phone", "c2", "C", "2026-03-10T16:30:00"),  # 00:30 on the 11th
        ev(ChannelReportAccepted(report_id="R1", partner_id="p1"), "2026-03-10T01:00:00"),
        ev(ChannelReportRejected(report_id="R2", partner_id="p1", reason="重复报备"), "2026-03-10T01:10:00"),
        ev(ChannelReportConfirmed(report_id="R1", partner_id="p1", lead_id="L3"), "2026-03-10T15:40:00"),
        ev(ChannelReportAccepted(report_id="R3", partner_id="p2"), "2026-03-10T01:20:00"),
        ev(ChannelReportExpired(report_id="R3", partner_id="p2"), "2026-03-10T10:00:00"),
        reception(ReceptionRequested, "RC1", "A", "2026-03-07T01:00:00", guests=4, budget_per_head=140),
        reception(ReceptionApproved, "RC1", "A", "2026-03-07T02:00:00", guests=4, budget_per_head=140),
        reception(ReceptionApproved, "RC1", "A", "2026-03-07T03:00:00", guests=4, budget_per_head=140),  # GM step
        reception(ReceptionCompleted, "RC1", "A", "2026-03-11T02:00:00", guests=4, budget_per_head=140, spent=600,
                  leave_at=at("2026-03-10T06:00:00")),
        reception(ReceptionRequested, "RC2", "C", "2026-03-08T01:00:00", arrive="2026-03-10T06:00:00"),
        reception(ReceptionRejected, "RC2", "C", "2026-03-08T02:00:00", arrive="2026-03-10T06:00:00"),
    ]
