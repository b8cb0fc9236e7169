"""Revisits (回访) against the real stack: plans by tier and after a sale built from the archives' and deals'
events, the due/overdue timer with a controlled clock, freezing, logging a revisit, scope and bad input."""

from __future__ import annotations

from datetime import date, timedelta

from crm_shared.branches import local_date
from crm_shared.events.customers import ArchiveFrozen, ArchiveOpened, ArchiveTierChanged, ArchiveUnfrozen, ArchiveUpdated
from crm_shared.events.deals import DealCancelled, DealSigned
from crm_shared.ids import utcnow, uuid7
from crm_customers.revisits import rules, scans
from tests.customers.care_office import NORTH, SOUTH, Care, care
from tests.support.runtime import eventually

TZ = "Asia/Shanghai"


def change(cls, doc: dict, **extra):
    return cls(archive_id=doc["_id"], number=doc["number"], category="owner", tier=doc["tier"],
               account_manager_id=doc.get("account_manager_id"), frozen=doc.get("frozen", False), **extra)


async def opened(o: Care, doc: dict) -> None:
    await o.emit(change(ArchiveOpened, doc), doc["branch_id"], doc["_id"])


async def tasks(o: Care, archive_id: str, n: int | None = None, **query) -> list[dict]:
    async def found():
        docs = await o.db.revisit_tasks.find({"archive_id": archive_id, **query}).sort("due_at", 1).to_list()
        return docs if (n is None and docs) or (n is not None and len(docs) == n) else None
    return await eventually(found) or []


async def test_plans_by_tier_and_a_tier_change_replans(urls):
    async with care(urls) as o:
        today = local_date(utcnow(), TZ)
        archives = {tier: await o.archive(tier=tier) for tier in ("core", "key", "general")}
        for doc in archives.values():
            await opened(o, doc)
        for tier, months in (("core", 1), ("key", 3), ("general", 6)):
            [task] = await tasks(o, archives[tier]["_id"], 1)
            assert (task["kind"], task["tier"], task["status"]) == ("tier_cycle", tier, "planned")
            assert task["due_on"] == rules.add_months(today, months).isoformat()
            assert task["assignee_id"] == o.staff_id("c1")
        general = archives["general"]
        await o.db.archives.update_one({"_id": general["_id"]}, {"$set": {"tier": "core"}})
        await o.emit(change(ArchiveTierChanged, general | {"tier": "core"}, previous_tier="general"), NORTH, general["_id"])
        [planned] = await tasks(o, general["_id"], 1, status="planned", tier="core")
        assert planned["due_on"] == rules.add_months(today, 1).isoformat()
        [cancelled] = await tasks(o, general["_id"], 1, status="cancelled")
        assert cancelled["cancel_reason"] == "tier_changed"
        # a redelivered opening changes nothing
        await opened(o, general | {"tier": "core"})
        await o.emit(change(ArchiveUpdated, general | {"tier": "core"}, changes=["card"]), NORTH, general["_id"])
        assert len(await tasks(o, general["_id"], 2)) == 2


async def test_after_a_sale_7_and_30_days_at_handover_and_on_the_anniversary(urls):
    async with care(urls) as o:
        lead = uuid7()
        doc = await o.archive(lead_id=lead)
        await opened(o, doc)
        await tasks(o, doc["_id"], 1)
        signed = utcnow()
        deal = uuid7()
        # a deal signed without the buyer's contact: the archives part leaves it; the plan finds the archive by lead
        await o.emit(DealSigned(deal_id=deal, lead_id=lead, unit_id="u-1", agreed_price=1, contract_no="HT-9",
                                signed_at=signed), NORTH, deal)
        day = local_date(signed, TZ)
        found = await tasks(o, doc["_id"], 4)
        assert sorted((t["kind"], t["due_on"]) for t in found if t["deal_id"] == deal) == sorted([
            ("after_sale", (day + timedelta(days=7)).isoformat()), ("after_sale", (day + timedelta(days=30)).isoformat()),
            ("anniversary", rules.next_anniversary(day, day).isoformat())])
        handover = day + timedelta(days=90)
        await o.db.archives.update_one({"_id": doc["_id"]}, {"$set": {"card.handover_on": handover.isoformat()}})
        await o.emit(change(ArchiveUpdated, doc, changes=["card"]), NORTH, doc["_id"])
        [task] = await tasks(o, doc["_id"], 1, kind="handover")
        assert task["due_on"] == handover.isoformat()
        # the deal cancelled (退房): its planned revisits go
        await o.emit(DealCancelled(deal_id=deal, lead_id=lead, unit_id="u-1", agreed_price=1, reason="客户退房"), NORTH, deal)
        gone = await tasks(o, doc["_id"], 3, status="cancelled")
        assert {t["deal_id"] for t in gone} == {deal} and {t["cancel_reason"] for t in gone} == {"deal_cancelled"}


