"""appointment.* triggers: exactly one confirmation and three reminders under redelivery; moves and cancels."""

from datetime import timedelta

from crm_shared.events import new_event
from crm_shared.events.reception import AppointmentCancelled, AppointmentRescheduled
from crm_shared.ids import utcnow
from crm_notify.dispatch.service import dispatch_due
from tests.notify.support import (
    BRANCH, appointment, configure_branch, join_staff, messages, notify_running, publish_and_wait,
    publish_env_and_wait, sent_by_console,
)

REMINDERS = {"reminder_7d", "reminder_2d", "reminder_evening"}


async def test_scheduled_delivered_three_times_plans_one_confirmation_and_three_reminders(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await configure_branch(settings, ctx)
        await join_staff(settings, ctx, "c1", name="李娜", phone="+8613900139000")
        start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
        env = new_event(appointment(start, "a1"), branch_id=BRANCH, subject="a1")
        await publish_env_and_wait(settings, ctx, env)
        for n in range(2):  # the same event again, past JetStream's duplicate window
            await publish_env_and_wait(settings, ctx, env.model_copy(update={"id": f"{env.id}-{n}"}))
        docs = await messages(ctx)
        kinds = sorted(d["kind"] for d in docs)
        assert kinds == ["appointment_confirmation", "reminder_2d", "reminder_7d", "reminder_evening"]
        confirmation = next(d for d in docs if d["kind"] == "appointment_confirmation")
        assert confirmation["status"] == "queued" and confirmation["to"] == "+8613800138000"
        assert {d["status"] for d in docs if d["kind"] in REMINDERS} == {"scheduled"}

        assert (await dispatch_due(ctx, utcnow())).outcomes == {"sent": 1}
        [sent] = await sent_by_console(ctx)
        assert "李娜" in sent["body"] and "安全帽" in sent["body"], sent["body"]
        for doc in docs:  # walk the clock through every reminder: each goes once
            await dispatch_due(ctx, doc["due_at"] + timedelta(seconds=1))
            await dispatch_due(ctx, doc["due_at"] + timedelta(seconds=2))
        bodies = [s["body"] for s in await sent_by_console(ctx)]
        assert len(bodies) == 4
        assert sum("7天后" in b for b in bodies) == 1 and sum("明天" in b for b in bodies) == 1


async def test_confirmation_also_by_email_when_the_customer_has_one(urls):
    async with notify_running(urls) as (settings, ctx, client):
        start = utcnow() + timedelta(days=3)
        await publish_and_wait(settings, ctx, appointment(start, "a2", email="wang@example.com"))
        docs = await messages(ctx, kind="appointment_confirmation")
        assert sorted(d["channel"] for d in docs) == ["email", "sms"]
        assert {d["kind"] for d in await messages(ctx)} == {"appointment_confirmation", "reminder_2d", "reminder_evening"}


async def test_reschedule_moves_pending_reminders(urls):
    async with notify_running(urls) as (settings, ctx, client):
        start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
        await publish_and_wait(settings, ctx, appointment(start, "a3"))
        old = {d["_id"] for d in await messages(ctx) if d["kind"] in REMINDERS}
        new_start = start + timedelta(days=5)
        moved = appointment(new_start, "a3", previous_start=start).model_dump()
        await publish_and_wait(settings, ctx, AppointmentRescheduled(**moved))
        docs = await messages(ctx)
        assert {d["status"] for d in docs if d["_id"] in old} == {"cancelled"}
        live = [d for d in docs if d["kind"] in REMINDERS and d["status"] == "scheduled"]
        assert sorted(d["kind"] for d in live) == sorted(REMINDERS)
        assert {d["occurrence"] for d in live} == {new_start.isoformat()}
        assert min(d["due_at"] for d in live) == new_start - timedelta(days=7)
        assert len([d for d in docs if d["kind"] == "appointment_rescheduled"]) == 1
        [confirmation] = [d for d in docs if d["kind"] == "appointment_confirmation"]
        assert confirmation["status"] == "cancelled", "an unsent confirmation of the old time is not sent"


async def test_cancel_cancels_pending_reminders_and_a_late_event_cannot_revive_them(urls):
    async with notify_running(urls) as (settings, ctx, client):
        start = utcnow() + timedelta(days=10)
        scheduled = new_event(appointment(start, "a4"), branch_id=BRANCH, subject="a4")
        await publish_env_and_wait(settings, ctx, scheduled)
        await publish_and_wait(settings, ctx, AppointmentCancelled(**appointment(start, "a4").model_dump()))
        docs = await messages(ctx)
        assert {d["status"] for d in docs if d["kind"] in REMINDERS} == {"cancelled"}
        assert len([d for d in docs if d["kind"] == "appointment_cancelled"]) == 1
        await publish_env_and_wait(settings, ctx, scheduled.model_copy(update={"id": scheduled.id + "-late"}))
        assert {d["status"] for d in await messages(ctx) if d["kind"] in REMINDERS} == {"cancelled"}
        far = start + timedelta(days=1)
        assert (await dispatch_due(ctx, far)).outcomes == {"sent": 1}
        [sent] = await sent_by_console(ctx)  # the unsent confirmation was cancelled too: only the notice goes
        assert "已取消" in sent["body"]
