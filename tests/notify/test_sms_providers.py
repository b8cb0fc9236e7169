"""Aliyun and Tencent SMS through their official SDKs against a local fake of each API (it checks the
SDK's ACS3 / TC3 signature and answers with the provider's own JSON), and their receipts pushed back
in each provider's callback format over real HTTP."""

import json
from contextlib import asynccontextmanager

import pytest

from crm_shared.ids import utcnow
from crm_shared.stack import free_port
from crm_notify.dispatch.service import dispatch_due
from crm_notify.plugin import NotifyService
from crm_notify.providers import aliyun, tencent
from crm_notify.providers.base import Outgoing, PermanentError, TransientError
from crm_notify.providers.templated import sms_template_keys
from crm_notify.templates.defaults import VARIABLES
from tests.notify.fake_sms import ANSWERS, RECEIPT_TOKENS, listening, provider_settings
from tests.notify.support import BRANCH, messages, notify_config
from tests.support.runtime import bearer, eventually, isolated_settings, running, stream_messages

PROVIDERS = ["aliyun", "tencent"]
REMINDER = VARIABLES["appointment_reminder"]


@asynccontextmanager
async def sms_notify(urls, sms_server, provider: str, **changes):
    """Notify sending SMS with `provider` pointed at the fake, also listening on a real port for pushes."""
    providers = provider_settings(sms_server)
    providers[provider] |= changes
    settings = isolated_settings(*urls)
    async with running([NotifyService(notify_config(sms_provider=provider, providers=providers))], settings) as (app, client):
        async with listening(app) as base_url:
            yield settings, app.state.contexts["notify"], client, base_url


async def _post(client, settings, template: str | None = "appointment_reminder", **data) -> str:
    body = {"template": template, "data": REMINDER | data} if template else {"body": "您好，欢迎来访。"}
    r = await client.post("/v1/messages", json={"branch_id": BRANCH, "channel": "sms", "to": "+8613800138000", **body},
                          headers=bearer(settings, "manager", [BRANCH]))
    assert r.status_code == 202, r.text
    return r.json()["id"]


async def _sent(client, settings, ctx, **data) -> dict:
    mid = await _post(client, settings, **data)
    assert (await dispatch_due(ctx, utcnow())).outcomes == {"sent": 1}
    return await ctx.db.messages.find_one({"_id": mid})


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_template_goes_through_the_sdk_signed_with_our_message_id(urls, sms_server, provider):
    async with sms_notify(urls, sms_server, provider) as (settings, ctx, client, _):
        doc = await _sent(client, settings, ctx)
        [req] = sms_server.requests
        assert req["signed"], "the fake recomputed the SDK's signature from the provider's documentation"
        p = req["params"]
        if provider == "aliyun":
            assert (p["PhoneNumbers"], p["SignName"], p["TemplateCode"], p["OutId"]) == (
                "13800138000", "售楼处", "SMS_475960123", doc["_id"])
            assert json.loads(p["TemplateParam"]) == {"customer_name": "王先生", "start_local": REMINDER["start_local"]}
        else:
            assert (p["PhoneNumberSet"], p["SignName"], p["TemplateId"], p["SessionContext"], p["SmsSdkAppId"]) == (
                ["+8613800138000"], "售楼处", "2012345", doc["_id"], "1400000000")
            assert p["TemplateParamSet"] == ["王先生", REMINDER["start_local"]], "the template's {1}, {2} order"
        [accepted] = sms_server.accepted[provider]
        assert doc["status"] == "sent" and doc["provider"] == provider
        assert doc["provider_message_ids"] == [accepted["id"]], "Aliyun BizId / Tencent SerialNo"


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("answer", ["throttled", "number_limit", "server_error"])
async def test_throttling_and_server_errors_are_retried(urls, sms_server, provider, answer):
    sms_server.answer(provider, answer)
    async with sms_notify(urls, sms_server, provider) as (settings, ctx, client, _):
        await _post(client, settings)
        assert (await dispatch_due(ctx, utcnow())).outcomes == {"retry": 1}
        [doc] = await messages(ctx)
        assert doc["status"] == "queued" and doc["attempts"] == 1 and doc["error"].startswith(provider)


def _code(provider: str, answer: str) -> str:
    """The error code the fake answers with, as the provider documents it."""
    body = ANSWERS[provider][answer][1]
    if provider == "aliyun":
        return body["Code"]
    reply = body["Response"]
    return reply["Error"]["Code"] if "Error" in reply else reply["SendStatusSet"][0]["Code"]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("answer", ["bad_number", "bad_template", "missing_param"])
async def test_a_bad_number_or_template_fails_at_once(urls, sms_server, provider, answer):
    sms_server.answer(provider, answer)
    async with sms_notify(urls, sms_server, provider) as (settings, ctx, client, _):
        await _post(client, settings)
        assert (await dispatch_due(ctx, utcnow())).outcomes == {"failed": 1}
        [doc] = await messages(ctx)
        assert doc["status"] == "failed" and doc["attempts"] == 1
        assert doc["error"].startswith(f"{provider} {_code(provider, answer)}: ")


