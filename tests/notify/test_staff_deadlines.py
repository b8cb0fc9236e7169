"""Warnings and deadlines reach the person who must act, by name: the reclaim warning to the lead's
owner, an overdue dispute to the branch's managers, overdue reception feedback to the host, an
import's one summary to who uploaded it; and what reception really sends reads as Chinese."""

from datetime import UTC, datetime

from crm_shared.events.leads import (
    AttributionDisputeOverdue, LeadImportFinished, LeadReclaimWarning, LeadRegistered, LeadSource, MaskedCustomer,
)
from crm_shared.events.reception import ReceptionFeedbackOverdue
from crm_shared.ids import utcnow
from crm_notify.dispatch.service import dispatch_due
from tests.notify.support import (
    appointment, configure_branch, join_staff, messages, notify_running, publish_and_wait, publish_env_and_wait, sent_by_console,
)

RECLAIM_AT = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


async def _office(settings, ctx):
    await configure_branch(settings, ctx)
    await join_staff(settings, ctx, "c1", name="李娜", phone="+8613900139000", email="lina@sz-bay.test")
    await join_staff(settings, ctx, "c2", name="周强", email="zhou@sz-bay.test")  # no work phone
    await join_staff(settings, ctx, "m1", role="manager", name="张经理", email="zhang@sz-bay.test")
    await join_staff(settings, ctx, "m2", role="manager", name="赵经理", phone="+8613700137000")  # no email
    await join_staff(settings, ctx, "m9", role="manager", name="别处经理", email="m9@elsewhere.test", branch="gz-tianhe")
    await publish_and_wait(settings, ctx, LeadRegistered(
        lead_id="l1", customer=MaskedCustomer(name="张三", phone_masked="138****5678", phone_hash="h1"),
        source=LeadSource(channel="phone"), owner_id="c1", registered_by="c1"))


