"""D10 (issue 14): opt-outs are per branch. A consultant of one branch silencing a number once
silenced it for every branch. Staff record opt-outs for a branch (`branch_id` required); a
customer's unsubscribe link stops the branch (brand) that sent it; sending checks the
message's branch. Links sent before links named a branch, and opt-outs stored before this,
stay group-wide: they were promised for every branch."""

from datetime import UTC, datetime
from urllib.parse import urlparse

from crm_notify.dispatch.service import dispatch_due
from crm_notify.optouts import links
from crm_notify.plugin import NotifyService
from tests.notify.support import BRANCH, notify_running, sent_by_console
from tests.support.runtime import bearer

OTHER = "gz-tower"
PHONE = "+8613800138000"
NOON = datetime(2030, 1, 7, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai, outside quiet hours


def sms(branch: str, **extra) -> dict:
    return {"branch_id": branch, "channel": "sms", "to": PHONE, "body": f"{branch} 您好", **extra}


async def _send(client, settings, *bodies) -> None:
    h = bearer(settings, "manager", [BRANCH, OTHER])
    for body in bodies:
        r = await client.post("/v1/messages", json=body, headers=h)
        assert r.status_code == 202, r.text


async def _outcomes(ctx) -> dict[str, str]:
    """Branch -> status of its messages after one dispatch pass."""
    await dispatch_due(ctx, NOON)
    return {d["branch_id"]: d["status"] for d in await ctx.db.messages.find({}).to_list(100)}


async def test_a_consultants_opt_out_silences_its_own_branch_only(urls):
    async with notify_running(urls) as (settings, ctx, client):
        r = await client.post("/v1/opt-outs", json={"branch_id": BRANCH, "channel": "sms", "to": "13800138000"},
                              headers=bearer(settings, "consultant", [BRANCH]))
        assert r.status_code == 200, r.text
        assert r.json() == {"branch_id": BRANCH, "channel": "sms", "to": "138****8000", "category": None, "note": None,
                            "status": "opted_out"}, "the echo is masked too (issue 19)"
        await _send(client, settings, sms(BRANCH), sms(OTHER))
        assert await _outcomes(ctx) == {BRANCH: "suppressed", OTHER: "sent"}
        assert [s["branch_id"] for s in await sent_by_console(ctx)] == [OTHER]


async def test_staff_must_name_a_branch_of_theirs(urls):
    async with notify_running(urls) as (settings, ctx, client):
        body = {"channel": "sms", "to": PHONE}
        r = await client.post("/v1/opt-outs", json=body, headers=bearer(settings, "manager", [BRANCH]))
        assert r.status_code == 422, "branch_id is required of staff"
        for role in ("consultant", "manager", "reception", "integrator", "partner", "admin"):
            r = await client.post("/v1/opt-outs", json=body | {"branch_id": OTHER}, headers=bearer(settings, role, [BRANCH]))
            assert r.status_code == 404, (role, r.text)
        r = await client.post("/v1/opt-outs", json=body | {"branch_id": "*"}, headers=bearer(settings, "admin", ["*"]))
        assert r.status_code == 422, "staff do not record group-wide opt-outs"
        assert await ctx.db.optouts.count_documents({}) == 0


async def test_the_unsubscribe_link_stops_the_branch_that_sent_it(urls):
    async with notify_running(urls) as (settings, ctx, client):
        h = bearer(settings, "manager", [BRANCH, OTHER])
        for branch in (BRANCH, OTHER):
            r = await client.post("/v1/contacts", json={"branch_id": branch, "name": "王先生", "phone": PHONE,
                                                        "consent": {"sms": True}}, headers=h)
            assert r.status_code == 200, r.text
        await _send(client, settings, sms(BRANCH, category="marketing"))
        await dispatch_due(ctx, NOON)
        [sent] = await sent_by_console(ctx)
        url = urlparse(sent["body"].split("退订：", 1)[1].strip())
        r = await client.post(f"{url.path}?{url.query}")
        assert r.status_code == 200, r.text
        assert r.json() == {"branch_id": BRANCH, "channel": "sms", "to": "138****8000", "category": "marketing",
                            "note": None, "status": "opted_out"}
        await ctx.db.messages.delete_many({})
        await _send(client, settings, sms(BRANCH, category="marketing", body="新品"), sms(OTHER, category="marketing", body="新品"),
                    sms(BRANCH, body="预约确认"))
        await dispatch_due(ctx, NOON)
        got = sorted((d["branch_id"], d["category"], d["status"]) for d in await ctx.db.messages.find({}).to_list(10))
        assert got == [(OTHER, "marketing", "sent"), (BRANCH, "marketing", "suppressed"), (BRANCH, "transactional", "sent")]


async def test_links_and_opt_outs_from_before_branches_stay_group_wide(urls):
    async with notify_running(urls) as (settings, ctx, client):
        old_link = links.sign(ctx.config.unsubscribe_secret, "sms", PHONE, None)  # a link sent before links named a branch
        r = await client.get("/v1/opt-outs/unsubscribe", params={"token": old_link})
        assert r.status_code == 200 and r.json()["branch_id"] == "*", r.text
        await _send(client, settings, sms(BRANCH), sms(OTHER))
        assert await _outcomes(ctx) == {BRANCH: "suppressed", OTHER: "suppressed"}


async def test_an_opt_out_stored_before_branches_is_kept_group_wide_at_start(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await ctx.db.optouts.insert_one({"_id": "email:a@example.com:marketing", "channel": "email", "to": "a@example.com",
                                         "category": "marketing", "via": "link", "at": NOON})
        await NotifyService(ctx.config).startup(ctx)  # start-up again, as another replica would on this store
        [doc] = await ctx.db.optouts.find({}).to_list(10)
        assert doc["branch_id"] == "*" and doc["to"] == "a@example.com" and "a@example.com" not in doc["_id"]
        listed = await client.get("/v1/opt-outs", headers=bearer(settings, "manager", [BRANCH]))
        assert [i["branch_id"] for i in listed.json()["items"]] == ["*"], "a group-wide opt-out silences this branch too"
        r = await client.request("DELETE", "/v1/opt-outs", json={"branch_id": "*", "channel": "email", "to": "a@example.com",
                                                                 "category": "marketing"},
                                 headers=bearer(settings, "manager", [BRANCH]))
        assert r.status_code == 404, "only a caller of every branch withdraws a group-wide opt-out"
        r = await client.request("DELETE", "/v1/opt-outs", json={"branch_id": "*", "channel": "email", "to": "a@example.com",
                                                                 "category": "marketing"},
                                 headers=bearer(settings, "admin", ["*"]))
        assert r.status_code == 200 and r.json()["status"] == "opted_in"
        assert await ctx.db.optouts.count_documents({}) == 0


async def test_listing_and_withdrawing_are_scoped_to_the_callers_branches(urls):
    async with notify_running(urls) as (settings, ctx, client):
        for branch in (BRANCH, OTHER):
            r = await client.post("/v1/opt-outs", json={"branch_id": branch, "channel": "sms", "to": PHONE, "note": "客户来电要求"},
                                  headers=bearer(settings, "manager", [branch]))
            assert r.status_code == 200, r.text
        mine = bearer(settings, "manager", [BRANCH])
        listed = (await client.get("/v1/opt-outs", headers=mine)).json()
        assert [(i["branch_id"], i["to"], i["note"]) for i in listed["items"]] == [(BRANCH, "138****8000", "客户来电要求")], \
            "masked for managers too (issue 19)"
        assert (await client.get("/v1/opt-outs", params={"branch_id": OTHER}, headers=mine)).status_code == 404
        masked = (await client.get("/v1/opt-outs", params={"branch_id": BRANCH}, headers=bearer(settings, "consultant", [BRANCH]))).json()
        assert [i["to"] for i in masked["items"]] == ["138****8000"], "and for consultants"
        assert len((await client.get("/v1/opt-outs", headers=bearer(settings, "admin", ["*"]))).json()["items"]) == 2

        key = {"channel": "sms", "to": PHONE}
        r = await client.request("DELETE", "/v1/opt-outs", json=key | {"branch_id": OTHER}, headers=mine)
        assert r.status_code == 404
        r = await client.request("DELETE", "/v1/opt-outs", json=key | {"branch_id": BRANCH}, headers=mine)
        assert r.status_code == 200 and r.json()["status"] == "opted_in"
        assert [d["branch_id"] for d in await ctx.db.optouts.find({}).to_list(10)] == [OTHER]
        await _send(client, settings, sms(BRANCH), sms(OTHER))
        assert await _outcomes(ctx) == {BRANCH: "sent", OTHER: "suppressed"}