async def test_due_then_overdue_once_each_and_the_next_cycle_is_planned(urls):
    async with care(urls, revisit_grace_days=3) as o:
        doc = await o.archive(tier="core")
        await opened(o, doc)
        [task] = await tasks(o, doc["_id"], 1)
        ctx = o.ctx
        assert await scans.publish_due(ctx, task["due_at"] - timedelta(minutes=1)) == 0
        assert await scans.publish_due(ctx, task["due_at"] + timedelta(hours=1)) == (1, 0)
        assert await scans.publish_due(ctx, task["due_at"] + timedelta(hours=2)) == 0
        after = await tasks(o, doc["_id"], 2)
        assert [t["status"] for t in after] == ["due", "planned"]
        due_day = date.fromisoformat(task["due_on"])
        assert after[1]["due_on"] == rules.add_months(due_day, 1).isoformat()  # the next month's
        late = task["overdue_at"]
        assert late == rules.overdue_at(due_day, 3, TZ)
        assert await scans.publish_due(ctx, late - timedelta(minutes=1)) == 0
        assert await scans.publish_due(ctx, late + timedelta(minutes=1)) == (0, 1)
        assert await scans.publish_due(ctx, late + timedelta(days=1)) == 0
        due = await eventually(lambda: _n(o, "revisit.due", 1))
        overdue = await eventually(lambda: _n(o, "revisit.overdue", 1))
        assert [(e["task_id"], e["assignee_id"], e["kind"]) for e in due] == [(task["_id"], o.staff_id("c1"), "tier_cycle")]
        assert [e["task_id"] for e in overdue] == [task["_id"]] and overdue[0]["missed_count"] == 1


async def _n(o: Care, type_: str, n: int):
    found = await o.events(type_)
    return found if len(found) >= n else None


async def test_a_frozen_archive_gets_no_revisits_and_an_unfrozen_one_is_planned_afresh(urls):
    async with care(urls) as o:
        doc = await o.archive(tier="core")
        await opened(o, doc)
        [task] = await tasks(o, doc["_id"], 1)
        await o.db.archives.update_one({"_id": doc["_id"]}, {"$set": {"frozen": True}})
        await o.emit(change(ArchiveFrozen, doc | {"frozen": True}, reason="客户要求"), NORTH, doc["_id"])
        [cancelled] = await tasks(o, doc["_id"], 1, status="cancelled")
        assert cancelled["cancel_reason"] == "frozen"
        assert await scans.publish_due(o.ctx, task["overdue_at"] + timedelta(days=1)) == 0
        r = await o.client.post(f"/v1/archives/{doc['_id']}/revisits", headers=o.auth("c1"),
                                json={"kind": "phone", "note": "回访", "satisfaction": 5})
        assert r.status_code == 409 and r.json()["type"].endswith("/archive-frozen")
        # frozen in the store before its event is handled: the timer still sends nothing
        other = await o.archive(tier="core")
        await opened(o, other)
        [pending] = await tasks(o, other["_id"], 1)
        await o.db.archives.update_one({"_id": other["_id"]}, {"$set": {"frozen": True}})
        assert await scans.publish_due(o.ctx, pending["due_at"] + timedelta(hours=1)) == 0
        assert (await o.db.revisit_tasks.find_one({"_id": pending["_id"]}))["status"] == "cancelled"
        await o.db.archives.update_one({"_id": doc["_id"]}, {"$set": {"frozen": False}})
        await o.emit(change(ArchiveUnfrozen, doc), NORTH, doc["_id"])
        [planned] = await tasks(o, doc["_id"], 1, status="planned")
        assert planned["kind"] == "tier_cycle"
        assert await o.events("revisit.due") == []


