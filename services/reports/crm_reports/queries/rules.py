"""The seven reports as pure functions of day counters (ISO date -> counters)."""

from __future__ import annotations

from datetime import date
from typing import Any

from crm_reports.queries.tally import add, counts, dates, merge, money, num, rate, sub

GRADES = ("O", "A", "B", "C")
TRAFFIC_FIELDS = (
    "new_leads", "visits", "appointments", "calls", "walk_ins", "walk_in_leads", "appointment_arrivals",
    "returning_visits", "follow_ups", "deals", "appointments_cancelled", "no_shows",
)
AGE_LABELS = ("0-1", "2-3", "4-7", "8-14", "15+")
MISSED_LABELS = ("1", "2", "3+")
CLASSES = ("A", "B", "C", "D")
FUNNEL_STAGES = ("leads", "visited", "subscribed", "signed", "paid")


def daily_traffic(days: dict[str, dict], start: date, end: date) -> dict[str, Any]:
    items = []
    for day in dates(start, end):
        c = days.get(day, {})
        row: dict[str, Any] = {"date": day, "new_leads": num(c.get("new_leads", 0)),
                               "by_channel": counts(c.get("by_channel")), "by_consultant": counts(c.get("by_consultant")),
                               "visits_by_consultant": counts(c.get("visits_by_consultant"))}
        row |= {f: num(c.get(f, 0)) for f in TRAFFIC_FIELDS if f not in row}
        items.append(row)
    totals = {f: sum(i[f] for i in items) for f in TRAFFIC_FIELDS}
    totals["by_channel"] = add(i["by_channel"] for i in items)
    totals["visits_by_consultant"] = add(i["visits_by_consultant"] for i in items)
    return {"items": items, "totals": totals}


def _funnel_row(stages: dict[str, Any]) -> dict[str, Any]:
    leads, visited, won, lost = (num(stages.get(s, 0)) for s in ("leads", "visited", "won", "lost"))
    return {"leads": leads, "visited": visited, "won": won, "lost": lost, "visit_rate": rate(visited, leads),
            "win_rate": rate(won, visited), "conversion_rate": rate(won, leads)}


def _deal_stages(stages: dict[str, Any]) -> dict[str, Any]:
    """A group's deal stages from deals' events (认购 -> 签约 -> 全款到账), beside the lead stages."""
    leads, visited = num(stages.get("leads", 0)), num(stages.get("visited", 0))
    subscribed, signed, paid = (num(stages.get(s, 0)) for s in ("subscribed", "signed", "paid"))
    return {"subscribed": subscribed, "signed": signed, "paid": paid, "subscribe_rate": rate(subscribed, visited),
            "sign_rate": rate(signed, leads)}


def funnel_stages(total: dict[str, Any]) -> list[dict[str, Any]]:
    """The whole funnel in order, lead -> visit -> subscribed -> signed -> paid: each stage's count, its
    rate from the stage before (`step_rate`) and from the leads (`rate`)."""
    out, before = [], None
    leads = num(total.get("leads", 0))
    for stage in FUNNEL_STAGES:
        n = num(total.get(stage, 0))
        out.append({"stage": stage, "count": n, "step_rate": rate(n, before) if before is not None else None,
                    "rate": rate(n, leads)})
        before = n
    return out


def funnel(days: dict[str, dict], group_by: str, names: dict[str, str] | None = None) -> dict[str, Any]:
    """By channel, consultant or referrer; by referrer (referrals -> visits -> deals) the total is of referral leads.
    `stages` is the total as one ordered funnel down to 全款到账; `deal_stages` the deal stages per group (the
    items keep their fields: screens built on them stay as they are)."""
    groups = merge(sub(days, f"funnel.{group_by}"))
    named = group_by in ("consultant", "referrer")
    items = [{"group": g, **({"name": (names or {}).get(g)} if named else {}), **_funnel_row(s)} for g, s in groups.items()]
    items.sort(key=lambda i: (-i["leads"], i["group"]))
    total = merge(groups.values()) if group_by == "referrer" else merge(sub(days, "funnel.total"))
    return {"group_by": group_by, "items": items, "total": _funnel_row(total), "stages": funnel_stages(total),
            "deal_stages": {g: _deal_stages(s) for g, s in groups.items()}}


