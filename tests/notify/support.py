"""Notify test helpers: run the service with explicit dispatch (no timers), publish events, read what was sent."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from crm_shared.events import new_event
from crm_shared.events.leads import BranchConfigured, StaffJoined
from crm_shared.events.reception import AppointmentScheduled, Contact
from crm_shared.ids import uuid7
from crm_shared.plugins import ServiceContext
from crm_notify.plugin import NotifyService
from crm_notify.settings import NotifySettings
from tests.support.runtime import eventually, isolated_settings, publish_event, running

BRANCH = "sz-bay"


def notify_config(**overrides) -> NotifySettings:
    values = dict(dispatch_loop=False, backoff_base_seconds=10, backoff_cap_seconds=600, lease_seconds=60,
                  unsubscribe_secret="test-unsubscribe-secret", public_base_url="https://crm.test")
    values.update(overrides)
    return NotifySettings(**values)


@asynccontextmanager
async def notify_running(urls, **config):
    settings = isolated_settings(*urls)
    async with running([NotifyService(notify_config(**config))], settings) as (app, client):
        yield settings, app.state.contexts["notify"], client


async def publish_and_wait(settings, ctx: ServiceContext, data, branch: str = BRANCH, subject: str = "x", msg_id=None):
    """Publish an event and wait until notify's consumer has recorded it in its inbox."""
    env = new_event(data, branch_id=branch, subject=subject)
    await publish_event(settings, env, msg_id=msg_id)
    inbox_id = f"notify-main:{env.id}"
    assert await eventually(lambda: ctx.db.inbox.find_one({"_id": inbox_id})), f"{env.type} not handled"
    return env


async def publish_env_and_wait(settings, ctx: ServiceContext, env, msg_id=None):
    await publish_event(settings, env, msg_id=msg_id)
    assert await eventually(lambda: ctx.db.inbox.find_one({"_id": f"notify-main:{env.id}"}))


async def configure_branch(settings, ctx, branch: str = BRANCH, timezone: str = "Asia/Shanghai", **branch_settings):
    await publish_and_wait(settings, ctx, BranchConfigured(branch_id=branch, name="深圳湾售楼处", timezone=timezone,
                                                           settings=branch_settings), branch=branch, subject=branch)


async def join_staff(settings, ctx, staff_id: str, role: str = "consultant", branch: str = BRANCH, **contact):
    await publish_and_wait(settings, ctx, StaffJoined(staff_id=staff_id, role=role, name=contact.pop("name", staff_id),
                                                      **contact), branch=branch, subject=staff_id)


def appointment(start: datetime, appointment_id: str | None = None, phone: str | None = "+8613800138000",
                email: str | None = None, kind: str = "showing", **extra) -> AppointmentScheduled:
    """An appointment event with the contact in clear, as `schema_version` 1 events (before issue 19) hold it: notify
    still reads those. What reception publishes now, sealed: tests/notify/test_sealed_appointments.py."""
    return AppointmentScheduled(
        appointment_id=appointment_id or uuid7(), consultant_id="c1", customer=Contact(name="王先生", phone=phone, email=email),
        start=start, end=start + timedelta(hours=1), kind=kind, party_size=2,
        **{"checklist": ["每位访客佩戴安全帽", "儿童与老人在售楼处等候"], **extra},
    )


async def messages(ctx: ServiceContext, **query) -> list[dict]:
    return await ctx.db.messages.find(query).sort("due_at", 1).to_list(10_000)


async def sent_by_console(ctx: ServiceContext, **query) -> list[dict]:
    return await ctx.db.console_outbox.find(query).to_list(10_000)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)
