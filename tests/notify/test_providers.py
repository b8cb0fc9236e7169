"""Provider plugins against real servers: SMTP (aiosmtpd); start-up checks of every provider's settings.
Aliyun and Tencent against their fakes: test_sms_providers.py."""

import email
from email import policy as email_policy

import pytest

from crm_shared.ids import utcnow
from crm_notify.dispatch.service import dispatch_due
from crm_notify.providers.registry import ProviderConfigError
from tests.notify.support import BRANCH, messages, notify_running
from tests.support.runtime import bearer


ALIYUN = {"access_key_id": "LTAI5t", "access_key_secret": "s", "sign_name": "售楼处"}
TENCENT = {"secret_id": "AKID", "secret_key": "s", "sdk_app_id": "1400000000", "sign_name": "售楼处"}


async def _post(client, settings, body):
    r = await client.post("/v1/messages", json={"branch_id": BRANCH, **body}, headers=bearer(settings, "manager", [BRANCH]))
    assert r.status_code == 202, r.text
    return r.json()["id"]


async def test_smtp_delivers_a_utf8_email_to_a_real_server(urls, smtp_server):
    box, host, port = smtp_server
    config = {"email_provider": "smtp", "providers": {"smtp": {"host": host, "port": port, "from_address": "crm@sz-bay.test"}}}
    async with notify_running(urls, **config) as (settings, ctx, client):
        mid = await _post(client, settings, {"channel": "email", "to": "wang@example.com", "template": "birthday_greeting",
                                             "data": {"customer_name": "王先生"}})
        assert (await dispatch_due(ctx, utcnow())).outcomes == {"sent": 1}
        [(mail_from, rcpts, raw)] = box.messages
        assert mail_from == "crm@sz-bay.test" and rcpts == ["wang@example.com"]
        parsed = email.message_from_bytes(raw, policy=email_policy.default)
        assert parsed["Subject"] == "生日快乐，王先生"
        assert "祝您生日快乐" in parsed.get_content()
        assert parsed["X-CRM-Message-Id"] == mid
        doc = (await messages(ctx))[0]
        assert doc["provider"] == "smtp" and doc["provider_message_ids"] == [parsed["Message-ID"]]


async def test_smtp_refused_recipient_fails_permanently(urls, smtp_server):
    box, host, port = smtp_server
    box.refuse.add("gone@example.com")
    config = {"email_provider": "smtp", "providers": {"smtp": {"host": host, "port": port}}}
    async with notify_running(urls, **config) as (settings, ctx, client):
        await _post(client, settings, {"channel": "email", "to": "gone@example.com", "body": "hi", "subject": "s"})
        assert (await dispatch_due(ctx, utcnow())).outcomes == {"failed": 1}
        assert "refused" in (await messages(ctx))[0]["error"]


async def test_smtp_server_down_is_transient(urls):
    from crm_shared.stack import free_port
    config = {"email_provider": "smtp", "providers": {"smtp": {"host": "127.0.0.1", "port": free_port(), "timeout_seconds": 2}}}
    async with notify_running(urls, **config) as (settings, ctx, client):
        await _post(client, settings, {"channel": "email", "to": "a@example.com", "body": "hi", "subject": "s"})
        assert (await dispatch_due(ctx, utcnow())).outcomes == {"retry": 1}


@pytest.mark.parametrize(("config", "message"), [
    ({"sms_provider": "carrier-pigeon"}, "unknown notify provider 'carrier-pigeon'"),
    ({"sms_provider": "aliyun", "providers": {"aliyun": {"access_key_id": "x"}}}, "settings are invalid"),
    ({"sms_provider": "aliyun", "providers": {"aliyun": ALIYUN | {"default_template_code": "SMS_1"}}}, "default_template_code"),
    ({"sms_provider": "aliyun", "providers": {"aliyun": ALIYUN | {"endpoint": "https://dysmsapi.aliyuncs.com/v1"}}}, "base URL"),
    ({"sms_provider": "tencent", "providers": {"tencent": TENCENT | {"templates": {"Reminder!": {"id": "1"}}}}}, "template keys"),
    ({"sms_provider": "tencent", "providers": {"tencent": TENCENT | {"templates": {"r": {"id": "1", "params": ["{1}"]}}}}},
     "variable names"),
    ({"sms_provider": "smtp"}, "does not send sms"),
    ({"sms_provider": "twilio", "providers": {"twilio": {"account_sid": "AC", "auth_token": "t"}}}, "from_number"),
])
async def test_unknown_or_misconfigured_provider_fails_at_start(urls, config, message):
    with pytest.raises(ProviderConfigError, match=message):
        async with notify_running(urls, **config):
            pass
