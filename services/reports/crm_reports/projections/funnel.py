"""Funnel (lead -> visit -> subscribed -> signed -> paid, and won/lost) by registration cohort,
robust to arrival order.

Each lead keeps its facts in `<gen>_leads` (registered: day, channel, consultant; visited;
won; lost; from deals' events: subscribed, signed, paid) and the stages already `counted`. Whenever a fact arrives, every stage the lead
has reached and not yet counted goes into the bucket of its registration day, guarded by
`f:<lead>:<stage>`: a visit seen before the registration is counted when the registration
arrives, and never twice.

A window reads the leads its events touch once (`Cohorts`), merges their facts in stream
order and writes each lead once, after the counts its facts caused (a crash in between
recounts into the guarded buckets, never loses). Lead documents carry a version `v`: a
write that finds another writer got there first (a second replica, or live events written
into a generation being rebuilt) reads the lead again and merges this window's facts into it.

The lead's first win (`won_first`, from its first `lead.won`: day, consultant, amount, partner) is
a fact no later event replaces; it counts the daily `deals` and the partner's deals once per lead
(tokens `o:<lead>:won` and `p:<lead>:won`, then `won_counted`), whatever the registration. A credit
moved after signing (`deal.attribution_changed`, kept per event in `credit_moves`) moves that partner
deal on the move's date once the first win is known, each move once (`p:<lead>:credit:<event>`, then
`credit_moves_counted`), in whichever order the move and the win arrive.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from pymongo import ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from crm_reports.projections import channels, outcomes
from crm_reports.projections.buckets import key
from crm_reports.projections.changes import DUPLICATE_KEY, DayChanges
from crm_shared.events import Envelope
from crm_shared.events.deals import (
    DealAttributionChanged, DealCancelled, DealPaid, DealPaymentReceived, DealPriceApproved, DealPriceRejected,
    DealSigned, DealSubscribed, DealUnitChanged,
)
from crm_shared.events.leads import LeadLost, LeadRegistered, LeadWon
from crm_shared.events.reception import VisitCheckedIn
from crm_shared.ids import uuid7

if TYPE_CHECKING:
    from crm_reports.projections.window import Window

STAGES = ("leads", "visited", "won", "lost", "subscribed", "signed", "paid")
DEAL_STAGES = {"deal.subscribed": "subscribed", "deal.signed": "signed", "deal.paid": "paid"}
DEAL_EVENTS = (DealSubscribed, DealPriceApproved, DealPriceRejected, DealSigned, DealPaymentReceived, DealPaid,
               DealCancelled, DealUnitChanged, DealAttributionChanged)  # their lead is read: its channel, its stages
GROUPS = ("channel", "consultant")
FIRST_ONLY = ("won_first",)  # facts the first event sets and no later one replaces
BY_EVENT = ("credit_moves",)  # facts kept per event (event id -> fact), gathered from every event
WON_FIRST, WON_COUNTED = "won_first", "won_counted"
CREDIT_MOVES, MOVES_COUNTED = "credit_moves", "credit_moves_counted"


def merge_facts(doc: dict[str, Any], fields: dict[str, Any]) -> None:
    for k, v in fields.items():
        if k in BY_EVENT:
            doc[k] = {**(doc.get(k) or {}), **v}
        elif k not in FIRST_ONLY or doc.get(k) is None:
            doc[k] = v


def stages_reached(lead: dict[str, Any]) -> list[str]:
    """Stages to count for a lead whose registration is known; none before that."""
    if not lead.get("registered_day"):
        return []
    return ["leads"] + [s for s in STAGES[1:] if lead.get(s)]


def stage_counters(lead: dict[str, Any], stage: str) -> dict[str, int]:
    inc = {f"funnel.total.{stage}": 1}
    for group in GROUPS:
        inc[f"funnel.{group}.{key(lead.get(group))}.{stage}"] = 1
    if lead.get("referrer"):  # 全民营销: a referral lead's referrer (referrals -> visits -> deals)
        inc[f"funnel.referrer.{key(lead['referrer'])}.{stage}"] = 1
    return inc


def lead_of(data: Any) -> str | None:
    """The lead whose facts an event changes, if any."""
    return data.lead_id if isinstance(data, (LeadRegistered, VisitCheckedIn, LeadWon, LeadLost, *DEAL_EVENTS)) else None


class Cohorts:
    """The leads of a window: as stored (`versions`), as merged (`docs`), facts since the last write.

    `fresh` (a new generation, filled by a replay): a lead this object never wrote is taken as
    new without a read; one the live consumer wrote meanwhile turns up as a conflict at `write`.
    """

    def __init__(self, fresh: bool = False) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.versions: dict[str, int | None] = {}
        self.facts: dict[str, list[dict[str, Any]]] = {}
        self.fresh, self.written = fresh, set[str]()

    async def load(self, col: AsyncCollection, ids: list[str]) -> None:
        missing = [i for i in dict.fromkeys(ids) if i not in self.docs]
        stored = [i for i in missing if i in self.written] if self.fresh else missing
        if stored:
            for doc in await col.find({"_id": {"$in": stored}}).to_list():
                self.docs[doc["_id"]], self.versions[doc["_id"]] = doc, doc.get("v")
        for i in missing:
            self.docs.setdefault(i, {"_id": i})

    def record(self, lead_id: str, fields: dict[str, Any], changes: DayChanges) -> None:
        merge_facts(self.docs[lead_id], fields)
        self.facts.setdefault(lead_id, []).append(fields)
        _count(self.docs[lead_id], changes)

    def forget(self) -> None:
        """Drop the leads read so far (nothing is pending after a write)."""
        self.docs, self.versions = {}, {}

    async def write(self, col: AsyncCollection) -> list[str]:
        """Store every lead with new facts; returns the leads another writer changed first."""
        stamp, conflicts = uuid7(), []
        new = [i for i in self.facts if i not in self.versions]
        old = [i for i in self.facts if i in self.versions]
        if new:
            try:
                await col.insert_many([{**self.docs[i], "v": 1, "w": stamp} for i in new], ordered=False)
            except BulkWriteError as exc:
                for err in exc.details.get("writeErrors", []):
                    if err.get("code") != DUPLICATE_KEY:
                        raise
                    conflicts.append(new[err["index"]])
        if old:
            ops = [ReplaceOne({"_id": i, "v": self.versions[i]}, {**self.docs[i], "v": (self.versions[i] or 0) + 1, "w": stamp})
                   for i in old]
            if (await col.bulk_write(ops, ordered=False)).matched_count < len(ops):
                took = {d["_id"] for d in await col.find({"_id": {"$in": old}, "w": stamp}, projection={"_id": 1}).to_list()}
                conflicts += [i for i in old if i not in took]
        for i in new + old:
            if i not in conflicts:
                self.versions[i] = (self.versions.get(i) or 0) + 1
                self.docs[i] |= {"v": self.versions[i], "w": stamp}
                del self.facts[i]
                if self.fresh:
                    self.written.add(i)
        return conflicts

    async def reload(self, col: AsyncCollection, ids: list[str], changes: DayChanges) -> None:
        """Read leads another writer changed, merge this window's facts again, count what that adds."""
        stored = {d["_id"]: d for d in await col.find({"_id": {"$in": ids}}).to_list()}
        for i in ids:
            doc = self.docs[i] = stored.get(i) or {"_id": i}
            if i in stored:
                self.versions[i] = doc.get("v")
            else:
                self.versions.pop(i, None)
            for fields in self.facts[i]:
                merge_facts(doc, fields)
            _count(doc, changes)