@pytest.mark.parametrize(("provider", "field", "code"), [("aliyun", "access_key_secret", "SignatureDoesNotMatch"),
                                                         ("tencent", "secret_key", "AuthFailure.SignatureFailure")])
async def test_a_wrong_secret_is_refused_by_the_provider_and_fails(urls, sms_server, provider, field, code):
    async with sms_notify(urls, sms_server, provider, **{field: "not-the-secret"}) as (settings, ctx, client, _):
        await _post(client, settings)
        assert (await dispatch_due(ctx, utcnow())).outcomes == {"failed": 1}
        assert code in (await messages(ctx))[0]["error"]
        assert [r["signed"] for r in sms_server.requests] == [False]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_the_provider_unreachable_is_transient(urls, sms_server, provider):
    async with sms_notify(urls, sms_server, provider, endpoint=f"http://127.0.0.1:{free_port()}",
                          timeout_seconds=2) as (settings, ctx, client, _):
        await _post(client, settings)
        assert (await dispatch_due(ctx, utcnow())).outcomes == {"retry": 1}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_an_unmapped_template_or_a_literal_body_fails_naming_why_and_sends_nothing(urls, sms_server, provider):
    async with sms_notify(urls, sms_server, provider) as (settings, ctx, client, _):
        unmapped = await _post(client, settings, template="appointment_confirmation")
        literal = await _post(client, settings, template=None)
        assert (await dispatch_due(ctx, utcnow())).outcomes == {"failed": 2}
        docs = {d["_id"]: d for d in await messages(ctx)}
        assert "no approved template for template key 'appointment_confirmation'" in docs[unmapped]["error"]
        assert "approved templates only" in docs[literal]["error"]
        assert sms_server.requests == [], "nothing reached the provider"


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_delivered_and_failed_receipts_in_the_providers_format(urls, sms_server, provider):
    async with sms_notify(urls, sms_server, provider) as (settings, ctx, client, base_url):
        delivered = await _sent(client, settings, ctx)
        failed = await _sent(client, settings, ctx, customer_name="李女士")
        ok_sent, bad_sent = sms_server.accepted[provider]
        reports = [sms_server.report(provider, ok_sent), sms_server.report(provider, bad_sent, delivered=False)]
        r = await sms_server.push(base_url, provider, reports, token=RECEIPT_TOKENS[provider])
        assert r.status_code == 200, r.text
        expected = {"aliyun": {"code": 0, "msg": "接收成功"}, "tencent": {"result": 0, "errmsg": "OK"}}[provider]
        assert r.json() == expected | {"accepted": 2, "results": ["delivered", "failed"]}, "the answer the provider expects"
        docs = {d["_id"]: d for d in await messages(ctx)}
        assert docs[delivered["_id"]]["status"] == "delivered"
        assert docs[failed["_id"]]["status"] == "failed" and "空号" in docs[failed["_id"]]["error"]
        got = await client.get(f"/v1/messages/{delivered['_id']}", headers=bearer(settings, "manager", [BRANCH]))
        assert got.json()["status"] == "delivered"
        subject = f"{settings.subject_prefix}.{BRANCH}.notification.delivered"
        assert await eventually(lambda: stream_messages(settings, subject=subject))
        again = await sms_server.push(base_url, provider, reports[:1], headers={"X-Receipt-Token": RECEIPT_TOKENS[provider]})
        assert again.json()["results"] == ["ignored"], "a repeated push changes nothing; the header token works too"


