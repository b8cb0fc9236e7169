"""D5 (issue 14): what people type is printable, normalised, trimmed and not blank; times are
bounded. Bad text is a 422 that stores nothing, never a 200 that breaks an export later."""

import io
import json

from tests.leads.builders import new_phone, office

BAD_TEXT = ["a\u0001b", "\u0000", "   ", "\u200b\u200b", "x\u0000y", "\u2028", "\ud800"]
BAD_TIMES = ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "1999-12-31T23:00:00+00:00", "2030-01-01T00:00:00"]


def _json(body: dict) -> bytes:
    """JSON with lone surrogates and control characters kept as escapes (httpx would refuse to encode some)."""
    return json.dumps(body, ensure_ascii=True).encode()


async def _send(o, method: str, path: str, body: dict, headers: dict):
    return await o.client.request(method, path, content=_json(body), headers=headers | {"content-type": "application/json"})


async def test_closing_lost_with_a_control_character_is_422_and_stores_nothing(urls):
    async with office(urls) as o:
        cid = await o.add_staff("c")
        me = o.as_("consultant", cid)
        lead = await o.register(me)
        for reason in ("a\u0001b", "\u0000", " \u200b ", "\u0085"):
            r = await _send(o, "POST", f"/v1/leads/{lead['id']}/close", {"outcome": "lost", "reason": reason}, me)
            assert r.status_code == 422, (reason, r.text)
            r = await _send(o, "POST", f"/v1/leads/{lead['id']}/close", {"outcome": "lost", "reason": "other", "note": reason}, me)
            assert r.status_code == 422, (reason, r.text)
        doc = await o.lead(lead["id"])
        assert doc["version"] == 1 and doc["status"] == "new" and doc.get("lost_reason") is None
        r = await _send(o, "POST", f"/v1/leads/{lead['id']}/close",
                        {"outcome": "lost", "reason": "  other ", "note": "  Cafe\u0301 "}, me)
        assert r.status_code == 200 and r.json()["lost_note"] == "Caf\u00e9", "NFC and trimmed"
        assert r.json()["lost_reason"] == "other"


async def test_every_typed_field_refuses_unprintable_text(urls):
    async with office(urls) as o:
        cid = await o.add_staff("c")
        me = o.as_("consultant", cid)
        lead = (await o.register(me))["id"]
        rid = (await o.client.post("/v1/channel-reports", json={"branch_id": "b1", "customer_name": "x", "phone": new_phone()},
                                   headers=o.as_("partner", "p1"))).json()["id"]
        did = (await o.client.post("/v1/attribution-disputes", json={"report_id": rid, "claim": "c"}, headers=o.manager)).json()["id"]
        base = {"branch_id": "b1", "customer": {"name": "王先生", "phone": new_phone()}, "source": {"channel": "phone"}}
        cases = [
            ("POST", "/v1/leads", lambda t: base | {"customer": base["customer"] | {"name": t}}, o.manager),
            ("POST", "/v1/leads", lambda t: base | {"interest": t}, o.manager),
            ("POST", "/v1/leads", lambda t: base | {"source": {"channel": "event", "campaign": t}}, o.manager),
            ("POST", "/v1/leads", lambda t: base | {"source": {"channel": "referral", "referrer": t}}, o.manager),
            ("POST", "/v1/leads", lambda t: base | {"customer": base["customer"] | {"email": f"a{t}@b.c"}}, o.manager),
            ("PATCH", f"/v1/leads/{lead}", lambda t: {"customer": {"name": t}}, me),
            ("PATCH", f"/v1/leads/{lead}", lambda t: {"interest": t}, me),
            ("POST", f"/v1/leads/{lead}/follow-ups", lambda t: {"kind": "call", "note": "ok", "outcome": t}, me),
            ("POST", "/v1/staff", lambda t: {"branch_id": "b1", "name": t, "role": "consultant"}, o.admin),
            ("POST", "/v1/branches", lambda t: {"id": "b9", "name": t}, o.admin),
            ("POST", "/v1/channel-reports", lambda t: {"branch_id": "b1", "customer_name": t, "phone": new_phone()},
             o.as_("partner", "p1")),
            ("POST", "/v1/attribution-disputes", lambda t: {"report_id": rid, "claim": t}, o.manager),
            ("POST", f"/v1/attribution-disputes/{did}/decision", lambda t: {"winner": None, "reason": t}, o.manager),
        ]
        wrong = []
        for method, path, body, headers in cases:
            for text in BAD_TEXT:
                r = await _send(o, method, path, body(text), headers)
                if r.status_code != 422:
                    wrong.append((method, path, repr(text), r.status_code, r.text[:100]))
        for bad_note in ("a\u0001b", "\u0000"):
            r = await _send(o, "POST", f"/v1/leads/{lead}/follow-ups", {"kind": "call", "note": bad_note}, me)
            if r.status_code != 422:
                wrong.append(("follow-up note", repr(bad_note), r.status_code))
        for q in ("\u0000", "a\u0001"):
            r = await o.client.get("/v1/leads", params={"q": q}, headers=o.manager)
            if r.status_code != 422:
                wrong.append(("q", repr(q), r.status_code))
            r = await o.client.get(f"/v1/leads/{lead}/phone", params={"reason": q}, headers=o.manager)
            if r.status_code != 422:
                wrong.append(("reveal reason", repr(q), r.status_code))
        assert not wrong, "\n".join(map(str, wrong))
        doc = await o.lead(lead)
        assert doc["version"] == 1 and doc["follow_ups"] == []
        assert await o.ctx.db.leads.count_documents({}) == 1
        assert await o.ctx.db.staff.count_documents({}) == 1 and await o.ctx.db.branches.count_documents({}) == 1
        assert await o.ctx.db.channel_reports.count_documents({}) == 1 and await o.ctx.db.disputes.count_documents({}) == 1
        assert await o.ctx.db.audit.count_documents({}) == 0


