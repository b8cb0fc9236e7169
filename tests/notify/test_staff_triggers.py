"""Staff-facing triggers: assignment notices, overdue reminders with escalation, receptions, digests, birthdays."""

import json

from datetime import UTC, date, datetime, timedelta

from crm_shared.events.leads import (
    LeadAssigned, LeadClaimed, LeadFollowUpOverdue, LeadRegistered, LeadSource, LeadUpdated, MaskedCustomer, StaffLeft,
)
from crm_shared.events.reception import ReceptionApproved
from crm_shared.events.reports import DigestReady
from crm_shared.ids import utcnow
from crm_notify.dispatch.service import dispatch_due
from crm_notify.triggers.birthdays import plan_birthdays
from tests.notify.support import (
    BRANCH, configure_branch, join_staff, messages, notify_running, publish_and_wait, publish_env_and_wait, sent_by_console,
)
from tests.support.runtime import bearer, eventually, stream_messages


async def _team(settings, ctx):
    await configure_branch(settings, ctx)
    await join_staff(settings, ctx, "c1", name="李娜", phone="+8613900139000", email="lina@sz-bay.test")
    await join_staff(settings, ctx, "m1", role="manager", name="张经理", email="zhang@sz-bay.test")
    await join_staff(settings, ctx, "m2", role="manager", name="赵经理", email="zhao@sz-bay.test")


def _registered(lead_id: str, by: str, name: str = "王", owner: str | None = "c1", **extra) -> LeadRegistered:
    return LeadRegistered(lead_id=lead_id, customer=MaskedCustomer(name=name, phone_masked="138****5678", phone_hash="h"),
                          source=extra.pop("source", LeadSource(channel="phone")), owner_id=owner, registered_by=by, **extra)


