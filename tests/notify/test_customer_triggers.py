"""Notices and messages from customers and deals (issues 17, 18): the complaint number to the customer, major and
overdue complaints to the managers, the assignee, revisits, price approvals, payouts, greetings under consent and
opt-outs, and a frozen archive stopping marketing in its own branch only."""

from datetime import UTC, date, datetime, timedelta

import pytest

from crm_shared.events.customers import (
    ArchiveFrozen, ArchiveOpened, ArchiveUnfrozen, ComplaintAssigned, ComplaintOverdue, ComplaintReceived, GreetingDue,
    RevisitDue,
)
from crm_shared.events.deals import Beneficiary, DealSubscribed, PayoutDue
from crm_shared.events.reception import SealedVisitor
from crm_shared.ids import utcnow
from crm_shared.phones import mask, phone_hash, seal
from crm_notify.dispatch.service import dispatch_due
from crm_notify.triggers import sales_notices
from tests.notify.support import (
    BRANCH, configure_branch, join_staff, messages, notify_running, publish_and_wait, sent_by_console,
)
from tests.support.runtime import bearer

OTHER = "gz-tower"
NOON = datetime(2030, 3, 15, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai: no quiet hours
WANG, LI = "+8613800000001", "+8613800000002"


def person(settings, e164: str, name: str = "王先生") -> SealedVisitor:
    return SealedVisitor(name=name, phone_masked=mask(e164), phone_hash=phone_hash(e164, settings.phone_hash_key),
                         phone_sealed=seal(e164, settings.phone_seal_key))


async def _team(settings, ctx, branch: str = BRANCH):
    await configure_branch(settings, ctx, branch=branch)
    await join_staff(settings, ctx, "c1", branch=branch, name="李娜", phone="+8613900139000")
    await join_staff(settings, ctx, "m1", role="manager", branch=branch, name="张经理", phone="+8613900139001")
    await join_staff(settings, ctx, "f1", role="finance", branch=branch, name="钱会计", email="qian@sz-bay.test")


def complaint(settings, cls=ComplaintReceived, severity: str = "normal", **extra):
    due = datetime(2030, 3, 20, 10, 0, tzinfo=UTC)
    return cls(complaint_id="cp1", number="3003-007", category="quality", severity=severity, customer_name="王先生",
               summary="客厅墙面渗水", due_at=due, report_due_at=due - timedelta(days=4), **extra)


async def test_a_complaint_is_acknowledged_to_the_customer_with_its_number(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        await publish_and_wait(settings, ctx, complaint(settings, customer=person(settings, WANG)))
        await publish_and_wait(settings, ctx, complaint(settings, customer=person(settings, WANG)))  # redelivered as a new event
        [ack] = await messages(ctx)
        assert ack["kind"] == "complaint_received" and ack["category"] == "transactional" and ack["to"] == WANG
        assert (await dispatch_due(ctx, utcnow())).outcomes == {"sent": 1}
        [sent] = await sent_by_console(ctx)
        assert sent["to"] == WANG and "3003-007" in sent["body"] and "投诉已受理" in sent["body"]
        assert "2030年3月20日 18:00" in sent["body"], "the handling deadline in branch time"


async def test_a_major_complaint_tells_the_managers_at_once(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        await join_staff(settings, ctx, "m9", role="manager", branch=OTHER, name="外店经理", phone="+8613900139099")
        await publish_and_wait(settings, ctx, complaint(settings, severity="major", customer=person(settings, WANG)))
        notices = await messages(ctx, kind="complaint_major")
        assert [(m["to"], m["channel"]) for m in notices] == [("+8613900139001", "sms")], "this branch's managers only"
        await dispatch_due(ctx, utcnow())
        [sent] = await sent_by_console(ctx, to="+8613900139001")
        assert "重大投诉3003-007" in sent["body"] and "张经理" in sent["body"] and "质量" in sent["body"]
        assert "cp1" not in sent["body"] and "quality" not in sent["body"]


async def test_an_overdue_complaint_escalates_once_per_missed_deadline(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        for deadline in ("report", "report", "handling"):
            await publish_and_wait(settings, ctx, complaint(settings, ComplaintOverdue, deadline=deadline, assignee_id="c1",
                                                            escalated_to=["m1"]))
        notices = await messages(ctx, kind="complaint_overdue")
        assert len(notices) == 2 and {m["to"] for m in notices} == {"+8613900139001"}
        await dispatch_due(ctx, utcnow())
        bodies = sorted(s["body"] for s in await sent_by_console(ctx))
        assert any("3003-007的调查报告已逾期" in b and "2030年3月16日 18:00" in b and "李娜" in b for b in bodies), bodies
        assert any("3003-007的处理已逾期" in b and "2030年3月20日 18:00" in b for b in bodies), bodies


async def test_the_assignee_is_told(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        await publish_and_wait(settings, ctx, complaint(settings, ComplaintAssigned, assignee_id="c1"))
        [doc] = await messages(ctx)
        assert doc["kind"] == "complaint_assigned" and doc["to"] == "+8613900139000"
        await dispatch_due(ctx, utcnow())
        [sent] = await sent_by_console(ctx)
        assert "李娜" in sent["body"] and "3003-007" in sent["body"] and "交由您处理" in sent["body"]


async def _greeting(settings, ctx, e164: str, name: str, greeting_id: str, branch: str = BRANCH, occasion="birthday",
                    occasion_name="生日"):
    return await publish_and_wait(settings, ctx, GreetingDue(
        greeting_id=greeting_id, archive_id=f"a-{greeting_id}", occasion=occasion, occasion_name=occasion_name,
        on=date(2030, 3, 15), customer=person(settings, e164, name)), branch=branch)


async def _consent(client, settings, branch: str, e164: str, name: str):
    r = await client.post("/v1/contacts", json={"branch_id": branch, "name": name, "phone": e164, "consent": {"sms": True}},
                          headers=bearer(settings, "manager", [branch]))
    assert r.status_code == 200, r.text


async def test_greetings_respect_opt_outs_and_quiet_hours_once_per_greeting(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        for e164, name in ((WANG, "王先生"), (LI, "李女士")):
            await _consent(client, settings, BRANCH, e164, name)
        r = await client.post("/v1/opt-outs", json={"branch_id": BRANCH, "channel": "sms", "to": LI},
                              headers=bearer(settings, "manager", [BRANCH]))
        assert r.status_code in (200, 201), r.text
        await _greeting(settings, ctx, WANG, "王先生", "g-wang")
        await _greeting(settings, ctx, WANG, "王先生", "g-wang")  # the same greeting again: one message
        await _greeting(settings, ctx, LI, "李女士", "g-li", occasion="important_date", occasion_name="结婚纪念日")
        docs = await messages(ctx, kind="greeting")
        assert len(docs) == 2 and {d["category"] for d in docs} == {"marketing"}
        night = datetime(2030, 3, 15, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai
        assert (await dispatch_due(ctx, night)).outcomes == {"deferred": 1, "suppressed": 1}
        li = (await messages(ctx, to=LI))[0]
        assert li["status"] == "suppressed" and "opted out" in li["error"]
        assert await sent_by_console(ctx) == [], "nothing at night"
        assert (await dispatch_due(ctx, night + timedelta(hours=10))).outcomes == {"sent": 1}
        [sent] = await sent_by_console(ctx)
        assert sent["to"] == WANG and "王先生" in sent["body"] and "生日快乐" in sent["body"] and "退订" in sent["body"]


async def test_a_greeting_needs_marketing_consent(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        await _greeting(settings, ctx, WANG, "王先生", "g-holiday", occasion="holiday", occasion_name="春节")
        assert (await dispatch_due(ctx, NOON)).outcomes == {"suppressed": 1}
        assert "consent" in (await messages(ctx))[0]["error"]


async def test_a_frozen_person_gets_no_marketing_from_that_branch_only(urls):
    async with notify_running(urls) as (settings, ctx, client):
        for branch in (BRANCH, OTHER):
            await _team(settings, ctx, branch)
            await _consent(client, settings, branch, WANG, "王先生")
            await publish_and_wait(settings, ctx, ArchiveOpened(
                archive_id=f"ar-{branch}", number="SZ-000001", category="owner", tier="key", customer=person(settings, WANG)),
                branch=branch)
        await publish_and_wait(settings, ctx, ArchiveFrozen(archive_id=f"ar-{BRANCH}", number="SZ-000001",
                                                            category="owner", tier="key", frozen=True, reason="客户要求"))

        async def campaign(branch: str) -> None:
            r = await client.post("/v1/campaigns", headers=bearer(settings, "manager", [branch]), json={
                "branch_id": branch, "template": "holiday_greeting", "data": {"holiday": "春节"},
                "audience": {"to": [WANG]}, "send_at": NOON.isoformat()})
            assert r.status_code == 201, r.text

        for branch in (BRANCH, OTHER):
            await campaign(branch)
            await _greeting(settings, ctx, WANG, "王先生", f"g-{branch}", branch=branch)
        await dispatch_due(ctx, NOON)
        by_branch = {(d["branch_id"], d["kind"]): d for d in await messages(ctx)}
        for kind in ("campaign", "greeting"):
            frozen, elsewhere = by_branch[(BRANCH, kind)], by_branch[(OTHER, kind)]
            assert frozen["status"] == "suppressed" and "frozen" in frozen["error"], frozen
            assert elsewhere["status"] == "sent", elsewhere
        await publish_and_wait(settings, ctx, ArchiveUnfrozen(archive_id=f"ar-{BRANCH}", number="SZ-000001",
                                                              category="owner", tier="key"))
        await campaign(BRANCH)
        await dispatch_due(ctx, NOON + timedelta(minutes=1))
        latest = [d for d in await messages(ctx, branch_id=BRANCH, kind="campaign") if d["status"] != "suppressed"]
        assert [d["status"] for d in latest] == ["sent"], "marketing resumes once unfrozen"


async def test_revisits_price_approvals_and_payouts_reach_who_must_act(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        await publish_and_wait(settings, ctx, RevisitDue(archive_id="ar1", task_id="t1", assignee_id="c1", kind="after_sale_7d",
                                                         customer_name="王先生", due_at=datetime(2030, 3, 22, 2, tzinfo=UTC)))
        common = dict(deal_id="d1", lead_id="l1", unit_id="u1", owner_id="c1", agreed_price=289000000,
                      list_price=300000000, customer_name="王先生")
        await publish_and_wait(settings, ctx, DealSubscribed(**common, price_approval="pending"))
        await publish_and_wait(settings, ctx, DealSubscribed(**common | {"deal_id": "d2"}, price_approval="not_needed"))
        await publish_and_wait(settings, ctx, PayoutDue(payout_id="po1", kind="commission", deal_id="d1", amount=8940000,
                                                        status="due", beneficiary=Beneficiary(type="partner", id="p1",
                                                                                              name="链家深圳湾店")))
        kinds = sorted((d["kind"], d["to"]) for d in await messages(ctx))
        assert kinds == [("payout_due", "+8613900139001"), ("payout_due", "qian@sz-bay.test"),
                         ("price_approval_pending", "+8613900139001"), ("revisit_due", "+8613900139000")]
        await dispatch_due(ctx, utcnow())
        bodies = {s["to"]: s.get("body", "") for s in await sent_by_console(ctx)}
        revisit = next(s["body"] for s in await sent_by_console(ctx) if "回访" in s["body"])
        assert "王先生" in revisit and "签约后7天回访" in revisit and "2030年3月22日" in revisit
        approval = next(s["body"] for s in await sent_by_console(ctx) if "价格核定" in s["body"])
        assert "李娜" in approval and "2,890,000.00元" in approval and "3.67%" in approval
        payout = [s for s in await sent_by_console(ctx) if "渠道佣金" in (s.get("body") or "")]
        assert len(payout) == 2 and all("链家深圳湾店" in s["body"] and "89,400.00元" in s["body"] for s in payout)
        assert all("d1" not in b and "p1" not in b for b in bodies.values())


@pytest.mark.unit
def test_the_discount_is_a_percentage_below_list():
    assert sales_notices.discount_text(289000000, 300000000) == "3.67%"
    assert sales_notices.discount_text(300000000, 300000000) == "" and sales_notices.discount_text(1, None) == ""
