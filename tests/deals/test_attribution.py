"""Attribution at subscription from deals' copy of leads' events: a confirmed channel report credits its partner
inside its protection (not outside it, not after a lapse), a referral lead its referrer; a dispute decided after
subscription moves the credit (`deal.attribution_changed`), once, whatever the redeliveries."""

from __future__ import annotations

from datetime import timedelta

from crm_shared.events.leads import (AttributionDecided, ChannelReportConfirmed, ChannelReportExpired,
                                     ChannelReportRenewed, PartnerRegistered, ReferrerRegistered)
from crm_shared.events import new_event
from crm_shared.ids import utcnow
from tests.deals.test_deals import BRANCH, events_of, office
from tests.support.runtime import eventually, publish_event


async def _confirm(o, lead_id: str, report_id: str, partner: str, until):
    await o.emit(ChannelReportConfirmed(report_id=report_id, partner_id=partner, lead_id=lead_id,
                                        protection_until=until), BRANCH, report_id)
    assert await eventually(lambda: o.ctx.db.report_copies.find_one({"_id": report_id, "lead_id": lead_id}))


async def test_inside_protection_credits_the_partner_outside_does_not(urls):
    async with office(urls) as o:
        await o.emit(PartnerRegistered(partner_id="p1", kind="agency", name="链家深圳湾店"), BRANCH, "p1")
        assert await eventually(lambda: o.ctx.db.partner_copies.find_one({"_id": "p1"}))
        inside, outside, lapsed = await o.lead(channel="partner"), await o.lead(channel="partner"), await o.lead()
        await _confirm(o, inside, "rep-in", "p1", utcnow() + timedelta(days=20))
        await _confirm(o, outside, "rep-out", "p1", utcnow() - timedelta(minutes=1))
        await _confirm(o, lapsed, "rep-lapsed", "p1", utcnow() + timedelta(days=20))
        await o.emit(ChannelReportExpired(report_id="rep-lapsed", partner_id="p1", lead_id=lapsed, reason="no_follow_up"),
                     BRANCH, "rep-lapsed")
        assert await eventually(lambda: o.ctx.db.report_copies.find_one({"_id": "rep-lapsed", "status": "expired"}))
        credited = await o.subscribe(inside, (await o.unit())["id"])
        assert credited["attribution"]["partner_id"] == "p1" and credited["attribution"]["report_id"] == "rep-in"
        assert credited["attribution"]["partner_name"] == "链家深圳湾店"
        assert (await o.subscribe(outside, (await o.unit())["id"]))["attribution"]["partner_id"] is None
        assert (await o.subscribe(lapsed, (await o.unit())["id"]))["attribution"]["partner_id"] is None
        # a renewal arriving first, then the older confirmation redelivered: the newer protection stands
        renewed = await o.lead()
        await _confirm(o, renewed, "rep-renew", "p1", utcnow() - timedelta(days=1))
        await o.emit(ChannelReportRenewed(report_id="rep-renew", partner_id="p1", lead_id=renewed,
                                          protection_until=utcnow() + timedelta(days=60)), BRANCH, "rep-renew")
        assert await eventually(lambda: o.ctx.db.report_copies.find_one(
            {"_id": "rep-renew", "protection_until": {"$gt": utcnow()}}))
        assert (await o.subscribe(renewed, (await o.unit())["id"]))["attribution"]["partner_id"] == "p1"
        subscribed = await eventually(lambda: events_of(o, "deal.subscribed"))
        assert subscribed[0]["data"]["attribution"]["partner_id"] == "p1"


async def test_a_referral_lead_credits_its_referrer(urls):
    async with office(urls) as o:
        await o.emit(ReferrerRegistered(referrer_id="r7", kind="employee", name="集团财务小赵"), BRANCH, "r7")
        assert await eventually(lambda: o.ctx.db.referrer_copies.find_one({"_id": "r7"}))
        lead = await o.lead(channel="referral", referrer_id="r7")
        deal = await o.subscribe(lead, (await o.unit())["id"])
        assert (deal["attribution"]["referrer_id"], deal["attribution"]["referrer_kind"],
                deal["attribution"]["referrer_name"], deal["attribution"]["partner_id"]) == \
            ("r7", "employee", "集团财务小赵", None)


