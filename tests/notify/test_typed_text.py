"""D5 (issue 14): what people type into notify is printable text (NFC, trimmed, not blank, no
control characters) and times are bounded. A NUL in a message body or a campaign name was
stored and sent; `send_at` in year 9999 with an offset was a 500."""

import json

import pytest

from tests.notify.support import BRANCH, notify_running
from tests.support.runtime import bearer

BAD_TEXT = ["a\u0001b", "\u0000", "   ", "\u200b\u200b", "x\u0000y", "\u2028", "\ud800", "a\u001bb", "\u0085"]
BAD_TIMES = ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59+00:00",
             "1999-12-31T23:00:00+00:00", "2030-01-01T00:00:00"]
SMS = {"branch_id": BRANCH, "channel": "sms", "to": "+8613800138000", "body": "您好"}
EMAIL = {"branch_id": BRANCH, "channel": "email", "to": "a@example.com", "body": "您好", "subject": "问候"}
CAMPAIGN = {"branch_id": BRANCH, "template": "holiday_greeting", "data": {"holiday": "春节"},
            "audience": {"to": ["+8613800138000"]}, "send_at": "2030-01-01T00:00:00Z"}
TEMPLATE = {"channel": "email", "subject": "{{ holiday }}快乐", "body": "{{ customer_name }}：\n\n\t{{ holiday }}快乐", "branch_id": BRANCH}
CONTACT = {"branch_id": BRANCH, "name": "王先生", "phone": "+8613800138000"}
OPTOUT = {"branch_id": BRANCH, "channel": "sms", "to": "+8613800138000"}

# (method, path, valid body, how to put a text into it)
TEXT_FIELDS = [
    ("POST", "/v1/messages", SMS, lambda t: SMS | {"body": t}),
    ("POST", "/v1/messages", EMAIL, lambda t: EMAIL | {"subject": t}),
    ("POST", "/v1/messages", EMAIL, lambda t: {k: v for k, v in EMAIL.items() if k not in ("body", "subject")}
     | {"template": "birthday_greeting", "data": {"customer_name": t}}),
    ("POST", "/v1/messages", EMAIL, lambda t: {k: v for k, v in EMAIL.items() if k not in ("body", "subject")}
     | {"template": "holiday_greeting", "data": {"customer_name": "王", "holiday": "春节", "tags": [t]}}),
    ("POST", "/v1/campaigns", CAMPAIGN, lambda t: CAMPAIGN | {"name": t}),
    ("POST", "/v1/campaigns", CAMPAIGN, lambda t: CAMPAIGN | {"data": {"holiday": t}}),
    ("PUT", "/v1/templates/holiday_greeting", TEMPLATE, lambda t: TEMPLATE | {"body": t}),
    ("PUT", "/v1/templates/holiday_greeting", TEMPLATE, lambda t: TEMPLATE | {"subject": t}),
    ("POST", "/v1/contacts", CONTACT, lambda t: CONTACT | {"name": t}),
    ("POST", "/v1/opt-outs", OPTOUT, lambda t: OPTOUT | {"note": t}),
]
STORES = ("messages", "campaigns", "templates", "contacts", "optouts")


def _json(body: dict) -> bytes:
    """JSON with lone surrogates and control characters kept as escapes."""
    return json.dumps(body, ensure_ascii=True).encode()


async def _send(client, method, path, body, headers):
    return await client.request(method, path, content=_json(body), headers=headers | {"content-type": "application/json"})


async def _counts(ctx) -> dict[str, int]:
    return {c: await ctx.db[c].count_documents({}) for c in STORES}


@pytest.mark.parametrize(("method", "path", "valid", "put"), TEXT_FIELDS, ids=[f"{m} {p} #{i}" for i, (m, p, _, _) in enumerate(TEXT_FIELDS)])
async def test_every_typed_field_refuses_unprintable_text(urls, method, path, valid, put):
    async with notify_running(urls) as (settings, ctx, client):
        h = bearer(settings, "admin", ["*"])
        before = await _counts(ctx)
        wrong = []
        for text in BAD_TEXT:
            r = await _send(client, method, path, put(text), h)
            if r.status_code != 422:
                wrong.append((text, r.status_code, r.text[:200]))
        assert not wrong, wrong
        assert await _counts(ctx) == before, "a refused text stores nothing"
        r = await _send(client, method, path, valid, h)
        assert r.status_code < 300, r.text