async def test_a_reclaim_warning_tells_the_owner_by_name_once(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _office(settings, ctx)
        env = await publish_and_wait(settings, ctx, LeadReclaimWarning(lead_id="l1", owner_id="c1", reclaim_at=RECLAIM_AT))
        await publish_env_and_wait(settings, ctx, env, msg_id=env.id + "-again")
        await publish_and_wait(settings, ctx, LeadReclaimWarning(lead_id="l1", owner_id="c1", reclaim_at=RECLAIM_AT))
        await publish_and_wait(settings, ctx, LeadReclaimWarning(lead_id="l7", owner_id="c2", reclaim_at=RECLAIM_AT,
                                                                 customer_name="钱女士"))
        await publish_and_wait(settings, ctx, LeadReclaimWarning(lead_id="l8", owner_id=None, reclaim_at=RECLAIM_AT))
        assert (await dispatch_due(ctx, utcnow())).outcomes == {"sent": 2}
        [sms] = await sent_by_console(ctx, channel="sms")
        assert sms["to"] == "+8613900139000"
        assert sms["body"] == "【售楼处】李娜，客户张三（138****5678）将于2026年12月3日 10:00收回公海，请尽快跟进。"
        [mail] = await sent_by_console(ctx, channel="email")  # c2 has no work phone: by email
        assert mail["to"] == "zhou@sz-bay.test" and mail["subject"] == "即将收回公海：客户钱女士"
        assert "15天未跟进即收回" in mail["body"] and mail["body"].startswith("周强：")


async def test_an_overdue_dispute_tells_every_manager_of_the_branch(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _office(settings, ctx)
        overdue = AttributionDisputeOverdue(dispute_id="d1", report_id="r1", lead_id="l1", reason="客户由我司首次带看",
                                            deadline=datetime(2026, 12, 2, 10, 0, tzinfo=UTC))
        env = await publish_and_wait(settings, ctx, overdue, subject="d1")
        await publish_env_and_wait(settings, ctx, env, msg_id=env.id + "-again")
        await dispatch_due(ctx, utcnow())
        sent = {s["to"]: s for s in await sent_by_console(ctx)}
        assert set(sent) == {"zhang@sz-bay.test", "+8613700137000"}, "the branch's managers, by email or else SMS"
        mail = sent["zhang@sz-bay.test"]
        assert mail["subject"] == "渠道归属争议逾期未裁决：客户张三（138****5678）"
        assert mail["body"] == ("张经理：\n\n客户张三（138****5678）的渠道归属争议应于2026年12月2日 18:00前裁决，现已逾期，请尽快裁决。"
                                "\n\n争议理由：客户由我司首次带看")
        assert sent["+8613700137000"]["body"] == "【售楼处】赵经理，客户张三（138****5678）的渠道归属争议已逾期未裁决，请尽快裁决。"


async def test_overdue_reception_feedback_tells_the_host(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _office(settings, ctx)
        overdue = ReceptionFeedbackOverdue(
            reception_id="rc1", reception_class="B", host_id="c1", arrive_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
            guests=4, purpose="万科集团考察", feedback_due_at=datetime(2026, 12, 3, 1, 0, tzinfo=UTC), participant_ids=["m1"])
        env = await publish_and_wait(settings, ctx, overdue, subject="rc1")
        await publish_env_and_wait(settings, ctx, env, msg_id=env.id + "-again")
        await dispatch_due(ctx, utcnow())
        [sms] = await sent_by_console(ctx)
        assert sms["to"] == "+8613900139000"
        assert sms["body"] == ("【售楼处】李娜，您2026年12月1日 09:00的B类接待（万科集团考察）反馈已逾期（应于2026年12月3日 09:00前提交），"
                               "请尽快提交接待信息反馈表。")


async def test_a_host_without_contacts_is_a_visible_failure(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _office(settings, ctx)
        await publish_and_wait(settings, ctx, ReceptionFeedbackOverdue(
            reception_id="rc2", reception_class="C", host_id="gone", arrive_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC)))
        [doc] = await messages(ctx, kind="feedback_overdue")
        assert doc["status"] == "failed" and "no sms contact" in doc["error"]


def _finished(job: str, by: str, **extra) -> LeadImportFinished:
    now = utcnow()
    return LeadImportFinished(**{"job_id": job, "state": "done", "file_name": "客户登记表.xlsx", "uploaded_by": by,
                                 "total": 20, "created": 16, "duplicates": 2, "invalid": 2, "started_at": now,
                                 "finished_at": now, **extra})


async def test_an_import_sends_one_summary_to_who_uploaded_it(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _office(settings, ctx)
        for i in range(3):  # the rows: nobody hears of them one by one
            await publish_and_wait(settings, ctx, LeadRegistered(
                lead_id=f"imp-{i}", customer=MaskedCustomer(name=f"客户{i}", phone_masked="138****0000", phone_hash=f"i{i}"),
                source=LeadSource(channel="walk_in"), owner_id="c1", registered_by="m1", import_id="job-1"))
        env = await publish_and_wait(settings, ctx, _finished("job-1", "m1"), subject="job-1")
        await publish_env_and_wait(settings, ctx, env, msg_id=env.id + "-again")
        await publish_and_wait(settings, ctx, _finished("job-2", "admin", state="failed", warnings=1), subject="job-2")
        await dispatch_due(ctx, utcnow())
        sent = await sent_by_console(ctx)
        mine = [s for s in sent if "job" not in s["body"] and s["subject"] == "客户导入完成：客户登记表.xlsx"]
        assert [s["to"] for s in mine] == ["zhang@sz-bay.test"]
        assert mine[0]["body"] == "张经理：\n\n客户登记表.xlsx已导入完成：共20行，新增客户16位，重复2行，无效2行。逐行结果可在导入页面下载。"
        stopped = sorted((s["to"], s["body"]) for s in sent if s not in mine)  # an admin uploaded: the branch's managers
        assert [to for to, _ in stopped] == ["+8613700137000", "zhang@sz-bay.test"]
        assert stopped[0][1] == "【售楼处】赵经理，客户登记表.xlsx导入中断：新增客户16位，重复2行，无效2行。"
        assert "另有1行部分信息未导入" in stopped[1][1]


async def test_the_site_checklist_reaches_the_customer_in_chinese(urls):
    """What reception really sends: its checklist items, or the English lines of older events."""
    from crm_shared.checklist import site_items

    start = datetime(2030, 6, 1, 6, 0, tzinfo=UTC)
    async with notify_running(urls) as (settings, ctx, client):
        await _office(settings, ctx)
        await publish_and_wait(settings, ctx, appointment(start, "a1", checklist=[], site_checklist=site_items(3, 1, 1, None)))
        await publish_and_wait(settings, ctx, appointment(start, "a2", phone="+8613800138001", checklist=[
            "Hard hats: 2 (one per visitor)", "Children and elderly wait at the sales office, not on site",
            "Route planned in advance: 北门进，先看样板间"]))
        await dispatch_due(ctx, utcnow())
        bodies = sorted(s["body"] for s in await sent_by_console(ctx, channel="sms"))
        assert len(bodies) == 2 and not any("Hard hats" in b or "Route" in b for b in bodies)
        assert any("工地参观须知：安全帽3顶（每位访客一顶）；儿童1位、老人1位在售楼处等候，不进入工地；参观路线由置业顾问提前规划。"
                   in b for b in bodies)
        assert any("工地参观须知：安全帽2顶（每位访客一顶）；儿童与老人在售楼处等候，不进入工地；参观路线：北门进，先看样板间。"
                   in b for b in bodies)