async def test_logging_a_revisit_closes_the_due_task_and_who_may(urls):
    async with care(urls) as o:
        doc = await o.archive(tier="key")
        foreign = await o.archive(SOUTH)
        await opened(o, doc)
        [task] = await tasks(o, doc["_id"], 1)
        await scans.publish_due(o.ctx, task["due_at"] + timedelta(hours=1))
        url = f"/v1/archives/{doc['_id']}/revisits"
        good = {"kind": "visit", "note": "上门拜访，客户满意", "satisfaction": 4}
        assert (await o.client.post(url, headers=o.auth("c2"), json=good)).status_code == 404  # not its archive
        assert (await o.client.post(url, headers=o.auth("desk"), json=good)).status_code == 403
        assert (await o.client.post(url, headers=o.auth("partner"), json=good)).status_code == 403
        assert (await o.client.post(f"/v1/archives/{foreign['_id']}/revisits", headers=o.auth("manager"),
                                    json=good)).status_code == 404
        for bad in ({**good, "satisfaction": 6}, {**good, "satisfaction": 0}, {**good, "kind": "fax"},
                    {**good, "note": "\x07"}, {**good, "task_id": uuid7()}, {"kind": "phone"}):
            r = await o.client.post(url, headers=o.auth("c1"), json=bad)
            assert r.status_code == 422, (bad, r.text)
        assert await o.db.revisit_tasks.count_documents({"status": "done"}) == 0
        # c1 and the manager see the due task; c2 none; the front desk may not list
        mine = (await o.client.get("/v1/revisits", headers=o.auth("c1"))).json()["items"]
        assert [t["id"] for t in mine] == [task["_id"]] and mine[0]["status"] == "due" and mine[0]["kind_name"] == "定期回访"
        assert (await o.client.get("/v1/revisits", headers=o.auth("c2"))).json()["items"] == []
        assert (await o.client.get("/v1/revisits", params={"assignee_id": o.staff_id("c1")},
                                   headers=o.auth("c2"))).json()["items"] == []
        assert [t["id"] for t in (await o.client.get("/v1/revisits", headers=o.auth("manager"))).json()["items"]] == [task["_id"]]
        assert (await o.client.get("/v1/revisits", headers=o.auth("desk"))).status_code == 403
        assert (await o.client.get("/v1/revisits", params={"branch_id": SOUTH}, headers=o.auth("manager"))).status_code == 404
        before = (await o.client.get("/v1/revisits", params={"due_before": "2000-01-02"}, headers=o.auth("manager"))).json()
        assert before["items"] == []
        r = await o.client.post(url, headers=o.auth("c1"), json=good)
        assert r.status_code == 201, r.text
        logged = r.json()
        assert logged["id"] == task["_id"] and logged["status"] == "done" and logged["log"]["on_time"] is True
        assert logged["log"]["kind_name"] == "上门拜访" and logged["log"]["satisfaction"] == 4
        # nothing due any more: the manager's next log is an unplanned revisit
        r = await o.client.post(url, headers=o.auth("manager"), json={"kind": "gift", "note": "中秋送礼", "satisfaction": 5})
        assert r.status_code == 201 and r.json()["kind"] == "unplanned"
        events = await eventually(lambda: _n(o, "revisit.logged", 2))
        assert [(e["task_id"], e["satisfaction"], e["on_time"]) for e in events] == [
            (task["_id"], 4, True), (r.json()["id"], 5, True)]
        done = (await o.client.get("/v1/revisits", params={"status": "done"}, headers=o.auth("manager"))).json()["items"]
        assert len(done) == 2
