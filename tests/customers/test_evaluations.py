"""Relationship evaluations (客户关系评估表): the group's weights, scoring by the account manager, review and history."""

from __future__ import annotations

import json

from tests.customers.test_archives import NORTH, SOUTH, office
from tests.support.runtime import eventually, stream_messages

KEYS = ("purchase_amount", "referrals", "communication", "satisfaction", "complaints")


def scores(value="85", **override) -> dict:
    return {k: override.get(k, value) for k in KEYS}


async def test_the_group_table_needs_weights_summing_to_100_and_an_admin(urls):
    async with office(urls) as o:
        table = (await o.client.get("/v1/evaluation-indicators", headers=o.auth("c1"))).json()
        assert [i["key"] for i in table["items"]] == list(KEYS) and sum(i["weight"] for i in table["items"]) == 100
        assert table["version"] == 0 and table["items"][3]["name"] == "满意度"
        assert (await o.client.get("/v1/evaluation-indicators", headers=o.auth("reception"))).status_code == 403
        new = [{"key": "amount", "name": "购买金额", "weight": 60}, {"key": "loyalty", "name": "忠诚度", "weight": 39}]
        assert (await o.client.put("/v1/evaluation-indicators", headers=o.auth("manager"), json=new)).status_code == 403
        bad = await o.client.put("/v1/evaluation-indicators", headers=o.admin(), json=new)
        assert bad.status_code == 422 and bad.json()["type"].endswith("/weights-not-100") and bad.json()["weight_sum"] == 99
        for body in ([], [{"key": "Bad Key", "name": "x", "weight": 100}], [{"key": "a", "name": "x", "weight": 100.5}],
                     [{"key": "a", "name": "x", "weight": 50}, {"key": "a", "name": "y", "weight": 50}], {"key": "a"}):
            assert (await o.client.put("/v1/evaluation-indicators", headers=o.admin(), json=body)).status_code == 422, body
        assert await o.db.evaluation_indicators.count_documents({}) == 0
        new[1]["weight"] = 40
        saved = await o.client.put("/v1/evaluation-indicators", headers=o.admin() | {"If-Match": "0"}, json=new)
        assert saved.status_code == 200 and saved.json()["version"] == 1, saved.text
        assert (await o.client.put("/v1/evaluation-indicators", headers=o.admin() | {"If-Match": "0"}, json=new)).status_code == 412
        archive = await o.open()
        r = await o.client.post("/v1/evaluations", headers=o.auth("c1"), json={
            "archive_id": archive["id"], "scores": {"amount": 90, "loyalty": "70.5"}})
        assert r.status_code == 201 and r.json()["score"] == "82.20" and r.json()["grade"] == "B", r.text  # 54 + 28.2


async def test_scoring_grades_review_and_history(urls):
    async with office(urls) as o:
        archive = await o.open("c1")
        first = await o.client.post("/v1/evaluations", headers=o.auth("c1"), json={
            "archive_id": archive["id"], "scores": scores("85"), "note": "关系稳定"})
        assert first.status_code == 201, first.text
        ev = first.json()
        assert (ev["score"], ev["grade"], ev["recommendation"], ev["status"]) == ("85.00", "A", "maintain", "submitted")
        assert ev["recommendation_name"] == "维持"
        shown = (await o.client.get(f"/v1/archives/{archive['id']}", headers=o.auth("c1"))).json()
        assert shown["latest_evaluation"]["grade"] == "A" and shown["version"] == 1  # derived: no edit made stale
        second = await o.client.post("/v1/evaluations", headers=o.auth("manager"), json={
            "archive_id": archive["id"], "scores": scores("84.99"), "recommendation": "improve"})
        assert (second.json()["score"], second.json()["grade"], second.json()["recommendation"]) == ("84.99", "B", "improve")
        low = await o.client.post("/v1/evaluations", headers=o.auth("c1"), json={
            "archive_id": archive["id"], "scores": scores("55", complaints="54")})
        assert (low.json()["score"], low.json()["grade"], low.json()["recommendation"]) == ("54.85", "D", "end")
        url = f"/v1/evaluations/{ev['id']}/review"
        assert (await o.client.post(url, headers=o.auth("c1"), json={"decision": "approved"})).status_code == 403
        reviewed = await o.client.post(url, headers=o.auth("manager") | {"If-Match": "1"}, json={"decision": "approved", "note": "同意"})
        assert reviewed.status_code == 200 and reviewed.json()["status"] == "approved", reviewed.text
        assert (await o.client.post(url, headers=o.auth("manager"), json={"decision": "returned"})).status_code == 409
        history = (await o.client.get("/v1/evaluations", headers=o.auth("c1"), params={"archive_id": archive["id"]})).json()
        assert [(e["grade"], e["status"]) for e in history["items"]] == [("D", "submitted"), ("B", "submitted"), ("A", "approved")]
        latest = (await o.client.get(f"/v1/archives/{archive['id']}", headers=o.auth("manager"))).json()["latest_evaluation"]
        assert (latest["id"], latest["grade"]) == (low.json()["id"], "D")  # an older review does not roll it back
        events = await eventually(lambda: stream_messages(o.settings, subject=f"{o.settings.subject_prefix}.{NORTH}.evaluation.submitted"))
        assert sorted(json.loads(m.data)["data"]["score"] for m in events) == [54.85, 84.99, 85.0]


async def test_who_may_evaluate_and_bad_scores_store_nothing(urls):
    async with office(urls) as o:
        archive = await o.open("c1")
        base = {"archive_id": archive["id"], "scores": scores()}
        assert (await o.client.post("/v1/evaluations", headers=o.auth("c2"), json=base)).status_code == 404
        assert (await o.client.post("/v1/evaluations", headers=o.auth("manager", SOUTH), json=base)).status_code == 404
        assert (await o.client.post("/v1/evaluations", headers=o.auth("reception"), json=base)).status_code == 403
        missing = await o.client.post("/v1/evaluations", headers=o.auth("c1"), json=base | {"scores": {"referrals": 80}})
        assert missing.status_code == 422 and missing.json()["type"].endswith("/scores-mismatch")
        for bad in (scores("101"), scores("-1"), scores("abc"), scores("85.123"), scores(None), scores("85") | {"x y": 1}):
            r = await o.client.post("/v1/evaluations", headers=o.auth("c1"), json=base | {"scores": bad})
            assert r.status_code == 422, (bad, r.text)
        r = await o.client.post("/v1/evaluations", headers=o.auth("c1"), json=base | {"scores": scores("75"), "recommendation": "end"})
        assert r.status_code == 422 and r.json()["allowed"] == ["maintain", "improve"]
        assert (await o.client.post("/v1/evaluations", headers=o.auth("c1"), json=base | {"archive_id": "nope"})).status_code == 404
        assert await o.db.evaluations.count_documents({}) == 0
        assert (await o.client.get("/v1/evaluations", headers=o.auth("c2"), params={"archive_id": archive["id"]})).status_code == 404
