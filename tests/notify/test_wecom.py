"""WeCom (企业微信) app messages to staff (issue 20): the provider against a local server speaking WeCom's wire
format (tokens shared and renewed, errcodes mapped, the send's answer as the receipt), and notify choosing WeCom
for a member with a userid when the office has a WeCom provider, SMS or email otherwise."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from crm_shared.config import Settings
from crm_shared.events.leads import LeadAssigned, LeadFollowUpOverdue
from crm_shared.ids import utcnow
from crm_shared.stack import free_port
from crm_notify.dispatch.service import dispatch_due
from crm_notify.providers.base import Outgoing, PermanentError, TransientError
from crm_notify.providers.registry import ProviderConfigError, build
from crm_notify.providers.wecom import WeComProvider
from crm_notify.settings import NotifySettings
from tests.notify.fake_wecom import FakeWeComServer, busy
from tests.notify.support import configure_branch, join_staff, messages, notify_running, publish_and_wait, sent_by_console
from tests.notify.test_production_defaults import PUBLIC, notify, production
from tests.support.runtime import bearer, stream_messages


@pytest.fixture
def wecom():
    server = FakeWeComServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def outgoing(to: str = "LiNa", body: str = "李娜，客户王先生已分配给您，请及时跟进。") -> Outgoing:
    return Outgoing(message_id=f"m-{to}", channel="wecom", to=to, body=body)


async def provider_for(server: FakeWeComServer, **settings) -> WeComProvider:
    provider = WeComProvider(WeComProvider.Settings.model_validate(server.settings(**settings)), None)
    await provider.start()
    return provider


# -- the provider against the fake ---------------------------------------------------------------------------------

async def test_one_token_fetch_serves_many_concurrent_sends(wecom):
    wecom.token_delay = 0.3  # every send is waiting while the one fetch is under way
    provider = await provider_for(wecom)
    try:
        results = await asyncio.gather(*(provider.send(outgoing(f"user{i}")) for i in range(20)))
    finally:
        await provider.close()
    assert wecom.token_requests == 1
    assert sorted(s["touser"] for s in wecom.sends) == sorted(f"user{i}" for i in range(20))
    assert all(r.provider_message_ids[0].startswith("msg-") for r in results)
    sent = wecom.sends[0]
    assert (sent["msgtype"], sent["agentid"], sent["safe"], sent["enable_duplicate_check"]) == ("text", 1000002, 0, 1)
    assert sent["text"]["content"] == "李娜，客户王先生已分配给您，请及时跟进。"


async def test_the_token_is_renewed_before_it_runs_out(wecom):
    wecom.expires_in = 2
    provider = await provider_for(wecom, token_margin_seconds=1)
    try:
        await provider.send(outgoing())
        await provider.send(outgoing())
        assert wecom.token_requests == 1, "still fresh: the cached token"
        await asyncio.sleep(1.2)  # past expires_in - margin, before expires_in
        await provider.send(outgoing())
    finally:
        await provider.close()
    assert wecom.token_requests == 2
    assert [a["errcode"] for a in wecom.answers] == [0, 0, 0], "renewed before WeCom had to refuse it"


@pytest.mark.parametrize(("refuse", "code"), [("expire_tokens", 42001), ("forget_tokens", 40014)])
async def test_a_refused_token_is_renewed_once_and_the_send_retried(wecom, refuse, code):
    provider = await provider_for(wecom)
    try:
        await provider.send(outgoing())
        getattr(wecom, refuse)()
        result = await provider.send(outgoing())
    finally:
        await provider.close()
    assert [a["errcode"] for a in wecom.answers] == [0, code, 0]
    assert wecom.token_requests == 2 and result.provider_message_ids == [wecom.answers[-1]["msgid"]]


async def test_concurrent_sends_refused_for_one_token_share_one_renewal(wecom):
    provider = await provider_for(wecom)
    try:
        await provider.send(outgoing())
        wecom.expire_tokens()
        wecom.token_delay = 0.2
        await asyncio.gather(*(provider.send(outgoing(f"user{i}")) for i in range(10)))
    finally:
        await provider.close()
    assert wecom.token_requests == 2
    assert len(wecom.sends) == 11


async def test_a_fresh_token_refused_too_is_transient_after_exactly_one_retry(wecom):
    wecom.expires_in = 0  # every token is already expired when it arrives
    provider = await provider_for(wecom)
    try:
        with pytest.raises(TransientError, match="42001"):
            await provider.send(outgoing())
    finally:
        await provider.close()
    assert [a["errcode"] for a in wecom.answers] == [42001, 42001]
    assert wecom.token_requests == 2 and wecom.sends == []


@pytest.mark.parametrize("answer", [busy(-1), busy(45009, "api freq out of limit"), busy(45033, "api concurrent out of limit")])
async def test_busy_and_rate_limit_codes_are_transient(wecom, answer):
    wecom.script = [answer]
    provider = await provider_for(wecom)
    try:
        with pytest.raises(TransientError, match=f"wecom {answer['errcode']}"):
            await provider.send(outgoing())
        assert (await provider.send(outgoing())).provider_message_ids, "the next attempt goes through"
    finally:
        await provider.close()


async def test_the_answer_is_the_receipt_an_unknown_or_unlicensed_member_is_a_permanent_failure(wecom):
    wecom.members, wecom.unlicensed = {"LiNa", "Wang"}, {"Wang"}
    provider = await provider_for(wecom)
    try:
        with pytest.raises(PermanentError, match="wecom 81013: userid 'Nobody' is not a member of the corp"):
            await provider.send(outgoing("Nobody"))
        with pytest.raises(PermanentError, match="userid 'Wang' has no active WeCom interface licence"):
            await provider.send(outgoing("Wang"))
        assert (await provider.send(outgoing("LiNa"))).provider_message_ids
    finally:
        await provider.close()
    assert [s["touser"] for s in wecom.sends] == ["LiNa"]
    assert not provider.check_receipt_auth({"x-receipt-token": ""}, "", b""), "WeCom posts no receipts"


async def test_invaliduser_listed_with_errcode_0_is_a_failure_too(wecom):
    wecom.script = [{"errcode": 0, "errmsg": "ok", "invaliduser": "Gone|Other", "invalidparty": "", "invalidtag": "",
                     "unlicenseduser": "", "msgid": "msg-1", "response_code": ""}]
    provider = await provider_for(wecom)
    try:
        with pytest.raises(PermanentError, match="userid 'Gone' is not a member"):
            await provider.send(outgoing("Gone"))
    finally:
        await provider.close()


async def test_a_wrong_secret_is_permanent_and_an_unreachable_server_transient(wecom):
    provider = await provider_for(wecom, secret="wrong")
    try:
        with pytest.raises(PermanentError, match="gettoken 40001: check corp_id and the app's secret"):
            await provider.send(outgoing())
    finally:
        await provider.close()
    provider = WeComProvider(WeComProvider.Settings(corp_id="ww1", agent_id=1, secret="top-secret-value",
                                                    base_url=f"http://127.0.0.1:{free_port()}", timeout_seconds=2), None)
    await provider.start()
    try:
        with pytest.raises(TransientError, match="ConnectError") as caught:
            await provider.send(outgoing())
        assert "top-secret-value" not in str(caught.value), "the URL (secret, token) never enters an error"
    finally:
        await provider.close()


# -- settings and start-up -----------------------------------------------------------------------------------------

@pytest.mark.unit
def test_production_refuses_wecom_on_console_and_leaves_an_unset_wecom_alone():
    chosen = dict(public_base_url=PUBLIC, sms_provider="aliyun", email_provider="smtp")
    assert notify(production(), **chosen).wecom_provider is None, "no WeCom: not a refusal"
    with pytest.raises(ValueError, match="CRM_NOTIFY__WECOM_PROVIDER is the console provider") as caught:
        notify(production(), wecom_provider="console", **chosen)
    assert "SMS_PROVIDER" not in str(caught.value) and "EMAIL_PROVIDER" not in str(caught.value)
    assert notify(production(), wecom_provider="console", console_allowed_in_production=["wecom"], **chosen)
    assert notify(production(), wecom_provider="wecom", **chosen).chosen_providers() == {
        "sms": "aliyun", "email": "smtp", "wecom": "wecom"}
    assert notify(Settings(environment="test")).chosen_providers() == {"sms": "console", "email": "console"}
    assert NotifySettings().rate_limit("wecom") == 30 and NotifySettings(rate_limit_wecom=5).rate_limit("wecom") == 5


async def test_start_builds_wecom_only_when_chosen_and_fails_on_bad_settings(wecom):
    built = await build(NotifySettings(), None)
    assert set(built) == {"sms", "email"}
    built = await build(NotifySettings(wecom_provider="wecom", providers={"wecom": wecom.settings()}), None)
    assert set(built) == {"sms", "email", "wecom"} and built["wecom"].name == "wecom"
    await built["wecom"].close()
    with pytest.raises(ProviderConfigError, match="'wecom' settings are invalid"):
        await build(NotifySettings(wecom_provider="wecom", providers={"wecom": {"corp_id": "ww1"}}), None)
    with pytest.raises(ProviderConfigError, match="'smtp' does not send wecom"):
        await build(NotifySettings(wecom_provider="smtp"), None)


# -- notify choosing WeCom for staff -------------------------------------------------------------------------------

async def _team(settings, ctx):
    await configure_branch(settings, ctx)
    await join_staff(settings, ctx, "c1", name="李娜", phone="+8613900139000", wecom_user_id="LiNa")
    await join_staff(settings, ctx, "c2", name="王强", phone="+8613900139001")


async def test_a_lead_assigned_reaches_wecom_for_a_member_with_a_userid_and_sms_for_one_without(urls, wecom):
    async with notify_running(urls, wecom_provider="wecom", providers={"wecom": wecom.settings()}) as (settings, ctx, client):
        await _team(settings, ctx)
        for owner in ("c1", "c2"):
            await publish_and_wait(settings, ctx, LeadAssigned(lead_id=f"l-{owner}", owner_id=owner, reason="manual",
                                                               customer_name="王先生"))
        report = await dispatch_due(ctx, utcnow())
        assert report.outcomes == {"sent": 2}
        [to_wecom] = await messages(ctx, channel="wecom")
        assert (to_wecom["to"], to_wecom["status"], to_wecom["provider"]) == ("LiNa", "sent", "wecom")
        assert to_wecom["provider_message_ids"] == [wecom.answers[0]["msgid"]]
        assert [(s["touser"], s["text"]["content"]) for s in wecom.sends] == [
            ("LiNa", "李娜，客户王先生已分配给您（经理分配），请及时跟进。")], "the SMS text, without the SMS signature"
        [sms] = await sent_by_console(ctx)
        assert (sms["channel"], sms["to"], sms["body"]) == (
            "sms", "+8613900139001", "【售楼处】王强，客户王先生已分配给您（经理分配），请及时跟进。")

        listed = await client.get("/v1/messages", params={"branch_id": "sz-bay", "channel": "wecom"},
                                  headers=bearer(settings, "manager", ["sz-bay"]))
        assert listed.status_code == 200 and [m["channel"] for m in listed.json()["items"]] == ["wecom"]
        one = await client.get(f"/v1/messages/{to_wecom['_id']}", headers=bearer(settings, "manager", ["sz-bay"]))
        assert one.status_code == 200 and one.json()["channel"] == "wecom" and one.json()["to"] != "LiNa"
        events = [m for m in await stream_messages(settings) if b'"notification.sent"' in m.data and b'"wecom"' in m.data]
        assert len(events) == 1


async def test_without_a_wecom_provider_a_member_with_a_userid_gets_sms_as_before(urls):
    async with notify_running(urls) as (settings, ctx, client):
        await _team(settings, ctx)
        await publish_and_wait(settings, ctx, LeadAssigned(lead_id="l1", owner_id="c1", reason="manual"))
        await dispatch_due(ctx, utcnow())
        [sent] = await sent_by_console(ctx)
        assert (sent["channel"], sent["to"]) == ("sms", "+8613900139000")


async def test_transient_wecom_answers_are_retried_by_the_dispatcher_and_an_unknown_member_fails(urls, wecom):
    wecom.members = {"LiNa"}
    async with notify_running(urls, wecom_provider="wecom", providers={"wecom": wecom.settings()}) as (settings, ctx, client):
        await _team(settings, ctx)
        await join_staff(settings, ctx, "m1", role="manager", name="张经理", email="zhang@sz-bay.test",
                         wecom_user_id="ZhangJL")  # not a member of the corp: WeCom says 81013
        wecom.script = [busy(-1), busy(45033, "api concurrent out of limit")]
        await publish_and_wait(settings, ctx, LeadAssigned(lead_id="l1", owner_id="c1", reason="manual"))
        now = utcnow()
        assert (await dispatch_due(ctx, now)).outcomes == {"retry": 1}
        [doc] = await messages(ctx, channel="wecom")
        assert (doc["status"], doc["attempts"]) == ("queued", 1) and "wecom -1" in doc["error"]
        later = doc["due_at"] + timedelta(seconds=1)
        assert (await dispatch_due(ctx, later)).outcomes == {"retry": 1}
        [doc] = await messages(ctx, channel="wecom")
        assert (await dispatch_due(ctx, doc["due_at"] + timedelta(seconds=1))).outcomes == {"sent": 1}
        [doc] = await messages(ctx, channel="wecom")
        assert (doc["status"], doc["attempts"], doc["error"]) == ("sent", 3, None)

        due = utcnow() - timedelta(days=3)
        await publish_and_wait(settings, ctx, LeadFollowUpOverdue(lead_id="l1", owner_id="c1", due_at=due, missed_count=2))
        report = await dispatch_due(ctx, utcnow() + timedelta(seconds=1))
        assert report.outcomes == {"sent": 1, "failed": 1}
        [failed] = await messages(ctx, kind="follow_up_escalation")
        assert (failed["channel"], failed["to"], failed["status"], failed["attempts"]) == ("wecom", "ZhangJL", "failed", 1)
        assert "userid 'ZhangJL' is not a member" in failed["error"]


async def test_a_wecom_message_left_without_its_provider_fails_saying_so(urls, wecom):
    async with notify_running(urls, wecom_provider="wecom", providers={"wecom": wecom.settings()}) as (settings, ctx, client):
        await _team(settings, ctx)
        await publish_and_wait(settings, ctx, LeadAssigned(lead_id="l1", owner_id="c1", reason="manual"))
        await ctx.state.providers.pop("wecom").close()  # as after a restart with CRM_NOTIFY__WECOM_PROVIDER unset
        assert (await dispatch_due(ctx, utcnow())).outcomes == {"failed": 1}
        [doc] = await messages(ctx, channel="wecom")
        assert (doc["status"], doc["error"], doc["attempts"]) == ("failed", "no wecom provider is configured", 0)
        assert wecom.answers == []
