"""Reception on the platform skeleton: its settings, its declared timers, the shared directory's
default time zone, and domain errors where a timer used to catch HTTP problems."""

from datetime import UTC, datetime, timedelta

import pytest

from crm_shared.config import Settings, service_settings
from crm_shared.errors import Conflict
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext
from crm_reception.appointments import service as appointments
from crm_reception.plugin import ReceptionService
from crm_reception.visits import queue as visitor_queue
from crm_reception.receptions import service as receptions
from crm_reception.settings import ReceptionSettings
from tests.reception.builders import future, office
from tests.support.runtime import eventually


def test_settings_come_from_crm_reception_and_inherit_the_time_zone(monkeypatch):
    monkeypatch.setenv("CRM_RECEPTION__TIMER_SECONDS", "5")
    monkeypatch.setenv("CRM_RECEPTION__TIMERS", "false")
    config = service_settings(ReceptionSettings, "reception", Settings(environment="test", default_timezone="Asia/Urumqi"))
    assert (config.timer_seconds, config.timers, config.default_timezone) == (5.0, False, "Asia/Urumqi")
    monkeypatch.setenv("CRM_RECEPTION__TIMER_SECONDS", "0")
    with pytest.raises(ValueError, match="CRM_RECEPTION__TIMER_SECONDS"):
        service_settings(ReceptionSettings, "reception", Settings(environment="test"))


def _context(config: ReceptionSettings) -> ServiceContext:
    settings = Settings(environment="test")
    return ServiceContext("reception", settings, db=None, js=None, relay=None,  # type: ignore[arg-type]
                          config=service_settings(ReceptionSettings, "reception", settings, config))


def test_the_three_timers_are_declared_with_the_configured_period():
    timers = ReceptionService().timers(_context(ReceptionSettings(timer_seconds=7)))
    assert [(t.name, t.every, t.leased) for t in timers] == [
        ("no-shows", 7.0, True), ("feedback-overdue", 7.0, True), ("visitor-queue", 7.0, True)]
    assert [t.run for t in timers] == [appointments.mark_no_shows, receptions.flag_overdue_feedback,
                                       visitor_queue.assign_waiting]
    assert ReceptionService().timers(_context(ReceptionSettings(timers=False))) == []


async def test_the_platform_runs_the_no_show_timer(urls):
    async with office(urls, config=ReceptionSettings(timer_seconds=0.2)) as o:
        (c1,) = await o.staff()
        start = utcnow() - timedelta(hours=2)
        _id = uuid7()
        await o.ctx.aggregate("appointments").insert({
            "_id": _id, "branch_id": o.branch, "consultant_id": c1, "lead_id": None,
            "customer": {"name": "张女士", "phone": "+8613812345678", "email": None}, "kind": "office_visit",
            "start": start, "end": start + timedelta(hours=1), "party_size": 1, "notes": None, "checklist": [],
            "status": "scheduled", "visit_id": None, "created_at": start, "updated_at": start,
        })
        assert await eventually(lambda: o.db.appointments.find_one({"_id": _id, "status": "no_show"}))


async def test_an_unconfigured_branch_gets_the_default_time_zone(urls):
    async with office(urls, default_timezone="Europe/Berlin") as o:
        (c1,) = await o.staff()
        r = await o.client.get("/v1/appointments/availability", headers=o.auth(),
                               params={"branch_id": o.branch, "consultant_id": c1, "date": "2031-03-04"})
        assert r.status_code == 200 and r.json()["timezone"] == "Europe/Berlin"
        opens = datetime.fromisoformat(r.json()["free"][0]["start"])
        assert opens == datetime(2031, 3, 4, 8, tzinfo=UTC), "09:00 in Berlin (winter time)"


async def test_a_no_show_pass_reports_a_genuine_conflict_instead_of_swallowing_it(urls, monkeypatch):
    """Only a lost race (`Stale`) is skipped by the timer; any other domain error surfaces."""
    async with office(urls) as o:
        (c1,) = await o.staff()
        s = future(1)
        assert (await o.book(c1, s)).status_code == 201

        async def broken(*_a, **_k):
            raise Conflict("wrong-status", "a bug, not a race")

        monkeypatch.setattr(appointments, "no_show", broken)
        with pytest.raises(Conflict):
            await appointments.mark_no_shows(o.ctx, s + timedelta(hours=1))