async def test_assignment_and_claim_tell_the_consultant_once_each_naming_the_customer(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        await publish_and_wait(settings, ctx, _registered("l2", "c1", name="赵女士"))  # c1's own: no notice, the name is kept
        env = await publish_and_wait(settings, ctx, LeadAssigned(lead_id="l1", owner_id="c1", reason="manual",
                                                                 customer_name="王先生"))
        await publish_env_and_wait(settings, ctx, env, msg_id=env.id + "-again")  # redelivered past the dedup window
        await publish_and_wait(settings, ctx, LeadClaimed(lead_id="l2", owner_id="c1", reason="pool_claim"))
        await publish_and_wait(settings, ctx, LeadAssigned(lead_id="l3", owner_id="c1", reason="some_new_code"))
        await dispatch_due(ctx, utcnow())
        sent = await sent_by_console(ctx)
        assert sorted(s["body"] for s in sent) == sorted([
            "【售楼处】李娜，客户王先生已分配给您（经理分配），请及时跟进。",
            "【售楼处】李娜，客户赵女士（138****5678）已分配给您（公海领取），请及时跟进。",
            "【售楼处】李娜，一位客户已分配给您，请及时跟进。",  # a lead notify never heard of, a reason it does not know
        ])
        assert {s["to"] for s in sent} == {"+8613900139000"}


async def test_a_renamed_customer_is_named_by_the_new_name(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        await publish_and_wait(settings, ctx, _registered("l1", "c1", name="王"))
        await publish_and_wait(settings, ctx, LeadUpdated(lead_id="l1", changes={"customer.name": "王建国", "grade": "A"}))
        await publish_and_wait(settings, ctx, LeadAssigned(lead_id="l1", owner_id="c1", reason="manual"))
        await dispatch_due(ctx, utcnow())
        [sent] = await sent_by_console(ctx)
        assert "客户王建国（138****5678）已分配给您" in sent["body"]


async def test_overdue_reminds_the_consultant_and_escalates_from_the_second_miss(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        due = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
        await publish_and_wait(settings, ctx, LeadFollowUpOverdue(lead_id="l1", owner_id="c1", due_at=due, missed_count=1))
        assert [d["kind"] for d in await messages(ctx)] == ["follow_up_overdue"]
        await publish_and_wait(settings, ctx, LeadFollowUpOverdue(lead_id="l1", owner_id="c1", due_at=due + timedelta(days=3), missed_count=2))
        docs = await messages(ctx)
        escalations = [d for d in docs if d["kind"] == "follow_up_escalation"]
        assert sorted(d["to"] for d in escalations) == ["zhang@sz-bay.test", "zhao@sz-bay.test"]
        assert {d["channel"] for d in escalations} == {"email"}
        await dispatch_due(ctx, utcnow())
        mails = await sent_by_console(ctx, channel="email")
        assert len(mails) == 2 and all("逾期2次" in m["body"] and "李娜" in m["body"] and "一位客户" in m["body"] for m in mails)


async def test_a_manager_who_left_is_not_escalated_to(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        await publish_and_wait(settings, ctx, StaffLeft(staff_id="m2", role="manager", name="赵经理"))
        await publish_and_wait(settings, ctx, LeadFollowUpOverdue(lead_id="l9", owner_id="c1", due_at=utcnow(), missed_count=3))
        assert [d["to"] for d in await messages(ctx, kind="follow_up_escalation")] == ["zhang@sz-bay.test"]


async def test_reception_approved_emails_the_host(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        arrive = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
        await publish_and_wait(settings, ctx, ReceptionApproved(reception_id="r1", reception_class="A", host_id="c1", arrive_at=arrive, guests=3))
        await dispatch_due(ctx, utcnow())
        [mail] = await sent_by_console(ctx)
        assert mail["to"] == "lina@sz-bay.test" and mail["subject"] == "接待申请已批准：A类 2026年12月1日 09:00"


async def test_daily_digest_goes_to_every_manager_by_email(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        summary = {"new_leads": 12, "visits": 8, "by_channel": {"walk_in": 5, "phone": 3, "someday_channel": 1},
                   "compliance_rate": 0.8333, "deal_amount": 1500000.0, "grade_mix": {"A": 2, "none": 1},
                   "top_lost_reasons": [{"reason": "price", "count": 2}, {"reason": "离得太远", "count": 1}],
                   "funnel": {"leads": 12}, "future_figure": 3}
        await publish_and_wait(settings, ctx, DigestReady(date=date(2026, 11, 22), summary=summary))
        await dispatch_due(ctx, utcnow())
        mails = await sent_by_console(ctx)
        assert sorted(m["to"] for m in mails) == ["zhang@sz-bay.test", "zhao@sz-bay.test"]
        assert {m["subject"] for m in mails} == {"深圳湾售楼处日报 2026年11月22日"}
        body = mails[0]["body"]
        for line in ("- 新增客户：12", "- 到访：8", "- 新增来源：自然到访 5、来电 3", "- 跟进及时率：83.3%",
                     "- 成交金额：1,500,000.00元", "- 新增等级：A级 2", "- 主要流失原因：价格 2、离得太远 1"):
            assert line in body, body
        assert "new_leads" not in body and "future_figure" not in body and "someday" not in body


async def test_missing_staff_contact_is_a_visible_failure(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await publish_and_wait(settings, ctx, LeadAssigned(lead_id="l1", owner_id="ghost"))
        [doc] = await messages(ctx)
        assert doc["status"] == "failed" and "no sms contact" in doc["error"]
        assert (await dispatch_due(ctx, utcnow())).claimed == 0
        subject = f"{settings.subject_prefix}.{BRANCH}.notification.failed"
        [event] = await eventually(lambda: stream_messages(settings, subject=subject))
        assert json.loads(event.data)["data"]["message_id"] == doc["_id"]


async def test_birthday_greetings_once_a_day_for_consenting_contacts(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await configure_branch(settings, ctx)
        h = bearer(settings, "manager", [BRANCH])
        for name, phone, consent in (("王先生", "+8613800000001", True), ("李女士", "+8613800000002", False)):
            r = await client.post("/v1/contacts", json={"branch_id": BRANCH, "name": name, "phone": phone,
                                                        "birthday": "1980-03-15", "consent": {"sms": consent}}, headers=h)
            assert r.status_code == 200, r.text
        morning = datetime(2030, 3, 15, 0, 0, tzinfo=UTC)  # 08:00 Shanghai: before the 10:00 greeting hour
        assert await plan_birthdays(ctx, morning) == 0
        later = morning + timedelta(hours=3)
        assert await plan_birthdays(ctx, later) == 1
        assert await plan_birthdays(ctx, later + timedelta(hours=1)) == 0, "once a day"
        assert (await dispatch_due(ctx, later)).outcomes == {"sent": 1}
        [sent] = await sent_by_console(ctx)
        assert sent["to"] == "+8613800000001" and "生日快乐" in sent["body"] and "退订" in sent["body"]


async def test_a_lead_registered_for_someone_else_tells_them_but_not_their_own(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        await publish_and_wait(settings, ctx, _registered("by-desk", "r1"))      # the front desk registered it for c1
        await publish_and_wait(settings, ctx, _registered("own", "c1"))          # c1's own
        await publish_and_wait(settings, ctx, _registered("walk-in", "visit:v1"))  # c1 is with the visitor
        await dispatch_due(ctx, utcnow())
        assert [s["body"] for s in await sent_by_console(ctx)] == [
            "【售楼处】李娜，客户王（138****5678）已分配给您（新登记客户），请及时跟进。"]


async def test_imported_leads_tell_nobody_row_by_row(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        for i in range(5):
            await publish_and_wait(settings, ctx, _registered(f"imp-{i}", "m1", import_id="job-1"))
        await publish_and_wait(settings, ctx, _registered("old-import", "m1", source=LeadSource(channel="import")))
        await publish_and_wait(settings, ctx, LeadAssigned(lead_id="imp-0", owner_id="c1", reason="import"))
        assert await messages(ctx) == []


async def test_reception_approved_emails_host_and_participants_once_each(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        arrive = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
        approved = ReceptionApproved(reception_id="r2", reception_class="A", host_id="c1", arrive_at=arrive, guests=3,
                                     participant_ids=["m1", "m2", "c1"])
        await publish_and_wait(settings, ctx, approved)
        await dispatch_due(ctx, utcnow())
        assert sorted(m["to"] for m in await sent_by_console(ctx)) == ["lina@sz-bay.test", "zhang@sz-bay.test", "zhao@sz-bay.test"]