async def test_text_is_normalised_and_trimmed_and_templates_keep_their_lines(urls):
    async with notify_running(urls) as (settings, ctx, client):
        h = bearer(settings, "admin", ["*"])
        r = await _send(client, "PUT", "/v1/templates/holiday_greeting", TEMPLATE | {"subject": "  Cafe\u0301 "}, h)
        assert r.status_code == 200, r.text
        assert r.json()["subject"] == "Caf\u00e9" and r.json()["body"] == TEMPLATE["body"]
        r = await _send(client, "POST", "/v1/opt-outs", OPTOUT | {"note": " 客户来电 "}, h)
        assert r.status_code == 200 and r.json()["note"] == "客户来电"
        r = await _send(client, "POST", "/v1/messages", SMS | {"body": "第一行\n第二行 "}, h)
        assert r.status_code == 202, r.text
        assert (await ctx.db.messages.find_one({"_id": r.json()["id"]}))["body"] == "第一行\n第二行"


@pytest.mark.parametrize("when", BAD_TIMES)
async def test_times_out_of_bounds_are_422(urls, when):
    async with notify_running(urls) as (settings, ctx, client):
        h = bearer(settings, "admin", ["*"])
        for path, body in (("/v1/messages", SMS | {"send_at": when}), ("/v1/campaigns", CAMPAIGN | {"send_at": when})):
            r = await _send(client, "POST", path, body, h)
            assert r.status_code == 422, (path, r.status_code, r.text)
        assert await _counts(ctx) == dict.fromkeys(STORES, 0)


async def test_a_bounded_send_at_is_stored_in_utc(urls):
    async with notify_running(urls) as (settings, ctx, client):
        r = await _send(client, "POST", "/v1/messages", SMS | {"send_at": "2199-12-31T23:59:00+08:00"}, bearer(settings, "admin", ["*"]))
        assert r.status_code == 202, r.text
        doc = await ctx.db.messages.find_one({"_id": r.json()["id"]})
        assert doc["due_at"].replace(tzinfo=None).isoformat() == "2199-12-31T15:59:00"


@pytest.mark.parametrize("birthday", ["0001-01-01", "9999-12-31", "1899-12-31", "2999-01-01"])
async def test_birthdays_are_bounded(urls, birthday):
    async with notify_running(urls) as (settings, ctx, client):
        r = await _send(client, "POST", "/v1/contacts", CONTACT | {"birthday": birthday}, bearer(settings, "admin", ["*"]))
        assert r.status_code == 422, r.text
        r = await _send(client, "POST", "/v1/contacts", CONTACT | {"birthday": "1950-02-28"}, bearer(settings, "admin", ["*"]))
        assert r.status_code == 200, r.text


async def test_what_a_provider_reports_is_stored_printable(urls):
    from crm_shared.ids import utcnow
    from crm_notify.dispatch.service import dispatch_due

    async with notify_running(urls, providers={"console": {"receipt_token": "rt"}}) as (settings, ctx, client):
        r = await _send(client, "POST", "/v1/messages", SMS, bearer(settings, "admin", ["*"]))
        await dispatch_due(ctx, utcnow())
        [ref] = (await ctx.db.messages.find_one({"_id": r.json()["id"]}))["provider_message_ids"]
        receipt = {"receipts": [{"provider_message_id": ref, "status": "failed", "error": "DELIVRD\u0000\u0007 rejected\n"}]}
        r = await _send(client, "POST", "/v1/providers/console/receipts", receipt, {"X-Receipt-Token": "rt"})
        assert r.status_code == 200 and r.json()["results"] == ["failed"], r.text
        doc = await ctx.db.messages.find_one({})
        assert doc["error"] == "DELIVRD   rejected", "a receipt is kept, its control characters are not"
