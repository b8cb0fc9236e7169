"""Lost reasons are a per-branch list (issue 15): closing as lost takes one of the branch's codes, and
a note where the reason asks for one, so the lost-customer analysis adds up."""

import json

from crm_shared.branches import DEFAULT_LOST_REASONS
from tests.leads.builders import office
from tests.support.runtime import eventually, stream_messages


async def lost_events(settings) -> list[dict]:
    return [json.loads(m.data)["data"] for m in await stream_messages(settings) if json.loads(m.data)["type"] == "lead.lost"]


async def test_a_branch_has_the_default_list_chinese_first(urls):
    async with office(urls) as o:
        r = await o.client.get("/v1/branches/b1", headers=o.as_("consultant"))
        reasons = r.json()["settings"]["lost_reasons"]
        assert [(x["code"], x["zh"]) for x in reasons] == [
            ("price", "价格"), ("location", "位置"), ("layout", "户型"), ("competitor", "选择竞品"),
            ("financing", "资金/贷款"), ("no_longer_buying", "不再购买"), ("other", "其他")]
        assert [x["code"] for x in reasons if x["note_required"]] == ["other"]
        assert len(DEFAULT_LOST_REASONS) == len(reasons)


async def test_closing_as_lost_takes_a_code_of_the_branch_and_a_note_for_other(urls):
    async with office(urls) as o:
        cid = await o.add_staff("张三")
        me = o.as_("consultant", cid)
        leads = [(await o.register(me))["id"] for _ in range(2)]
        for body, kind in (({"outcome": "lost", "reason": "预算不足"}, "unknown-lost-reason"),
                           ({"outcome": "lost", "reason": "PRICE"}, "unknown-lost-reason"),
                           ({"outcome": "lost", "reason": "other"}, "note-required"),
                           ({"outcome": "lost", "reason": "other", "note": "   "}, "validation")):
            r = await o.client.post(f"/v1/leads/{leads[0]}/close", json=body, headers=me)
            assert r.status_code == 422 and r.json()["type"].endswith("/" + kind), (body, r.text)
        assert r.json()["errors"][0]["loc"][-1] == "note"
        r = await o.client.post(f"/v1/leads/{leads[0]}/close", json={"outcome": "lost", "reason": "预算不足"}, headers=me)
        assert r.json()["allowed"] == [c for c, *_ in DEFAULT_LOST_REASONS] and r.json()["errors"][0]["loc"] == ["body", "reason"]
        assert (await o.lead(leads[0]))["version"] == 1, "nothing stored"
        r = await o.client.post(f"/v1/leads/{leads[0]}/close", json={"outcome": "lost", "reason": "price"}, headers=me)
        assert r.status_code == 200 and (r.json()["lost_reason"], r.json().get("lost_note")) == ("price", None)
        r = await o.client.post(f"/v1/leads/{leads[1]}/close",
                                json={"outcome": "lost", "reason": "other", "note": "家人反对"}, headers=me)
        assert r.status_code == 200 and (r.json()["lost_reason"], r.json()["lost_note"]) == ("other", "家人反对")
        events = await eventually(lambda: _two(o.settings))
        assert [(e["reason"], e["note"], e["status_before"]) for e in events] == [("price", None, "new"), ("other", "家人反对", "new")]


async def _two(settings):
    events = await lost_events(settings)
    return events if len(events) == 2 else None


async def test_a_branch_keeps_its_own_list(urls):
    async with office(urls) as o:
        custom = [{"code": "school", "zh": "学区不满意", "en": "School district"},
                  {"code": "other", "zh": "其他", "en": "Other", "note_required": True}]
        r = await o.client.post("/v1/branches", json={"id": "b1", "name": "b1", "settings": {"lost_reasons": custom}},
                                headers=o.admin)
        assert r.status_code == 200 and [x["code"] for x in r.json()["settings"]["lost_reasons"]] == ["school", "other"]
        lead = (await o.register(o.manager))["id"]
        r = await o.client.post(f"/v1/leads/{lead}/close", json={"outcome": "lost", "reason": "price"}, headers=o.manager)
        assert r.status_code == 422 and r.json()["allowed"] == ["school", "other"]
        r = await o.client.post(f"/v1/leads/{lead}/close", json={"outcome": "lost", "reason": "school"}, headers=o.manager)
        assert r.status_code == 200


async def test_a_bad_list_is_422(urls):
    async with office(urls) as o:
        good = {"code": "price", "zh": "价格", "en": "Price"}
        for reasons in ([], [good, good], [good | {"code": "Price"}], [good | {"code": "1x"}], [good | {"zh": " "}],
                        [good | {"zh": "x" * 41}], [good | {"extra": 1}], [good] * 51, [{"code": "price"}]):
            r = await o.client.post("/v1/branches", json={"id": "b1", "name": "b1", "settings": {"lost_reasons": reasons}},
                                    headers=o.admin)
            assert r.status_code == 422, (reasons, r.text)
        r = await o.client.get("/v1/branches/b1", headers=o.admin)
        assert r.json()["version"] == 1


async def test_won_needs_no_reason(urls):
    async with office(urls) as o:
        lead = (await o.register(o.manager))["id"]
        r = await o.client.post(f"/v1/leads/{lead}/close", json={"outcome": "won", "reason": "anything"}, headers=o.manager)
        assert r.status_code == 200 and r.json()["lost_reason"] is None
