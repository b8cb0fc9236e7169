"""POST /v1/providers/{name}/receipts with our generic body: delivered once every part is, failed at once,
authenticated by the shared token (header or URL query); Twilio's signed form. The providers' own pushes
(Aliyun SmsReport, Tencent status callback): test_sms_providers.py."""

import base64
import hashlib
import hmac
from urllib.parse import urlencode

from crm_shared.ids import utcnow
from crm_notify.dispatch.service import dispatch_due
from crm_notify.templates.defaults import VARIABLES
from tests.notify.fake_sms import RECEIPT_TOKENS, SECRETS, provider_settings
from tests.notify.support import BRANCH, messages, notify_running
from tests.support.runtime import bearer, eventually, stream_messages


TOKEN = {"X-Receipt-Token": RECEIPT_TOKENS["aliyun"]}


async def _sent(client, settings, ctx, name: str = "王先生") -> dict:
    """An appointment reminder sent through Aliyun (the fake); `name` sets its length."""
    body = {"template": "appointment_reminder", "data": VARIABLES["appointment_reminder"] | {"customer_name": name}}
    r = await client.post("/v1/messages", json={"branch_id": BRANCH, "channel": "sms", "to": "+8613800138000", **body},
                          headers=bearer(settings, "manager", [BRANCH]))
    assert r.status_code == 202, r.text
    await dispatch_due(ctx, utcnow())
    return await ctx.db.messages.find_one({"_id": r.json()["id"]})


async def test_multi_part_sms_is_delivered_when_all_parts_are(urls, sms_server):
    async with notify_running(urls, sms_provider="aliyun", providers=provider_settings(sms_server)) as (settings, ctx, client):
        doc = await _sent(client, settings, ctx, "好" * 40)
        assert doc["status"] == "sent" and doc["segments"] == 2
        ref = doc["provider_message_ids"][0]
        url, h = "/v1/providers/aliyun/receipts", TOKEN
        r = await client.post(url, json={"receipts": [{"provider_message_id": ref, "status": "delivered", "part": 1, "parts": 2}]}, headers=h)
        assert r.status_code == 200 and r.json()["results"] == ["partial"]
        r = await client.post(url, json={"receipts": [{"provider_message_id": ref, "status": "delivered", "part": 1, "parts": 2}]}, headers=h)
        assert r.json()["results"] == ["partial"], "a repeated part does not count twice"
        r = await client.post(url, json={"receipts": [{"provider_message_id": ref, "status": "delivered", "part": 2, "parts": 2}]}, headers=h)
        assert r.json()["results"] == ["delivered"]
        got = (await client.get(f"/v1/messages/{doc['_id']}", headers=bearer(settings, "manager", [BRANCH]))).json()
        assert got["status"] == "delivered"
        r = await client.post(url, json={"receipts": [{"provider_message_id": ref, "status": "failed"}]}, headers=h)
        assert r.json()["results"] == ["ignored"], "a final state stays final"
        subject = f"{settings.subject_prefix}.{BRANCH}.notification.delivered"
        assert await eventually(lambda: stream_messages(settings, subject=subject))
        assert len(await stream_messages(settings, subject=subject)) == 1


async def test_failed_receipt_marks_the_message_failed(urls, sms_server):
    async with notify_running(urls, sms_provider="aliyun", providers=provider_settings(sms_server)) as (settings, ctx, client):
        doc = await _sent(client, settings, ctx)
        body = {"receipts": [{"provider_message_id": doc["provider_message_ids"][0], "status": "failed", "error": "DELIVRD? no: UNDELIV"}]}
        r = await client.post("/v1/providers/aliyun/receipts", json=body, params={"token": RECEIPT_TOKENS["aliyun"]})
        assert r.json()["results"] == ["failed"]
        assert (await messages(ctx))[0]["status"] == "failed"


async def test_receipts_need_the_token_and_a_valid_body(urls, sms_server):
    async with notify_running(urls, sms_provider="aliyun", providers=provider_settings(sms_server)) as (settings, ctx, client):
        doc = await _sent(client, settings, ctx)
        good = {"receipts": [{"provider_message_id": doc["provider_message_ids"][0], "status": "delivered"}]}
        assert (await client.post("/v1/providers/aliyun/receipts", json=good)).status_code == 401
        assert (await client.post("/v1/providers/aliyun/receipts", json=good, headers={"X-Receipt-Token": "nope"})).status_code == 401
        assert (await client.post("/v1/providers/aliyun/receipts", json=good, params={"token": "nope"})).status_code == 401
        h = TOKEN
        for bad in ({"receipts": [{"provider_message_id": {"$ne": 1}, "status": "delivered"}]}, {"receipts": []},
                    {"receipts": [{"provider_message_id": "x", "status": "read"}]}, {"other": 1}):
            r = await client.post("/v1/providers/aliyun/receipts", json=bad, headers=h)
            assert r.status_code == 422, (bad, r.text)
        assert (await client.post("/v1/providers/nope/receipts", json=good, headers=h)).status_code == 404
        assert (await messages(ctx))[0]["status"] == "sent"
        r = await client.post("/v1/providers/aliyun/receipts", json={"receipts": [{"provider_message_id": "unknown", "status": "delivered"}]}, headers=h)
        assert r.json()["results"] == ["unknown"]


async def test_twilio_status_callback_with_its_signature(urls, sms_server):
    async with notify_running(urls, sms_provider="twilio", providers=provider_settings(sms_server)) as (settings, ctx, client):
        doc = await _sent(client, settings, ctx)
        form = {"MessageSid": doc["provider_message_ids"][0], "MessageStatus": "delivered", "AccountSid": SECRETS["twilio"][0]}
        callback = "https://crm.test/v1/providers/twilio/receipts"
        headers = {"content-type": "application/x-www-form-urlencoded"}
        for forged in ("forged", "sïgnature"):
            r = await client.post("/v1/providers/twilio/receipts", content=urlencode(form),
                                  headers=headers | {"X-Twilio-Signature": forged.encode("latin-1")})
            assert r.status_code == 401
        signed = callback + "".join(k + form[k] for k in sorted(form))  # Twilio's documented scheme
        sig = base64.b64encode(hmac.new(SECRETS["twilio"][1].encode(), signed.encode(), hashlib.sha1).digest()).decode()
        r = await client.post("/v1/providers/twilio/receipts", content=urlencode(form), headers=headers | {"X-Twilio-Signature": sig})
        assert r.status_code == 200 and r.json()["results"] == ["delivered"]
