"""The lead-based reports (daily traffic `deals`, the funnel's `won`, partners' `deals`, the boards) and the deal-based
sales report agree on one signed deal: the same day (the signing date, not when leads heard of it), consultant,
partner and amount. A lead counts as won once: a redelivered `lead.won` and the second `lead.won` of a lead reopened
by a cancellation and signed again count nothing more. A cancellation after signing leaves the lead-based reports as
they were (the lead was won that day); the sales report takes it out on its own date (docs/architecture.md,
"reports: deals and customers")."""

from __future__ import annotations

from crm_reports import generations
from crm_reports.projections.buckets import read_days
from crm_reports.projections.subscribers import project
from crm_shared.events import parse
from crm_shared.events.deals import Attribution, DealCancelled, DealSigned, DealSubscribed
from crm_shared.events.leads import LeadWon
from tests.reports.builders import BRANCH, at, ev
from tests.reports.conftest import publish_all, rebuilt
from tests.reports.deal_builders import YUAN, deal, office
from tests.support.runtime import bearer

FIRST, SECOND = 4_700_000, 1_950_000  # yuan: D2 on the villa U2 (credited to partner p1), then D5 on U1
SIGNED_AT = "2026-03-10T15:00:00"  # 23:00 on the 10th, branch time; deals and leads hear of it after midnight


def won(deal_id: str, price: int, when: str, partner: str | None, signed_at: str | None):
    return ev(LeadWon(lead_id="L2", owner_id="c2", amount=float(price), amount_fen=price * YUAN, partner_id=partner,
                      deal_id=deal_id, contract_no=f"HT-{deal_id}", signed_at=at(signed_at) if signed_at else None),
              when, subject="L2")


def second(cls, when: str, **extra):
    """L2's second deal D5, on the apartment U1, credited to nobody (the partner's protection is over)."""
    return ev(cls(deal_id="D5", lead_id="L2", unit_id="U1", owner_id="c2", agreed_price=SECOND * YUAN,
                  list_price=2_000_000 * YUAN, product_type="apartment", attribution=Attribution(), customer_name="赵女士",
                  **extra), when, subject="D5")


def story() -> list:
    """L2 (partner p1, consultant c2) signs D2, cancels it after signing, and signs D5 on another unit."""
    return office() + [
        deal(DealSubscribed, "D2", "2026-03-10T01:10:00"),
        deal(DealSigned, "D2", "2026-03-10T16:30:00", contract_no="HT-D2", status="signed", signed_at=at(SIGNED_AT)),
        won("D2", FIRST, "2026-03-10T16:30:05", "p1", SIGNED_AT),
        deal(DealCancelled, "D2", "2026-03-12T02:00:00", reason="financing_failed", refund=100_000 * YUAN,
             paid_total=100_000 * YUAN, previous_status="signed", status="cancelled"),
        second(DealSubscribed, "2026-03-13T01:00:00"),
        second(DealSigned, "2026-03-13T03:00:00", contract_no="HT-D5", status="signed"),
        won("D5", SECOND, "2026-03-13T03:00:05", None, None),  # the reopened lead won again
    ]


def span(first: str, last: str) -> dict:
    return {"branch_id": BRANCH, "from": first, "to": last}