def _count(lead: dict[str, Any], changes: DayChanges) -> None:
    counted = lead.get("counted") or []
    todo = [s for s in stages_reached(lead) if s not in counted]
    if todo:
        day = date.fromisoformat(lead["registered_day"])
        for stage in todo:
            changes.add(lead["branch_id"], day, f"f:{lead['_id']}:{stage}", stage_counters(lead, stage))
        lead["counted"] = counted + todo
    first = lead.get(WON_FIRST)
    if first and not lead.get(WON_COUNTED):
        day = date.fromisoformat(first["day"])
        changes.add(first["branch_id"], day, f"o:{lead['_id']}:won", outcomes.won_counters(first))
        if partner := channels.partner_won_counters(first):
            changes.add(first["branch_id"], day, f"p:{lead['_id']}:won", partner)
        lead[WON_COUNTED] = True
    if first:
        _count_moves(lead, first, changes)


def _count_moves(lead: dict[str, Any], first: dict[str, Any], changes: DayChanges) -> None:
    """Credits moved after signing, each once on its own date, whether it arrived before the first win or after."""
    done = lead.get(MOVES_COUNTED) or []
    todo = [(i, m) for i, m in (lead.get(CREDIT_MOVES) or {}).items() if i not in done]
    for event_id, move in todo:
        if inc := channels.credit_moved_counters(first, move):
            changes.add(move["branch_id"], date.fromisoformat(move["day"]), f"p:{lead['_id']}:credit:{event_id}", inc)
    if todo:
        lead[MOVES_COUNTED] = done + [i for i, _ in todo]


async def on_lead_registered(w: Window, env: Envelope, data: LeadRegistered) -> None:
    w.cohorts.record(data.lead_id, {
        "branch_id": env.branch_id, "registered_day": w.local_day(env.branch_id, data.registered_at or env.time).isoformat(),
        "channel": data.source.channel, "consultant": data.owner_id or "unassigned", "partner_id": data.source.partner_id,
        "referrer": data.source.referrer_id,
        # a lead registered by the front desk's check-in was born visited (its visit event had no lead yet)
        **({"visited": True} if data.status == "visited" else {}),
    }, w.changes)


async def on_visit_checked_in(w: Window, env: Envelope, data: VisitCheckedIn) -> None:
    if data.lead_id:
        w.cohorts.record(data.lead_id, {"visited": True}, w.changes)


async def on_lead_won(w: Window, env: Envelope, data: LeadWon) -> None:
    w.cohorts.record(data.lead_id, {"won": True}, w.changes)


async def on_lead_lost(w: Window, env: Envelope, data: LeadLost) -> None:
    w.cohorts.record(data.lead_id, {"lost": True}, w.changes)


async def on_deal_stage(w: Window, env: Envelope, data: DealSubscribed | DealSigned | DealPaid) -> None:
    """A deal's stage reached (认购, 签约, 全款到账) is a fact of its lead; a later cancellation keeps it."""
    w.cohorts.record(data.lead_id, {DEAL_STAGES[env.type]: True}, w.changes)