async def test_an_aliyun_report_of_a_long_sms_stands_for_all_its_parts(urls, sms_server):
    async with sms_notify(urls, sms_server, "aliyun") as (settings, ctx, client, base_url):
        doc = await _sent(client, settings, ctx, customer_name="好" * 80)
        assert doc["segments"] > 1
        report = sms_server.report("aliyun", sms_server.accepted["aliyun"][0], sms_size=doc["segments"])
        r = await sms_server.push(base_url, "aliyun", [report], token=RECEIPT_TOKENS["aliyun"])
        assert r.json()["results"] == ["delivered"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_push_without_the_token_is_401_and_changes_nothing(urls, sms_server, provider):
    async with sms_notify(urls, sms_server, provider) as (settings, ctx, client, base_url):
        doc = await _sent(client, settings, ctx)
        report = [sms_server.report(provider, sms_server.accepted[provider][0])]
        for token, headers in ((None, None), ("wrong", None), (RECEIPT_TOKENS[provider] + "x", None),
                               (None, {"X-Receipt-Token": "wrong"}), (RECEIPT_TOKENS["aliyun" if provider == "tencent" else "tencent"], None)):
            r = await sms_server.push(base_url, provider, report, token=token, headers=headers)
            assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json"), r.text
        assert (await ctx.db.messages.find_one({"_id": doc["_id"]}))["status"] == "sent"


def _malformed(provider: str, good: dict) -> list:
    key = {"aliyun": "biz_id", "tencent": "sid"}[provider]
    status = {"aliyun": ("success", "maybe"), "tencent": ("report_status", "DELIVERED")}[provider]
    return [b"not json", b"[]", b"{}", b'"text"', [{k: v for k, v in good.items() if k != key}],
            [good | {key: {"$ne": 1}}], [good | {status[0]: status[1]}], [good, "not an object"], [good] * 501]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_malformed_pushes_are_422_and_change_nothing(urls, sms_server, provider):
    async with sms_notify(urls, sms_server, provider) as (settings, ctx, client, base_url):
        doc = await _sent(client, settings, ctx)
        good = sms_server.report(provider, sms_server.accepted[provider][0])
        for bad in _malformed(provider, good):
            r = await sms_server.push(base_url, provider, bad, token=RECEIPT_TOKENS[provider])
            assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), (bad, r.text)
        assert (await ctx.db.messages.find_one({"_id": doc["_id"]}))["status"] == "sent"


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_report_of_an_unknown_message_is_acknowledged_and_changes_nothing(urls, sms_server, provider):
    async with sms_notify(urls, sms_server, provider) as (settings, ctx, client, base_url):
        doc = await _sent(client, settings, ctx)
        stranger = {"id": "999999^0" if provider == "aliyun" else "2640:0", "to": "+8613900139000", "out_id": "x"}
        r = await sms_server.push(base_url, provider, [sms_server.report(provider, stranger)], token=RECEIPT_TOKENS[provider])
        assert r.status_code == 200 and r.json()["results"] == ["unknown"], "acknowledged, or the provider pushes it for days"
        assert (await ctx.db.messages.find_one({"_id": doc["_id"]}))["status"] == "sent"


@pytest.mark.unit
@pytest.mark.parametrize(("classify", "code", "status", "transient"), [
    (aliyun.classify, "Throttling.User", 400, True), (aliyun.classify, "isv.BUSINESS_LIMIT_CONTROL", 200, True),
    (aliyun.classify, "InternalError", 500, True), (aliyun.classify, "SomethingNew", 503, True),
    (aliyun.classify, "isv.MOBILE_NUMBER_ILLEGAL", 200, False), (aliyun.classify, "SignatureDoesNotMatch", 400, False),
    (aliyun.classify, "InvalidAccessKeyId.NotFound", 404, False), (aliyun.classify, "isp.RAM_PERMISSION_DENY", 200, False),
    (aliyun.classify, "isv.AMOUNT_NOT_ENOUGH", 200, False),
    (tencent.classify, "LimitExceeded.PhoneNumberDailyLimit", None, True), (tencent.classify, "RequestLimitExceeded", None, True),
    (tencent.classify, "InternalError.Timeout", None, True), (tencent.classify, "ServerNetworkError", None, True),
    (tencent.classify, "AuthFailure.SecretIdNotFound", None, False),
    (tencent.classify, "InvalidParameterValue.IncorrectPhoneNumber", None, False),
    (tencent.classify, "FailedOperation.TemplateIncorrectOrUnapproved", None, False),
])
def test_provider_codes_are_transient_or_permanent(classify, code, status, transient):
    error = classify(code, "m", status) if classify is aliyun.classify else classify(code, "m")
    assert isinstance(error, TransientError if transient else PermanentError) and code in str(error)


@pytest.mark.unit
def test_template_parameters_come_from_the_message_data_in_the_templates_order():
    settings = tencent.TencentSettings(secret_id="i", secret_key="k", sdk_app_id="1", sign_name="售楼处", templates={
        "appointment_reminder": {"id": "2012345", "params": ["start_local", "checklist", "party_size"]}})
    provider = tencent.TencentProvider(settings, db=None)
    message = Outgoing("m", "sms", "+8613800138000", "x", template="appointment_reminder", data=dict(REMINDER))
    template, values = provider.template(message)
    assert template.id == "2012345"
    assert values == [REMINDER["start_local"], "；".join(REMINDER["checklist"]), "2"]
    with pytest.raises(PermanentError, match="takes start_local, checklist, party_size, which the message does not carry"):
        provider.template(Outgoing("m", "sms", "+8613800138000", "x", template="appointment_reminder", data={}))
    assert "appointment_confirmation" in sms_template_keys() and "daily_digest" not in sms_template_keys()


@pytest.mark.unit
async def test_start_warns_of_every_built_in_sms_template_left_unmapped(caplog):
    settings = aliyun.AliyunSettings(access_key_id="LTAI5t", access_key_secret="s", sign_name="售楼处",
                                     templates={"appointment_reminder": {"id": "SMS_1", "params": ["customer_name"]}})
    with caplog.at_level("WARNING", logger="crm.notify.providers"):
        await aliyun.AliyunProvider(settings, db=None).start()
    [record] = [r for r in caplog.records if "without an approved aliyun template" in r.getMessage()]
    assert record.unmapped == sorted(sms_template_keys() - {"appointment_reminder"})
