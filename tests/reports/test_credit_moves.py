"""A credit moved after signing (an attribution dispute decided late: `attribution.decided`, then deals'
`deal.attribution_changed`) moves the deal in the partners report (渠道效果分析) as it does in the sales report by
partner: on the date of the move, out of the old partner and into the new one, so both reports agree for every
period; also when the move reaches reports before the lead's `lead.won`, when events are redelivered, and after a
rebuild by replay."""

from __future__ import annotations

from datetime import date

from crm_reports.generations import Generation
from crm_reports.projections.buckets import read_days
from crm_reports.projections.subscribers import project
from crm_reports.projections.window import Window
from crm_shared.events import parse
from crm_shared.events.deals import Attribution, DealAttributionChanged, DealSigned, DealSubscribed
from crm_shared.events.leads import (
    AttributionDecided, AttributionDisputed, ChannelReportAccepted, ChannelReportConfirmed, LeadWon, PartnerRegistered,
)
from tests.reports.builders import BRANCH, at, ev
from tests.reports.conftest import publish_all, rebuilt
from tests.reports.deal_builders import DEALS, YUAN, deal, office
from tests.support.runtime import bearer

P1, P2 = Attribution(partner_id="p1", report_id="rep1"), Attribution(partner_id="p2", report_id="rep2")
DAYS = ("2026-03-10", "2026-03-11", "2026-03-12")
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def won(deal_id: str, partner: str, when: str, signed_at: str):
    """leads' `lead.won` for a signed deal, as leads publishes it on `deal.signed`."""
    lead, _, owner, price, _, _ = DEALS[deal_id]
    return ev(LeadWon(lead_id=lead, owner_id=owner, amount=float(price), amount_fen=price * YUAN, partner_id=partner,
                      deal_id=deal_id, contract_no=f"HT-{deal_id}", signed_at=at(signed_at)), when, subject=lead)


def dispute(cls, dispute_id: str, report_id: str, lead: str, when: str, winner: str | None = None):
    return ev(cls(dispute_id=dispute_id, report_id=report_id, lead_id=lead, winner=winner, reason="先带看的是对方"),
              when, subject=dispute_id)


def moved(deal_id: str, before: Attribution, after: Attribution, dispute_id: str, when: str):
    """deals' `deal.attribution_changed` for a signed deal (crm_deals.deals.service.apply_decision)."""
    return deal(DealAttributionChanged, deal_id, when, attribution=after, previous_attribution=before,
                dispute_id=dispute_id, status="signed")


def story() -> list:
    """L2's deal D2 is signed for p1 on the 10th and moved to p2 on the 12th; L1's deal D1 is signed for p2 on the
    10th and moved to p1 on the 11th, a move that reaches reports before leads' `lead.won` (two services race)."""
    return office() + [
        ev(PartnerRegistered(partner_id="p2", kind="agent", name="王经纪"), "2026-03-01T00:00:00", subject="p2"),
        ev(ChannelReportAccepted(report_id="rep1", partner_id="p1"), "2026-03-08T02:00:00", subject="rep1"),
        ev(ChannelReportConfirmed(report_id="rep1", partner_id="p1", lead_id="L2"), "2026-03-09T02:30:00", subject="rep1"),
        ev(ChannelReportAccepted(report_id="rep2", partner_id="p2"), "2026-03-08T03:00:00", subject="rep2"),
        ev(ChannelReportConfirmed(report_id="rep2", partner_id="p2", lead_id="L1"), "2026-03-09T03:30:00", subject="rep2"),
        dispute(AttributionDisputed, "dsp-2", "rep1", "L2", "2026-03-09T06:00:00"),
        deal(DealSubscribed, "D2", "2026-03-10T01:00:00", attribution=P1, status="subscribed"),
        deal(DealSigned, "D2", "2026-03-10T03:00:00", attribution=P1, contract_no="HT-D2", status="signed",
             signed_at=at("2026-03-10T03:00:00")),
        won("D2", "p1", "2026-03-10T03:00:05", "2026-03-10T03:00:00"),
        deal(DealSubscribed, "D1", "2026-03-10T02:00:00", attribution=P2, status="subscribed"),
        deal(DealSigned, "D1", "2026-03-10T04:00:00", attribution=P2, contract_no="HT-D1", status="signed",
             signed_at=at("2026-03-10T04:00:00")),
        dispute(AttributionDisputed, "dsp-1", "rep2", "L1", "2026-03-10T05:00:00"),
        dispute(AttributionDecided, "dsp-1", "rep2", "L1", "2026-03-11T02:00:00", winner="p1"),
        moved("D1", P2, P1, "dsp-1", "2026-03-11T02:00:01"),
        won("D1", "p2", "2026-03-11T02:30:00", "2026-03-10T04:00:00"),  # leads heard of the signing late
        dispute(AttributionDecided, "dsp-2", "rep1", "L2", "2026-03-12T02:00:00", winner="p2"),
        moved("D2", P1, P2, "dsp-2", "2026-03-12T02:00:01"),
    ]