async def test_an_empty_follow_up_note_is_still_no_note(urls):
    """The console sends `note: ""` when nothing was written."""
    async with office(urls) as o:
        cid = await o.add_staff("c")
        me = o.as_("consultant", cid)
        lead = (await o.register(me))["id"]
        for note in ("", "  "):
            r = await o.client.post(f"/v1/leads/{lead}/follow-ups", json={"kind": "call", "note": note}, headers=me)
            assert r.status_code == 201 and r.json()["note"] == "", r.text
        r = await o.client.post(f"/v1/leads/{lead}/follow-ups", json={"kind": "call", "note": " line 1\nline 2 "}, headers=me)
        assert r.status_code == 201 and r.json()["note"] == "line 1\nline 2"


async def test_times_out_of_bounds_are_422(urls):
    async with office(urls) as o:
        cid = await o.add_staff("c")
        me = o.as_("consultant", cid)
        lead = (await o.register(me))["id"]
        for when in BAD_TIMES:
            r = await o.client.patch(f"/v1/leads/{lead}", json={"next_follow_up_at": when}, headers=me)
            assert r.status_code == 422, (when, r.text)
            r = await o.client.post(f"/v1/leads/{lead}/follow-ups", json={"kind": "call", "next_follow_up_at": when}, headers=me)
            assert r.status_code == 422, (when, r.text)
        for birthday in ("0001-01-01", "9999-12-31"):
            r = await o.client.post("/v1/leads", json=o.lead_body(customer={"name": "x", "phone": new_phone(), "birthday": birthday}),
                                    headers=o.manager)
            assert r.status_code == 422, birthday
        doc = await o.lead(lead)
        assert doc["version"] == 1 and doc["follow_ups"] == []
        r = await o.client.patch(f"/v1/leads/{lead}", json={"next_follow_up_at": "2031-05-01T08:00:00+08:00"}, headers=me)
        assert r.status_code == 200 and r.json()["next_follow_up_at"].startswith("2031-05-01T00:00:00")


async def test_an_imported_cell_with_a_control_character_is_an_invalid_row(urls):
    async with office(urls) as o:
        sheet = "姓名,电话,备注\n王先生,{},ok\n李\u0001四,{},x\n赵六,{},bad\u0000note\n\u200b,{},blank name\n 钱七 ,{},fine\n"
        sheet = sheet.format(*(new_phone() for _ in range(5)))
        r = await o.client.post("/v1/leads/import", data={"branch_id": "b1"}, headers=o.manager,
                                files={"file": ("leads.csv", io.BytesIO(sheet.encode()), "text/csv")})
        assert r.status_code == 200, r.text
        body = r.json()
        assert [row["status"] for row in body["rows"]] == ["created", "invalid", "invalid", "invalid", "created"], body
        assert body["created"] == 2 and body["invalid"] == 3
        names = sorted(d["customer"]["name"] for d in await o.ctx.db.leads.find({}).to_list())
        assert names == ["王先生", "钱七"]
