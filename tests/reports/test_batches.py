"""Projections in batches: one window per batch, exactly once per event whatever fails half-way
or writes beside it; user text never becomes a field name; settings and the timer."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from crm_shared.events.privacy import CustomerErased
from crm_reports.generations import Generation
from crm_reports.plugin import ReportsService
from crm_reports.projections.buckets import read_days
from crm_reports.projections.flow import PROJECTIONS
from crm_reports.projections.subscribers import project
from crm_reports.projections.window import Window
from crm_reports.settings import ReportsSettings
from crm_reports.subscriptions import table
from crm_shared.config import Settings, service_settings
from crm_shared.events import parse, registry
from crm_shared.events.leads import ChannelReportRejected, LeadLost, LeadWon
from crm_shared.events.reception import VisitEnded
from tests.reports.builders import BRANCH, at, ev, registered, scripted_day, visit
from tests.reports.conftest import publish_all
from tests.support.runtime import bearer

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def parsed(envs) -> list:
    return [parse(env.model_dump_json()) for env in envs]


async def test_the_live_consumer_is_one_batch_table_of_event_classes():
    t = table()
    assert t.batch is not None and not t.handlers
    assert set(t.classes.values()) == set(PROJECTIONS) | {CustomerErased}  # an erasure scrubs the read models
    t.check(registry())


async def test_a_batch_that_failed_half_way_counts_once_when_retried_event_by_event(reports):
    _, ctx, _ = reports
    tz, events = ctx.config.default_timezone, parsed(scripted_day())
    clean = Generation(ctx.db, "gclean")
    await project(clean, events, tz)

    crashed = Generation(ctx.db, "gcrash")
    window = Window(crashed, tz)
    await window.apply(events)
    await window.changes.write(crashed.buckets)  # counters stored, the lead facts never written
    for event in events:  # what the platform does after a failed batch
        await project(crashed, [event], tz)
    assert await read_days(crashed, BRANCH, *MARCH) == await read_days(clean, BRANCH, *MARCH)


async def test_two_writers_of_one_lead_both_count(reports):
    """Two replicas (or live events into a generation being rebuilt) read a lead before either writes."""
    _, ctx, _ = reports
    g, tz = Generation(ctx.db, "gtwo"), ctx.config.default_timezone
    [reg] = parsed([registered("L1", "phone", "c1", "A", "2026-03-10T01:00:00")])
    [seen] = parsed([visit("V1", "L1", "c1", "2026-03-10T02:00:00")])
    [won] = parsed([ev(LeadWon(lead_id="L1", owner_id="c1", amount=10), "2026-03-10T03:00:00")])
    first, second = Window(g, tz), Window(g, tz)
    await first.apply([reg])
    await second.apply([seen])  # both think the lead is new
    await first.flush()
    await second.flush()  # its insert finds the lead: it reads it again and adds the visit
    third, fourth = Window(g, tz), Window(g, tz)
    await third.apply([won])
    await fourth.apply([seen])  # both read version 1
    await third.flush()
    await fourth.flush()  # its versioned write is refused: read again, nothing new to count
    funnel = (await read_days(g, BRANCH, *MARCH))["2026-03-10"]["funnel"]["total"]
    assert funnel == {"leads": 1, "visited": 1, "won": 1}
    lead = await g.leads.find_one({"_id": "L1"})
    assert lead["won"] and lead["visited"] and sorted(lead["counted"]) == ["leads", "visited", "won"]


async def test_user_text_is_counted_under_a_digest_and_shown_as_typed(reports):
    settings, ctx, client = reports
    reason = "价格.太高 $1 100%"
    envs = [
        ev(LeadLost(lead_id="L1", owner_id="c1", reason=f"  {reason} ", status_before="new"), "2026-03-10T02:00:00"),
        ev(LeadLost(lead_id="L2", owner_id="c1", reason=reason, status_before="visited"), "2026-03-10T03:00:00"),
        ev(ChannelReportRejected(report_id="R1", partner_id="p1", reason="a.b"), "2026-03-10T04:00:00"),
        ev(VisitEnded(visit_id="V1", consultant_id="c1", outcome="$where"), "2026-03-10T05:00:00"),
    ]
    await publish_all(settings, ctx, envs)
    g = Generation(ctx.db, "g0")
    doc = await g.buckets.find_one({"_id": f"{BRANCH}:2026-03-10"})

    def names(node, path=()):
        for k, v in node.items():
            yield path + (k,)
            if isinstance(v, dict):
                yield from names(v, path + (k,))

    fields = [".".join(p) for p in names(doc["c"])]
    assert not any(text in f for f in fields for text in ("价格", "a%2Eb", "where")), fields
    assert sorted(doc["labels"].values()) == sorted([reason, "a.b", "$where"])
    auth = bearer(settings, "manager", [BRANCH])
    day = {"branch_id": BRANCH, "from": "2026-03-10", "to": "2026-03-10"}
    lost = (await client.get("/v1/reports/lost-reasons", params=day, headers=auth)).json()
    assert lost["items"] == [{"reason": reason, "count": 2, "share": 1.0, "by_stage": {"new": 1, "visited": 1}}]
    partners = (await client.get("/v1/reports/partners", params=day, headers=auth)).json()
    assert partners["items"][0]["rejection_reasons"] == {"a.b": 1}
    assert (await read_days(g, BRANCH, at("2026-03-10T00:00:00").date(), at("2026-03-10T00:00:00").date())
            )["2026-03-10"]["visit_outcomes"] == {"%24where": 1}


def test_settings_come_from_crm_reports_variables(monkeypatch):
    monkeypatch.setenv("CRM_REPORTS__DIGEST", "false")
    monkeypatch.setenv("CRM_REPORTS__DIGEST_INTERVAL_SECONDS", "12.5")
    monkeypatch.setenv("CRM_DEFAULT_TIMEZONE", "Asia/Hong_Kong")
    loaded = service_settings(ReportsSettings, "reports", Settings())
    assert (loaded.digest, loaded.digest_interval_seconds, loaded.default_timezone) == (False, 12.5, "Asia/Hong_Kong")


def test_the_rebuild_and_the_digest_are_declared_timers():
    service = ReportsService()
    timers = service.timers(SimpleNamespace(config=ReportsSettings(digest_interval_seconds=7, rebuild_interval_seconds=3)))
    assert [(t.name, t.every, t.leased) for t in timers] == [("rebuild", 3, True), ("digest", 7, True)]
    assert [t.name for t in service.timers(SimpleNamespace(config=ReportsSettings(digest=False)))] == ["rebuild"]
