"""Marketing consent on the archive (同意接收节日问候/营销短信): recorded when opening (who, when), changed by PATCH,
read from the import sheet's column, not given by default; every greeting.due carries it (`consent`, `consent_at`)
and a key account's birthday still asks for its gift whatever the consent says."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crm_customers.archives import rules
from crm_customers.greetings import service as greetings
from tests.customers.test_archives import NORTH, new_phone, office
from tests.support.runtime import eventually, stream_messages

SHANGHAI = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


# ---- rules ----

@pytest.mark.unit
def test_the_sheet_words_for_consent():
    assert [rules.consent_of(w) for w in ("是", "同意", " Yes ", "√", "1", True)] == [True] * 6
    assert [rules.consent_of(w) for w in ("否", "不同意", "拒绝", "N", "0", None, "  ", False)] == [False] * 8
    assert rules.consent_of("也许") is None


@pytest.mark.unit
def test_a_change_records_who_and_when_and_a_withdrawal():
    assert rules.consent_change(None, False, "c1", T0) == rules.consent(False, "c1", T0, "change")
    given = rules.consent_change(None, True, "c1", T0)
    assert given == {"given": True, "by": "c1", "at": T0, "source": "change", "withdrawn_at": None}
    assert rules.consent_change(given, True, "m1", T0 + timedelta(days=1)) is None, "the same statement: no change"
    later = T0 + timedelta(days=2)
    withdrawn = rules.consent_change(given, False, "m1", later)
    assert withdrawn["given"] is False and withdrawn["withdrawn_at"] == later and withdrawn["by"] == "m1"
    assert rules.consent_change(withdrawn, False, "c1", later + timedelta(days=1)) is None


@pytest.mark.unit
def test_what_a_greeting_says_about_consent():
    assert rules.consent_statement(None) == (False, None), "never recorded: overrules nothing"
    assert rules.consent_statement(rules.consent(False, "c1", T0, "opening")) == (False, None)
    assert rules.consent_statement(rules.consent(True, "c1", T0, "opening")) == (True, T0)
    assert rules.consent_statement(rules.consent(False, "m1", T0, "change", withdrawn_at=T0)) == (False, T0)


# ---- the archive ----

def _body(phone: str, birthday: str = "1980-06-18", **extra) -> dict:
    return {"branch_id": NORTH, "customer": {"name": "王先生", "phone": phone, "birthday": birthday},
            "category": "owner"} | extra


async def _open(o, who: str = "c1", **extra) -> dict:
    r = await o.client.post("/v1/archives", headers=o.auth(who), json=_body(new_phone(), **extra))
    assert r.status_code == 201, r.text
    return r.json()


async def test_consent_is_recorded_when_opening_with_who_and_when_and_not_given_by_default(urls):
    async with office(urls) as o:
        plain = await _open(o)
        assert plain["marketing_consent"] == {"given": False, "at": None, "by": None, "by_name": None, "source": None}
        before = datetime.now(UTC) - timedelta(seconds=5)
        given = await _open(o, marketing_consent=True)
        seen = (await o.client.get(f"/v1/archives/{given['id']}", headers=o.auth("c1"))).json()["marketing_consent"]
        assert seen["given"] is True and seen["source"] == "opening"
        assert seen["by"] == o.staff[f"c1@{NORTH}"] and seen["by_name"] == "c1北区"
        assert datetime.fromisoformat(seen["at"]).replace(tzinfo=UTC) >= before
        listed = (await o.client.get("/v1/archives", headers=o.auth("manager"), params={"branch_id": NORTH})).json()
        assert {i["id"]: i["marketing_consent"]["given"] for i in listed["items"]} == {plain["id"]: False, given["id"]: True}
        for bad in ("maybe", 2, None, {"given": True}):
            r = await o.client.post("/v1/archives", headers=o.auth("c1"), json=_body(new_phone(), marketing_consent=bad))
            assert r.status_code == 422, (bad, r.text)
        assert await o.db.archives.count_documents({}) == 2


async def test_consent_is_changed_by_patch_recording_who_and_when_and_the_withdrawal(urls):
    async with office(urls) as o:
        doc = await _open(o)
        url, c1 = f"/v1/archives/{doc['id']}", o.auth("c1")
        r = await o.client.patch(url, headers=c1 | {"If-Match": str(doc["version"])}, json={"marketing_consent": True})
        assert r.status_code == 200, r.text
        after = r.json()
        assert after["marketing_consent"]["given"] is True and after["marketing_consent"]["source"] == "change"
        assert after["marketing_consent"]["by_name"] == "c1北区" and after["version"] == doc["version"] + 1
        same = (await o.client.patch(url, headers=c1, json={"marketing_consent": True})).json()
        assert same["version"] == after["version"], "the same answer again changes nothing"
        r = await o.client.patch(url, headers=o.auth("manager"), json={"marketing_consent": False})
        withdrawn = r.json()["marketing_consent"]
        assert withdrawn["given"] is False and withdrawn["by_name"] == "manager北区"
        stored = await o.db.archives.find_one({"_id": doc["id"]})
        assert stored["marketing_consent"]["withdrawn_at"] is not None
        assert (await o.client.patch(url, headers=c1, json={"marketing_consent": "yes"})).status_code == 422
        assert (await o.client.patch(url, headers=o.auth("c2"), json={"marketing_consent": True})).status_code == 404
        updated = await eventually(lambda: stream_messages(o.settings, subject=f"{o.settings.subject_prefix}.{NORTH}.archive.updated"))
        assert [json.loads(m.data)["data"]["changes"] for m in updated][:1] == [["marketing_consent"]]


async def test_the_import_sheet_column_records_consent_by_the_importer(urls):
    from openpyxl import Workbook
    async with office(urls) as o:
        book = Workbook()
        ws = book.active
        ws.append(["姓名", "电话", "同意营销短信"])
        phones = [new_phone() for _ in range(4)]
        for name, phone, word in zip(("甲", "乙", "丙", "丁"), phones, ("是", "否", None, "看情况"), strict=True):
            ws.append([name, phone, word])
        out = io.BytesIO()
        book.save(out)
        r = await o.client.post("/v1/archives/import", headers=o.auth("manager"), data={"branch_id": NORTH},
                                files={"file": ("业主.xlsx", out.getvalue(), "application/octet-stream")})
        assert r.status_code == 200, r.text
        rows = {row["n"]: row for row in r.json()["rows"]}
        assert [rows[n]["outcome"] for n in (2, 3, 4, 5)] == ["opened"] * 4
        assert [w["code"] for w in rows[5]["warnings"]] == ["consent_bad"] and "按未同意" in rows[5]["warnings"][0]["message"]
        got = {}
        for n in (2, 3, 4, 5):
            got[n] = (await o.client.get(f"/v1/archives/{rows[n]['archive_id']}", headers=o.auth("manager"))).json()["marketing_consent"]
        assert [got[n]["given"] for n in (2, 3, 4, 5)] == [True, False, False, False]
        assert got[2]["source"] == "import" and got[2]["by_name"] == "manager北区"
        assert got[4]["source"] is None, "a blank cell says nothing: not given, never recorded"


# ---- greetings carry it ----

async def _greetings(o, n: int) -> list[dict]:
    msgs = await stream_messages(o.settings, subject=f"{o.settings.subject_prefix}.{NORTH}.greeting.due")
    return [json.loads(m.data)["data"] for m in msgs] if len(msgs) >= n else None


async def test_every_greeting_carries_the_archives_consent_and_a_gift_whatever_it_says(urls):
    async with office(urls) as o:
        consenting = await _open(o, marketing_consent=True)
        silent = await _open(o, "manager", tier="key")
        withdrawn = await _open(o, marketing_consent=True)
        r = await o.client.patch(f"/v1/archives/{withdrawn['id']}", headers=o.auth("c1"), json={"marketing_consent": False})
        assert r.status_code == 200, r.text
        today = datetime(2026, 6, 18, 9, 30, tzinfo=SHANGHAI)
        assert await greetings.send_greetings(o.ctx, today) == {NORTH: 3}
        by_archive = {e["archive_id"]: e for e in await eventually(lambda: _greetings(o, 3))}
        yes, no, off = by_archive[consenting["id"]], by_archive[silent["id"]], by_archive[withdrawn["id"]]
        assert yes["consent"] is True and yes["consent_at"] and yes["gift"] is False
        assert no["consent"] is False and no["consent_at"] is None
        assert no["gift"] is True, "a key account's birthday asks for its gift even without SMS consent"
        assert off["consent"] is False and off["consent_at"], "a withdrawal says when, so it overrules the older consent"
        stored = await o.db.greetings.find_one({"archive_id": consenting["id"]})
        assert stored["consent"] is True
