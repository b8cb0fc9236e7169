"""Sealed appointment contacts in notify (issue 19): a `schema_version` 2 event is opened with the customer's key to
address the confirmation and reminders; a version-1 event (old, in the stream, replayed) still works as it did; an
erased customer's sealed event plans nothing for them; and an erasure finds the appointment's email messages by
their person (the phone hash), not only its SMS ones."""

from __future__ import annotations

import json
from datetime import timedelta

from crm_shared.events import new_event
from crm_shared.events.privacy import CustomerErased
from crm_shared.events.reception import AppointmentCancelled, AppointmentScheduled, Contact
from crm_shared.ids import utcnow, uuid7
from crm_shared.phones import phone_hash
from crm_notify.dispatch.service import dispatch_due
from crm_notify.triggers.freezes import PERSON
from tests.notify.support import (
    BRANCH, configure_branch, join_staff, messages, notify_running, publish_and_wait, publish_env_and_wait,
    sent_by_console,
)

NUMBER, EMAIL = "+8613800138066", "wang@example.com"
CUSTOMER_KINDS = {"appointment_confirmation", "reminder_7d", "reminder_2d", "reminder_evening"}


async def sealed_appointment(ctx, start, appointment_id: str, phone: str | None = NUMBER, email: str | None = EMAIL,
                             cls=AppointmentScheduled, **extra):
    """What reception publishes since issue 19: the contact sealed under the customer's key."""
    return cls(appointment_id=appointment_id, consultant_id="c1", kind="showing", start=start,
               end=start + timedelta(hours=1), party_size=2,
               customer=await Contact.seal(ctx.keys, "王先生", phone, email), **extra)


async def test_a_sealed_event_is_opened_to_send_the_confirmation_and_reminders(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await configure_branch(settings, ctx)
        await join_staff(settings, ctx, "c1", name="李娜", phone="+8613900139000")
        start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
        data = await sealed_appointment(ctx, start, "s1")
        env = new_event(data, branch_id=BRANCH, subject="s1")
        assert env.schema_version == 2
        text = env.model_dump_json()
        assert "13800138066" not in text and EMAIL not in text, "nothing in clear on the bus"
        await publish_env_and_wait(settings, ctx, env)
        docs = await messages(ctx)
        assert sorted(d["kind"] for d in docs) == sorted([*CUSTOMER_KINDS, "appointment_confirmation"])
        by = {(d["kind"], d["channel"]): d for d in docs}
        assert by[("appointment_confirmation", "sms")]["to"] == NUMBER
        assert by[("appointment_confirmation", "email")]["to"] == EMAIL
        assert {d["to"] for d in docs if d["kind"] != "appointment_confirmation"} == {NUMBER}, "reminders by SMS"
        assert {d[PERSON] for d in docs} == {phone_hash(NUMBER, settings.phone_hash_key)}
        assert (await dispatch_due(ctx, utcnow())).outcomes == {"sent": 2}
        bodies = [s["body"] for s in await sent_by_console(ctx)]
        assert all("王先生" in b and "李娜" in b for b in bodies), bodies


async def test_a_version_1_event_from_the_stream_still_works(urls):
    """Old events (contact in clear, `schema_version` 1) stay in the stream and are replayed: read as they are."""
    async with notify_running(urls) as (settings, ctx, client):
        await configure_branch(settings, ctx)
        start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
        old = {"appointment_id": "v1", "consultant_id": "c1", "kind": "showing", "start": start.isoformat(),
               "end": (start + timedelta(hours=1)).isoformat(), "party_size": 1,
               "customer": {"name": "王先生", "phone": NUMBER, "email": EMAIL}}
        env = new_event(AppointmentScheduled.model_validate(old), branch_id=BRANCH, subject="v1")
        env = env.model_copy(update={"schema_version": 1, "data": old})
        await publish_env_and_wait(settings, ctx, env)
        docs = await messages(ctx)
        assert sorted(d["kind"] for d in docs) == sorted([*CUSTOMER_KINDS, "appointment_confirmation"])
        assert {d["to"] for d in docs} == {NUMBER, EMAIL}
        assert {d[PERSON] for d in docs} == {phone_hash(NUMBER, settings.phone_hash_key)}
        cancelled = new_event(AppointmentCancelled.model_validate(old), branch_id=BRANCH, subject="v1")
        await publish_env_and_wait(settings, ctx, cancelled.model_copy(update={"schema_version": 1, "data": old}))
        after = await messages(ctx)
        assert {d["status"] for d in after if d["kind"] in CUSTOMER_KINDS} == {"cancelled"}
        [notice] = [d for d in after if d["kind"] == "appointment_cancelled"]
        assert notice["to"] == NUMBER and notice["status"] == "queued"


async def test_an_erased_customers_sealed_event_plans_nothing_for_them(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await configure_branch(settings, ctx)
        start = utcnow() + timedelta(days=5)
        data = await sealed_appointment(ctx, start, "gone", phone="+8613800138067", email="gone@example.com")
        assert await ctx.keys.erase(data.customer.phone_hash)
        await publish_and_wait(settings, ctx, data, subject="gone")
        assert await messages(ctx) == [], "the seals no longer open: no message, no failed one naming them"


async def test_an_erasure_removes_the_appointments_email_messages_too(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await configure_branch(settings, ctx)
        start = utcnow() + timedelta(days=5)
        await publish_and_wait(settings, ctx, await sealed_appointment(ctx, start, "e1"), subject="e1")
        assert {d["channel"] for d in await messages(ctx)} == {"sms", "email"}
        erased = CustomerErased(erasure_id=uuid7(), phone_hash=phone_hash(NUMBER, settings.phone_hash_key))
        await publish_and_wait(settings, ctx, erased, subject=erased.erasure_id)
        left = await messages(ctx)
        assert left == [], [(d["channel"], d["to"]) for d in left]
        assert EMAIL not in json.dumps(await ctx.db.appointments.find({}).to_list(None), default=str)