async def test_a_dispute_decided_later_moves_the_credit_once(urls):
    async with office(urls) as o:
        lead = await o.lead(channel="partner")
        await _confirm(o, lead, "rep-a", "p1", utcnow() + timedelta(days=20))
        deal = await o.subscribe(lead, (await o.unit())["id"])
        assert deal["attribution"]["partner_id"] == "p1"
        decided = await o.emit(AttributionDecided(dispute_id="dsp-1", report_id="rep-a", winner="p2", reason="p2 先带看"),
                               BRANCH, "dsp-1")
        changed = await eventually(lambda: events_of(o, "deal.attribution_changed"))
        assert changed[0]["data"]["attribution"]["partner_id"] == "p2"
        assert changed[0]["data"]["previous_attribution"]["partner_id"] == "p1"
        assert changed[0]["data"]["dispute_id"] == "dsp-1" and changed[0]["data"]["lead_id"] == lead
        now = await o.get(f"/v1/deals/{deal['id']}")
        assert now["attribution"]["partner_id"] == "p2" and now["history"][-1]["stage"] == "attribution_changed"
        await publish_event(o.settings, decided, msg_id=f"{decided.id}-again")  # a redelivery past the dedup window
        # a newer decision (for nobody) takes the credit away; the redelivered one changed nothing
        await o.emit(AttributionDecided(dispute_id="dsp-2", report_id="rep-a", winner=None), BRANCH, "dsp-2")
        both = await eventually(lambda: _at_least(o, 2))
        assert [e["data"]["dispute_id"] for e in both] == ["dsp-1", "dsp-2"]
        latest = await o.get(f"/v1/deals/{deal['id']}")
        assert latest["attribution"]["partner_id"] is None
        assert [h["detail"]["dispute_id"] for h in latest["history"] if h["stage"] == "attribution_changed"] == \
            ["dsp-1", "dsp-2"]


async def _at_least(o, n: int):
    found = await events_of(o, "deal.attribution_changed")
    return found if len(found) >= n else None


async def test_a_confirmation_made_before_the_subscription_but_heard_after_it_credits_the_partner(urls):
    """Two services' events race: the partner's confirmation (leads) can reach deals after the consultant's
    subscription. What counts is when it was confirmed, so the deal is credited late (`deal.attribution_changed`);
    a confirmation made after the subscription never takes the deal."""
    async with office(urls) as o:
        before, after = await o.lead(channel="partner"), await o.lead(channel="partner")
        early = new_event(ChannelReportConfirmed(report_id="rep-early", partner_id="p1", lead_id=before,
                                                 protection_until=utcnow() + timedelta(days=20)),
                          branch_id=BRANCH, subject="rep-early")
        early = early.model_copy(update={"time": utcnow() - timedelta(minutes=5)})  # confirmed before, heard after
        credited_late = await o.subscribe(before, (await o.unit())["id"])
        plain = await o.subscribe(after, (await o.unit())["id"])
        assert credited_late["attribution"]["partner_id"] is None and plain["attribution"]["partner_id"] is None
        await publish_event(o.settings, early)
        await _confirm(o, after, "rep-later", "p1", utcnow() + timedelta(days=20))  # confirmed after subscribing
        changed = await eventually(lambda: events_of(o, "deal.attribution_changed"))
        assert [(e["data"]["deal_id"], e["data"]["attribution"]["partner_id"]) for e in changed] == \
            [(credited_late["id"], "p1")]
        assert (await o.get(f"/v1/deals/{credited_late['id']}"))["attribution"]["report_id"] == "rep-early"
        assert (await o.get(f"/v1/deals/{plain['id']}"))["attribution"]["partner_id"] is None