async def _get(client, auth, path: str, params: dict) -> dict:
    r = await client.get(path, params=params, headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


async def _views(client, auth, params: dict) -> dict:
    traffic = await _get(client, auth, "/v1/reports/daily-traffic", params)
    partners = {p["partner_id"]: p for p in (await _get(client, auth, "/v1/reports/partners", params))["items"]}
    sales = await _get(client, auth, "/v1/reports/sales", params | {"group_by": "partner"})
    consultants = {i["group"]: i for i in (await _get(client, auth, "/v1/reports/sales",
                                                      params | {"group_by": "consultant"}))["items"]}
    funnel = await _get(client, auth, "/v1/reports/funnel", params | {"from": "2026-03-09"})
    return {"traffic": traffic, "partners": partners, "sales": sales, "consultants": consultants, "funnel": funnel}


async def test_one_signed_deal_counts_alike_and_a_lead_is_won_once(reports):
    settings, ctx, client = reports
    events = story()
    again = tuple(i for i, e in enumerate(events) if e.type in ("lead.won", "deal.signed"))
    await publish_all(settings, ctx, events, redeliver=again)
    auth = bearer(settings, "manager", [BRANCH], sub="m1")

    # the signing day: both report one deal of consultant c2 credited to p1, for the same amount
    tenth = await _views(client, auth, span("2026-03-10", "2026-03-10"))
    (day,) = tenth["traffic"]["items"]
    assert day["date"] == "2026-03-10" and day["deals"] == 1, "counted on the signing date, not when leads heard of it"
    sold = tenth["sales"]["total"]
    assert (sold["signed"], sold["units"], sold["amount"]) == (1, 1, "4700000.00")
    p1 = next(i for i in tenth["sales"]["items"] if i["group"] == "p1")
    assert (p1["units"], p1["amount"]) == (1, "4700000.00")
    assert (tenth["partners"]["p1"]["deals"], tenth["partners"]["p1"]["amount"]) == (1, 4700000.0)
    assert (tenth["consultants"]["c2"]["units"], tenth["consultants"]["c2"]["amount"]) == (1, "4700000.00")
    board = await _get(client, auth, "/v1/reports/boards/weekly", {"branch_id": BRANCH, "date": "2026-03-10"})
    assert (board["summary"]["deals"], board["summary"]["deal_amount"], board["summary"]["partner_deals"]) == (
        1, 4700000.0, 1)
    eleventh = await _views(client, auth, span("2026-03-11", "2026-03-11"))
    assert eleventh["traffic"]["totals"]["deals"] == 0 and eleventh["sales"]["total"]["signed"] == 0

    # cancelled after signing: the sales report takes it out on the 12th, the lead-based reports keep the win
    before_resign = await _views(client, auth, span("2026-03-10", "2026-03-12"))
    assert before_resign["traffic"]["totals"]["deals"] == 1 and before_resign["partners"]["p1"]["deals"] == 1
    sold = before_resign["sales"]["total"]
    assert (sold["signed"], sold["cancelled"], sold["units"], sold["amount"]) == (1, 1, 0, "0.00")
    assert before_resign["funnel"]["total"]["won"] == 1

    # signed again (a second lead.won): the lead is still won once; one lead, one unit sold on both sides
    whole = await _views(client, auth, span("2026-03-10", "2026-03-13"))
    traffic = whole["traffic"]
    assert traffic["totals"]["deals"] == 1 and [i["deals"] for i in traffic["items"]] == [1, 0, 0, 0]
    assert whole["partners"]["p1"]["deals"] == 1 and whole["partners"]["p1"]["amount"] == 4700000.0
    assert whole["funnel"]["total"]["won"] == 1
    assert [(s["stage"], s["count"]) for s in whole["funnel"]["stages"]][2:] == [("subscribed", 1), ("signed", 1),
                                                                                 ("paid", 0)]
    sold = whole["sales"]["total"]
    assert (sold["signed"], sold["cancelled"], sold["units"], sold["amount"]) == (2, 1, 1, "1950000.00")
    assert sold["units"] == traffic["totals"]["deals"]
    month = await _get(client, auth, "/v1/reports/boards/monthly", {"branch_id": BRANCH, "month": "2026-03"})
    assert (month["summary"]["deals"], month["summary"]["partner_deals"], month["summary"]["funnel"]["won"]) == (1, 1, 1)

    # a rebuild by replay counts the same
    await rebuilt(client, bearer(settings, "admin", ["*"]))
    assert await _views(client, auth, span("2026-03-10", "2026-03-13")) == whole


async def test_the_first_win_counts_once_in_any_window(reports):
    """One event per window, all in one, or replayed twice: the lead's deals count once, on its first win's day."""
    _, ctx, _ = reports
    g = await generations.current(ctx.db)
    events = [parse(e.model_dump_json()) for e in story()]
    tz = ctx.config.default_timezone
    days = (at("2026-03-09T00:00:00").date(), at("2026-03-14T00:00:00").date())
    for event in events:
        await project(g, [event], tz)
    once = await read_days(g, BRANCH, *days)
    await project(g, events, tz)
    assert await read_days(g, BRANCH, *days) == once
    assert {d: c.get("deals") for d, c in once.items() if c.get("deals")} == {"2026-03-10": 1}
    assert once["2026-03-10"]["deal_amount"] == 4700000.0 and once["2026-03-10"]["partners"]["p1"]["deals"] == 1
    assert once["2026-03-10"]["deals_by_consultant"] == {"c2": 1}
    assert "partners" not in once["2026-03-13"], "the second win credits no partner deal either"