def grades(days: dict[str, dict]) -> dict[str, Any]:
    new = merge(sub(days, "new_by_grade"))
    moves = merge(sub(days, "grades.moves"))
    moved = merge(sub(days, "grades"))
    total_new = sum(num(new.get(g, 0)) for g in GRADES)
    items = []
    for g in GRADES:
        moved_in = sum(num(n) for m, n in moves.items() if m.endswith(f">{g}") and not m.startswith(f"{g}>"))
        moved_out = sum(num(n) for m, n in moves.items() if m.startswith(f"{g}>") and not m.endswith(f">{g}"))
        n = num(new.get(g, 0))
        items.append({"grade": g, "new_leads": n, "share": rate(n, total_new), "moved_in": moved_in,
                      "moved_out": moved_out, "net": n + moved_in - moved_out})
    return {"items": items, "ungraded_new_leads": num(new.get("none", 0)), "moves": {k: num(v) for k, v in moves.items()},
            "upgrades": num(moved.get("up", 0)), "downgrades": num(moved.get("down", 0))}


def follow_up_compliance(days: dict[str, dict], names: dict[str, str] | None = None) -> dict[str, Any]:
    overdue = merge(sub(days, "overdue"))
    done = merge(sub(days, "follow_ups_by_consultant"))
    items = []
    for who in sorted(set(overdue) | set(done)):
        o = overdue.get(who, {})
        events, follow_ups = num(o.get("events", 0)), num(done.get(who, 0))
        items.append({
            "consultant_id": who, "name": (names or {}).get(who), "follow_ups": follow_ups,
            "overdue": events, "newly_overdue": num(o.get("new", 0)), "max_missed": num(o.get("max_missed", 0)),
            "missed": {m: num((o.get("missed") or {}).get(m, 0)) for m in MISSED_LABELS},
            "age": {a: num((o.get("age") or {}).get(a, 0)) for a in AGE_LABELS},
            "compliance_rate": rate(follow_ups, follow_ups + events),
        })
    items.sort(key=lambda i: (-i["overdue"], i["consultant_id"]))
    fu, od = sum(i["follow_ups"] for i in items), sum(i["overdue"] for i in items)
    return {"items": items, "total": {"follow_ups": fu, "overdue": od, "compliance_rate": rate(fu, fu + od)}}


def lost_reasons(days: dict[str, dict]) -> dict[str, Any]:
    lost = merge(sub(days, "lost"))
    total = num(lost.get("total", 0))
    matrix = lost.get("matrix", {})
    items = [{"reason": r, "count": num(n), "share": rate(num(n), total), "by_stage": counts(matrix.get(r), stored=False)}
             for r, n in (lost.get("reason") or {}).items()]
    items.sort(key=lambda i: (-i["count"], i["reason"]))
    return {"items": items, "total": total, "by_stage": add(matrix.values())}


def partners(days: dict[str, dict], names: dict[str, str] | None = None) -> dict[str, Any]:
    """Per partner: reports -> accepted -> confirmed -> deals (the leads' first wins credited to it, net of credits
    moved after signing on their dates: `credit_moved` ±1, as the sales report's `moved`)."""
    items = []
    for pid, p in merge(sub(days, "partners")).items():
        accepted, rejected = num(p.get("accepted", 0)), num(p.get("rejected", 0))
        confirmed, deals = num(p.get("confirmed", 0)), num(p.get("deals", 0))
        items.append({
            "partner_id": pid, "name": (names or {}).get(pid), "reports": accepted + rejected, "accepted": accepted, "rejected": rejected,
            "confirmed": confirmed, "expired": num(p.get("expired", 0)), "deals": deals, "amount": money(p.get("amount")),
            "credit_moved": num(p.get("credit_moved", 0)),
            "accept_rate": rate(accepted, accepted + rejected), "visit_rate": rate(confirmed, accepted),
            "deal_rate": rate(deals, confirmed), "rejection_reasons": counts(p.get("reasons"), stored=False),
        })
    items.sort(key=lambda i: (-i["reports"], i["partner_id"]))
    return {"items": items}


def receptions(days: dict[str, dict]) -> dict[str, Any]:
    merged = merge(sub(days, "receptions"))
    items = []
    for cls in CLASSES:
        r = merged.get(cls, {})
        budget, spent = money(r.get("budget")), money(r.get("spent"))
        on_time, late = num(r.get("feedback_on_time", 0)), num(r.get("feedback_late", 0))
        items.append({
            "class": cls, **{s: num(r.get(s, 0)) for s in ("requested", "approved", "rejected", "completed")},
            "budget": budget, "spent": spent, "spend_ratio": rate(spent, budget), "over_budget": num(r.get("over_budget", 0)),
            "feedback_on_time": on_time, "feedback_late": late, "on_time_rate": rate(on_time, on_time + late),
        })
    return {"items": items}