async def _get(client, auth, path: str, params: dict) -> dict:
    r = await client.get(path, params=params, headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


async def _both(client, auth, first: str, last: str) -> dict[str, dict]:
    """Per partner: the sales report's units and amount by partner beside the partners report's deals and amount."""
    params = {"branch_id": BRANCH, "from": first, "to": last}
    sales = await _get(client, auth, "/v1/reports/sales", params | {"group_by": "partner"})
    partners = (await _get(client, auth, "/v1/reports/partners", params))["items"]
    out: dict[str, dict] = {}
    for i in sales["items"]:
        if i["group"] != "none":
            out.setdefault(i["group"], {})["sales"] = (i["units"], float(i["amount"]), i["moved"])
    for p in partners:
        if p["deals"] or p["amount"] or p.get("credit_moved"):
            out.setdefault(p["partner_id"], {})["partners"] = (p["deals"], p["amount"], p.get("credit_moved"))
    return out


async def _every_period(client, auth) -> dict[tuple[str, str], dict]:
    return {(a, b): await _both(client, auth, a, b) for a in DAYS for b in DAYS if a <= b}


async def test_a_credit_moved_after_signing_moves_in_both_reports_alike(reports):
    settings, ctx, client = reports
    events = story()
    again = tuple(i for i, e in enumerate(events) if e.type in ("lead.won", "deal.attribution_changed"))
    await publish_all(settings, ctx, events, redeliver=again)
    auth = bearer(settings, "manager", [BRANCH], sub="m1")

    periods = await _every_period(client, auth)
    for period, views in periods.items():
        for partner, seen in views.items():
            assert seen.get("sales") == seen.get("partners"), (period, partner, seen)
    d1, d2 = 1_950_000.0, 4_700_000.0
    assert periods[("2026-03-10", "2026-03-10")] == {"p1": {"sales": (1, d2, 0), "partners": (1, d2, 0)},
                                                     "p2": {"sales": (1, d1, 0), "partners": (1, d1, 0)}}
    assert periods[("2026-03-11", "2026-03-11")]["p1"]["partners"] == (1, d1, 1), "moved in on the day of the move"
    assert periods[("2026-03-11", "2026-03-11")]["p2"]["partners"] == (-1, -d1, -1), "and out of the old partner"
    assert periods[("2026-03-10", "2026-03-12")] == {"p1": {"sales": (1, d1, 0), "partners": (1, d1, 0)},
                                                     "p2": {"sales": (1, d2, 0), "partners": (1, d2, 0)}}
    partners = {p["partner_id"]: p for p in (await _get(client, auth, "/v1/reports/partners",
                                                         {"branch_id": BRANCH, "from": "2026-03-08", "to": "2026-03-12"}))["items"]}
    assert (partners["p1"]["confirmed"], partners["p1"]["deals"], partners["p1"]["deal_rate"]) == (1, 1, 1.0)

    admin = bearer(settings, "admin", ["*"])
    await rebuilt(client, admin)
    assert await _every_period(client, auth) == periods, "a rebuild by replay counts the same"


async def test_the_partner_counters_are_the_same_in_any_window_and_replayed_twice(reports):
    """One event per window (live), all in one fresh window (a rebuild's replay), and every event again (redelivered):
    the same day counters, the move that came before the win counted once it is known."""
    _, ctx, _ = reports
    tz, events = ctx.config.default_timezone, [parse(e.model_dump_json()) for e in story()]
    live = Generation(ctx.db, "gmoves_live")
    for event in events:
        await project(live, [event], tz)
    once = await read_days(live, BRANCH, *MARCH)
    await project(live, events, tz)
    assert await read_days(live, BRANCH, *MARCH) == once
    replayed = Window(Generation(ctx.db, "gmoves_replay"), tz, fresh=True)
    await replayed.apply(events)
    await replayed.flush()
    assert await read_days(replayed.g, BRANCH, *MARCH) == once
    assert once["2026-03-11"]["partners"] == {"p1": {"deals": 1, "amount": 1950000.0, "credit_moved": 1},
                                              "p2": {"deals": -1, "amount": -1950000.0, "credit_moved": -1}}
