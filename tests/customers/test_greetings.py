"""Greetings against the real stack with a controlled clock: birthdays (with Feb 29), important dates and the
first day of a statutory holiday; none on a make-up working day, none for a frozen archive, none twice."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from crm_shared.phones import unseal
from crm_customers.greetings import service
from crm_customers.plugin import CustomersService
from crm_customers.settings import CustomersSettings
from tests.customers.care_office import NORTH, SOUTH, Care, care
from tests.support.runtime import eventually, running

SHANGHAI = timezone(timedelta(hours=8))


def at(text: str) -> datetime:
    """A branch-local (Shanghai) wall-clock time as an instant."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


async def _n(o: Care, n: int):
    found = await o.events("greeting.due")
    return found if len(found) >= n else None


async def test_a_birthday_once_with_a_gift_for_key_accounts_and_none_twice_after_a_restart(urls):
    async with care(urls) as o:
        general = await o.archive(birthday="1980-05-20")
        key = await o.archive(tier="key", birthday="1975-05-20", manager="c2")
        frozen = await o.archive(tier="core", birthday="1970-05-20", frozen=True)
        await o.archive(birthday="1980-05-21")
        south = await o.archive(SOUTH, birthday="1990-05-20")
        ctx = o.ctx
        assert await service.send_greetings(ctx, at("2026-05-20T08:30")) == {}  # before the greeting hour
        assert await service.send_greetings(ctx, at("2026-05-20T09:30")) == {NORTH: 2, SOUTH: 1}
        assert await service.send_greetings(ctx, at("2026-05-20T15:00")) == {}
        await o.db.greeting_days.delete_many({})  # as if the pass died before its day's marker
        assert await service.send_greetings(ctx, at("2026-05-20T16:00")) == {}
        events = await eventually(lambda: _n(o, 3))
        by_archive = {e["archive_id"]: e for e in events}
        assert set(by_archive) == {general["_id"], key["_id"], south["_id"]} and frozen["_id"] not in by_archive
        assert by_archive[key["_id"]]["gift"] is True and by_archive[general["_id"]]["gift"] is False
        g = by_archive[general["_id"]]
        assert (g["occasion"], g["occasion_name"], g["on"]) == ("birthday", "生日", "2026-05-20")
        assert g["account_manager_id"] == o.staff_id("c1") and by_archive[key["_id"]]["account_manager_id"] == o.staff_id("c2")
        assert unseal(g["customer"]["phone_sealed"], o.settings.phone_seal_key) == general["e164"]
        settings = o.settings
    async with running([CustomersService(CustomersSettings(timers=False))], settings) as (app, client):
        ctx = app.state.contexts["customers"]
        await ctx.db.greeting_days.delete_many({})
        assert await service.send_greetings(ctx, at("2026-05-20T20:00")) == {}
        assert len(await Care(settings, app, client).events("greeting.due")) == 3


async def test_the_first_day_of_a_statutory_holiday_never_a_make_up_working_day_never_a_frozen_archive(urls):
    async with care(urls) as o:
        one, two = await o.archive(), await o.archive(tier="core")
        frozen = await o.archive(frozen=True)
        ctx = o.ctx
        assert await service.send_greetings(ctx, at("2025-09-28T10:00")) == {}  # 调休: worked Sunday before 国庆节
        assert await service.send_greetings(ctx, at("2025-10-01T10:00")) == {NORTH: 2}
        assert await service.send_greetings(ctx, at("2025-10-02T10:00")) == {}  # inside the holiday
        events = await eventually(lambda: _n(o, 2))
        assert sorted(e["archive_id"] for e in events) == sorted([one["_id"], two["_id"]])
        assert {(e["occasion"], e["occasion_name"], e["on"], e["gift"]) for e in events} == {
            ("holiday", "国庆节", "2025-10-01", False)}
        assert frozen["_id"] not in {e["archive_id"] for e in events}
        assert await service.send_greetings(ctx, at("2025-01-28T10:00")) == {NORTH: 2}  # 春节 (除夕)
        spring = [e for e in await eventually(lambda: _n(o, 4)) if e["on"] == "2025-01-28"]
        assert {e["occasion_name"] for e in spring} == {"春节"}


async def test_february_29_and_important_dates(urls):
    async with care(urls) as o:
        leap = await o.archive(birthday="1980-02-29", dates=[("结婚纪念日", 6, 18)])
        ctx = o.ctx
        assert await service.send_greetings(ctx, at("2025-02-28T09:00")) == {NORTH: 1}  # a common year
        assert await service.send_greetings(ctx, at("2024-02-28T09:00")) == {}  # a leap year: not yet
        assert await service.send_greetings(ctx, at("2024-02-29T09:00")) == {NORTH: 1}
        assert await service.send_greetings(ctx, at("2025-06-18T09:00")) == {NORTH: 1}
        events = await eventually(lambda: _n(o, 3))
        assert sorted((e["on"], e["occasion"], e["occasion_name"]) for e in events) == [
            ("2024-02-29", "birthday", "生日"), ("2025-02-28", "birthday", "生日"),
            ("2025-06-18", "important_date", "结婚纪念日")]
        assert {e["archive_id"] for e in events} == {leap["_id"]}
