"""Archives (顾客档案) against the real stack: one per person and branch, numbers under concurrency, scope,
freezing per branch, review deadlines, the audited reveal, and bad input that stores nothing."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from datetime import timedelta
from itertools import count

from crm_shared.events import new_event
from crm_shared.events.leads import BranchConfigured, StaffJoined
from crm_shared.ids import utcnow, uuid7
from crm_customers.archives import deadlines
from crm_customers.plugin import CustomersService
from crm_customers.settings import CustomersSettings
from tests.support.runtime import bearer, eventually, isolated_settings, publish_event, running, stream_messages

_phones = count(30_000_000)
NORTH, SOUTH = "arc-north", "arc-south"


def new_phone() -> str:
    return f"138{next(_phones):08d}"


class Office:
    """A running customers service, two branches with staff in its directory, and callers."""

    def __init__(self, settings, app, client) -> None:
        self.settings, self.app, self.client = settings, app, client
        self.ctx = app.state.contexts["customers"]
        self.db = self.ctx.db
        self.staff: dict[str, str] = {}

    def auth(self, who: str = "manager", branch: str = NORTH) -> dict:
        role = {"m": "manager", "c": "consultant", "r": "reception", "a": "admin"}[who[0]]
        sub = self.staff.get(f"{who}@{branch}", f"{who}-{branch}")
        return bearer(self.settings, role, [branch], sub)

    def admin(self) -> dict:
        return bearer(self.settings, "admin", ["*"], "admin-1")

    async def emit(self, data, branch: str = NORTH) -> None:
        await publish_event(self.settings, new_event(data, branch_id=branch, subject="x"))

    async def populate(self) -> None:
        for branch, name in ((NORTH, "北区售楼处"), (SOUTH, "南区售楼处")):
            await self.emit(BranchConfigured(branch_id=branch, name=name, timezone="Asia/Shanghai", settings={}), branch)
            for key, role in (("manager", "manager"), ("c1", "consultant"), ("c2", "consultant")):
                self.staff[f"{key}@{branch}"] = sid = uuid7()
                await self.emit(StaffJoined(staff_id=sid, role=role, name=f"{key}{name[:2]}"), branch)
        for sid in self.staff.values():
            assert await eventually(lambda sid=sid: self.db.staff.find_one({"_id": sid}))
        assert await eventually(lambda: self.db.branches.find_one({"_id": SOUTH}))

    def body(self, branch: str = NORTH, phone: str | None = None, **extra) -> dict:
        return {"branch_id": branch, "customer": {"name": "王先生", "phone": phone or new_phone(), "birthday": "1980-05-01"},
                "category": "prospect", "card": {"employer": "深圳湾科技", "important_dates": [
                    {"name": "结婚纪念日", "date": "05-20"}], "handover_on": "2026-10-01"}} | extra

    async def open(self, who: str = "c1", branch: str = NORTH, **body) -> dict:
        r = await self.client.post("/v1/archives", headers=self.auth(who, branch), json=self.body(branch, **body))
        assert r.status_code == 201, r.text
        return r.json()


@asynccontextmanager
async def office(urls, **config):
    settings = isolated_settings(*urls)
    async with running([CustomersService(CustomersSettings(timers=False, **config))], settings) as (app, client):
        o = Office(settings, app, client)
        await o.populate()
        yield o


async def test_one_archive_per_person_and_branch_and_the_409_names_it(urls):
    async with office(urls) as o:
        phone = new_phone()
        first = await o.open(phone=phone)
        assert first["status"] == "pending_review" and first["number"] == "000001"
        assert first["customer"]["phone_masked"] == f"{phone[:3]}****{phone[-4:]}" and phone not in json.dumps(first)
        assert first["account_manager_id"] == o.staff[f"c1@{NORTH}"] and first["account_manager_name"] == "c1北区"
        assert first["card"]["important_dates"] == [{"name": "结婚纪念日", "date": "05-20", "year": None, "month": 5, "day": 20}]
        again = await o.client.post("/v1/archives", headers=o.auth("manager"), json=o.body(phone=f"+86 {phone}"))
        assert again.status_code == 409, again.text
        problem = again.json()
        assert problem["type"].endswith("/archive-exists")
        assert (problem["existing_archive_id"], problem["existing_number"]) == (first["id"], "000001")
        elsewhere = await o.open(branch=SOUTH, phone=phone)
        assert elsewhere["number"] == "000001"  # numbered per branch
        seen = (await o.client.get(f"/v1/archives/{first['id']}", headers=o.auth("c1"))).json()
        assert seen["other_branches"] == ["南区售楼处"]
        assert elsewhere["id"] not in json.dumps(seen) and SOUTH not in json.dumps(seen)
        assert await o.db.archives.count_documents({}) == 2
        opened = await eventually(lambda: stream_messages(o.settings, subject=f"{o.settings.subject_prefix}.{NORTH}.archive.opened"))
        data = json.loads(opened[0].data)["data"]
        assert data["number"] == "000001" and data["customer"]["phone_sealed"] and phone not in opened[0].data.decode()


async def test_ten_concurrent_opens_are_numbered_without_gaps_or_repeats(urls):
    async with office(urls) as o:
        answers = await asyncio.gather(*(o.client.post("/v1/archives", headers=o.auth("c1"), json=o.body())
                                         for _ in range(10)))
        assert [r.status_code for r in answers] == [201] * 10, [r.text for r in answers if r.status_code != 201]
        assert sorted(r.json()["number"] for r in answers) == [f"{n:06d}" for n in range(1, 11)]
        phone = new_phone()  # the same person five times at once: one archive, the others named it
        same = await asyncio.gather(*(o.client.post("/v1/archives", headers=o.auth("c1"), json=o.body(phone=phone))
                                      for _ in range(5)))
        assert sorted(r.status_code for r in same) == [201, 409, 409, 409, 409], [r.text for r in same]
        won = next(r.json() for r in same if r.status_code == 201)
        assert won["number"] == "000011"
        assert all(r.json()["existing_number"] == "000011" for r in same if r.status_code == 409)
        nxt = await o.open()
        assert nxt["number"] == "000012"


async def test_freezing_in_one_branch_leaves_the_persons_archive_elsewhere_untouched(urls):
    async with office(urls) as o:
        phone = new_phone()
        north, south = await o.open(phone=phone), await o.open(branch=SOUTH, phone=phone)
        r = await o.client.post(f"/v1/archives/{north['id']}/freeze", headers=o.auth("manager") | {"If-Match": "1"},
                                json={"reason": "客户要求不再联系"})
        assert r.status_code == 200 and r.json()["frozen"] is True and r.json()["version"] == 2, r.text
        other = (await o.client.get(f"/v1/archives/{south['id']}", headers=o.auth("manager", SOUTH))).json()
        assert other["frozen"] is False and other["version"] == 1
        frozen = (await o.client.get("/v1/archives", headers=o.auth("manager"), params={"frozen": "true"})).json()
        assert [a["id"] for a in frozen["items"]] == [north["id"]]
        foreign = await o.client.post(f"/v1/archives/{south['id']}/freeze", headers=o.auth("manager"), json={"reason": "x"})
        assert foreign.status_code == 404
        by_consultant = await o.client.post(f"/v1/archives/{north['id']}/unfreeze", headers=o.auth("c1"), json={"reason": "x"})
        assert by_consultant.status_code == 403
        thawed = await o.client.post(f"/v1/archives/{north['id']}/unfreeze", headers=o.auth("manager"), json={"reason": "误操作"})
        assert thawed.json()["frozen"] is False
        kinds = await eventually(lambda: stream_messages(o.settings, subject=f"{o.settings.subject_prefix}.{NORTH}.archive.unfrozen"))
        assert json.loads(kinds[0].data)["data"]["reason"] == "误操作"


async def test_a_consultant_sees_only_the_archives_it_manages_and_other_branches_see_none(urls):
    async with office(urls) as o:
        mine, theirs = await o.open("c1"), await o.open("c2")
        listed = (await o.client.get("/v1/archives", headers=o.auth("c1"))).json()["items"]
        assert [a["id"] for a in listed] == [mine["id"]]
        assert (await o.client.get(f"/v1/archives/{theirs['id']}", headers=o.auth("c1"))).status_code == 404
        assert (await o.client.patch(f"/v1/archives/{theirs['id']}", headers=o.auth("c1"), json={"card": {"position": "x"}})).status_code == 404
        assert (await o.client.get(f"/v1/archives/{mine['id']}", headers=o.auth("manager", SOUTH))).status_code == 404
        assert (await o.client.get("/v1/archives", headers=o.auth("manager", SOUTH))).json()["items"] == []
        assert (await o.client.get("/v1/archives", headers=o.auth("manager", SOUTH), params={"branch_id": NORTH})).status_code == 404
        assert (await o.client.get("/v1/archives", headers=o.auth("reception"))).status_code == 403
        managed = (await o.client.get("/v1/archives", headers=o.auth("manager"))).json()["items"]
        assert {a["id"] for a in managed} == {mine["id"], theirs["id"]}
        assert all("****" in a["customer"]["phone_masked"] for a in managed)


async def test_the_full_number_is_revealed_to_the_account_manager_and_managers_and_audited(urls):
    async with office(urls) as o:
        phone = new_phone()
        archive = await o.open(phone=phone)
        r = await o.client.get(f"/v1/archives/{archive['id']}/phone", headers=o.auth("c1"), params={"reason": "回访"})
        assert r.status_code == 200 and r.json()["phone"] == f"+86{phone}"
        assert (await o.client.get(f"/v1/archives/{archive['id']}/phone", headers=o.auth("c2"))).status_code == 404
        assert (await o.client.get(f"/v1/archives/{archive['id']}/phone", headers=o.auth("reception"))).status_code == 403
        assert (await o.client.get(f"/v1/archives/{archive['id']}/phone", headers=o.auth("manager"))).status_code == 200
        audit = await o.client.get("/v1/archives/audit", headers=o.auth("manager"), params={"branch_id": NORTH})
        rows = audit.json()["items"]
        assert [(a["actor_id"], a["archive_id"], a["reason"]) for a in rows] == [
            (o.staff[f"manager@{NORTH}"], archive["id"], None), (o.staff[f"c1@{NORTH}"], archive["id"], "回访")]
        assert rows[1]["actor_name"] == "c1北区" and phone not in audit.text
        assert (await o.client.get("/v1/archives/audit", headers=o.auth("c1"), params={"branch_id": NORTH})).status_code == 403
        assert (await o.client.get("/v1/archives/audit", headers=o.auth("manager", SOUTH), params={"branch_id": NORTH})).status_code == 404


async def test_changes_review_and_the_overdue_review_once(urls):
    async with office(urls) as o:
        archive = await o.open()
        url = f"/v1/archives/{archive['id']}"
        stale = await o.client.patch(url, headers=o.auth("c1") | {"If-Match": "7"}, json={"card": {"position": "总监"}})
        assert stale.status_code == 412
        changed = await o.client.patch(url, headers=o.auth("c1") | {"If-Match": "1"}, json={"card": {"position": "总监"}})
        assert changed.status_code == 200 and changed.json()["card"]["employer"] == "深圳湾科技"
        assert changed.json()["card"]["position"] == "总监" and changed.json()["version"] == 2
        for forbidden in ({"tier": "core"}, {"account_manager_id": o.staff[f"c2@{NORTH}"]}):
            assert (await o.client.patch(url, headers=o.auth("c1"), json=forbidden)).status_code == 403
        ctx, later = o.ctx, utcnow() + timedelta(days=9)
        assert await deadlines.review_overdue(ctx, utcnow()) == 0
        assert await deadlines.review_overdue(ctx, later) == 1
        assert await deadlines.review_overdue(ctx, later + timedelta(hours=1)) == 0
        overdue = await o.client.get("/v1/archives", headers=o.auth("manager"),
                                     params={"status": "pending_review", "review_overdue": "true"})
        assert [a["id"] for a in overdue.json()["items"]] == []  # not yet overdue by the clock of now
        returned = await o.client.post(f"{url}/review", headers=o.auth("manager"), json={"decision": "returned", "note": "补充家庭情况"})
        assert returned.json()["status"] == "returned" and returned.json()["last_review"]["note"] == "补充家庭情况"
        again = await o.client.post(f"{url}/review", headers=o.auth("manager"), json={"decision": "approved"})
        assert again.status_code == 409 and again.json()["status_now"] == "returned"
        fixed = await o.client.patch(url, headers=o.auth("c1"), json={"card": {"family": "已婚，一子"}})
        assert fixed.json()["status"] == "pending_review"
        approved = await o.client.post(f"{url}/review", headers=o.auth("manager"), json={"decision": "approved"})
        assert approved.json()["status"] == "active"
        assert (await o.client.post(f"{url}/review", headers=o.auth("c1"), json={"decision": "approved"})).status_code == 403
        subject = f"{o.settings.subject_prefix}.{NORTH}.archive.review_overdue"
        assert len(await eventually(lambda: stream_messages(o.settings, subject=subject))) == 1


async def test_overdue_reviews_show_on_the_managers_day(urls):
    async with office(urls) as o:
        late, fresh = await o.open(), await o.open()
        await o.db.archives.update_one({"_id": late["id"]}, {"$set": {"review_due_at": utcnow() - timedelta(hours=1)}})
        r = await o.client.get("/v1/archives", headers=o.auth("manager"), params={"status": "pending_review", "review_overdue": "true"})
        assert [a["id"] for a in r.json()["items"]] == [late["id"]] and r.json()["items"][0]["review_overdue"] is True
        assert fresh["review_overdue"] is False


async def test_bad_input_gets_a_4xx_and_stores_nothing(urls):
    async with office(urls) as o:
        c1 = o.auth("c1")
        base = o.body()
        cases = [
            ("malformed json", {"content": b'{"branch_id": "arc-north", ', "headers": c1 | {"content-type": "application/json"}}, 400),
            ("control characters", {"json": base | {"customer": base["customer"] | {"name": "王\x07先生"}}}, 422),
            ("huge name", {"json": base | {"customer": base["customer"] | {"name": "王" * 5000}}}, 422),
            ("unknown category", {"json": base | {"category": "vip"}}, 422),
            ("unknown tier", {"json": base | {"tier": "gold"}}, 422),
            ("wrong type", {"json": base | {"card": {"important_dates": "05-20"}}}, 422),
            ("bad date", {"json": base | {"card": {"important_dates": [{"name": "纪念日", "date": "02-30"}]}}}, 422),
            ("bad phone", {"json": base | {"customer": base["customer"] | {"phone": "12345"}}}, 422),
            ("future birthday", {"json": base | {"customer": base["customer"] | {"birthday": "2999-01-01"}}}, 422),
            ("unknown field", {"json": base | {"owner": "x"}}, 422),
            ("another branch", {"json": base | {"branch_id": SOUTH}}, 404),
            ("another branch's staff", {"json": base | {"account_manager_id": o.staff[f"c1@{SOUTH}"]}, "headers": o.auth("manager")}, 422),
            ("a consultant naming another", {"json": base | {"account_manager_id": o.staff[f"c2@{NORTH}"]}}, 403),
        ]
        for name, kw, status in cases:
            kw.setdefault("headers", c1)
            r = await o.client.post("/v1/archives", **kw)
            assert r.status_code == status, (name, r.text)
            assert r.headers["content-type"].startswith("application/problem+json"), name
        assert await o.db.archives.count_documents({}) == 0
        assert await o.db.archive_numbers.count_documents({}) == 0  # no number was taken either
        archive = await o.open()
        for patch in ({"card": {"handover_on": "someday"}}, {"tier": "gold"}, {"card": {"address": "\u0000"}}):
            r = await o.client.patch(f"/v1/archives/{archive['id']}", headers=o.auth("manager"), json=patch)
            assert r.status_code == 422, (patch, r.text)
        assert (await o.db.archives.find_one({"_id": archive["id"]}))["version"] == 1


async def test_an_opening_that_died_after_taking_its_number_is_finished_and_leaves_no_gap(urls):
    from crm_shared.phones import normalize

    from crm_customers.archives import opening, service

    async with office(urls) as o:
        first = await o.open()
        ctx, long_ago = o.ctx, utcnow() - timedelta(minutes=5)
        crashed = service.new_doc(ctx, NORTH, await service.customer_fields(ctx, "断电客户", normalize(new_phone())),
                                  category="owner", tier="general", by="c1", account_manager_id=o.staff[f"c1@{NORTH}"],
                                  card={}, tz="Asia/Shanghai")
        crashed["number"] = (await opening._take_numbers(ctx, NORTH, 1))[0]  # the counter moved; then the process died
        await o.db.archive_claims.insert_one({"_id": crashed["person_key"], "branch_id": NORTH, "archive_id": crashed["_id"],
                                              "state": "numbered", "number": crashed["number"], "doc": crashed, "at": long_ago})
        stuck_phone = new_phone()  # another opener died before taking a number: its claim is taken over later
        stuck = await service.customer_fields(ctx, "x", normalize(stuck_phone))
        await o.db.archive_claims.insert_one({"_id": f"{NORTH}:{stuck['phone_hash']}", "branch_id": NORTH,
                                              "archive_id": uuid7(), "state": "claimed", "at": long_ago})
        assert await opening.finish_abandoned(ctx, utcnow()) == 2
        finished = await o.db.archives.find_one({"_id": crashed["_id"]})
        assert finished["number"] == "000002" and first["number"] == "000001"
        assert (await o.client.get(f"/v1/archives/{crashed['_id']}", headers=o.auth("manager"))).status_code == 200
        again = await o.open(phone=stuck_phone)
        assert again["number"] == "000003"
        assert await opening.finish_abandoned(ctx, utcnow() + timedelta(minutes=5)) == 0
