"""The service as deployed: the background dispatcher, documents, and fail-fast provider settings."""

import pytest

from crm_notify.providers.registry import ProviderConfigError
from tests.notify.support import BRANCH, notify_running, sent_by_console
from tests.support.runtime import bearer, eventually


async def test_background_dispatcher_sends_without_being_driven(urls):
    async with notify_running(urls, dispatch_loop=True, dispatch_interval_seconds=0.2) as (settings, ctx, client):
        r = await client.post("/v1/messages", json={"branch_id": BRANCH, "channel": "sms", "to": "+8613800138000", "body": "您好"},
                              headers=bearer(settings, "manager", [BRANCH]))
        assert r.status_code == 202
        assert await eventually(lambda: sent_by_console(ctx))
        got = await eventually(lambda: _status(client, settings, r.json()["id"], "sent"))
        assert got


async def _status(client, settings, mid, want):
    r = await client.get(f"/v1/messages/{mid}", headers=bearer(settings, "manager", [BRANCH]))
    return r.json()["status"] == want


async def test_openapi_and_asyncapi_document_the_contract(urls):
    async with notify_running(urls) as (settings, ctx, client):
        spec = (await client.get("/openapi.json")).json()
        for path in ("/v1/messages", "/v1/messages/{message_id}", "/v1/templates/{key}", "/v1/templates", "/v1/opt-outs",
                     "/v1/campaigns", "/v1/providers/{name}/receipts"):
            assert path in spec["paths"], path
        asyncapi = (await client.get("/asyncapi.json")).json()
        for event in ("notification.sent", "notification.delivered", "notification.failed"):
            assert asyncapi["operations"][event]["action"] == "send", event
        assert "appointment.scheduled" not in asyncapi["channels"]  # what notify consumes is not in its document


async def test_a_typo_in_an_unselected_providers_settings_fails_at_start(urls):
    with pytest.raises(ProviderConfigError, match="twilio"):
        async with notify_running(urls, providers={"twilio": {"acount_sid": "typo"}}):
            pass
