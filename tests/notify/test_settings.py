"""Notify settings come from `CRM_NOTIFY__*` under the root environment: production refuses the
development unsubscribe secret at start (links could be forged); timers follow the settings."""

import pytest

from crm_shared.app import create_app
from crm_shared.config import Settings, service_settings
from crm_shared.ids import utcnow
from crm_shared.plugins import PluginError, ServiceContext
from crm_shared.timers import AGAIN
from crm_notify.dispatch.service import dispatch
from crm_notify.messages.service import plan_many
from crm_notify.plugin import NotifyService
from crm_notify.settings import DEFAULT_UNSUBSCRIBE_SECRET, NotifySettings
from tests.notify.support import BRANCH, notify_running
from tests.notify.test_due_slots import _job

REAL = "k3Yf9-unsubscribe-secret-of-32-bytes-or-more"


def production(**overrides) -> Settings:
    """Root settings with real root secrets, so only notify's own secret is in question."""
    values = dict(environment="production", jwt_secret="j" * 40, phone_hash_key="h" * 40, phone_seal_key="s" * 40)
    return Settings(**(values | overrides))


@pytest.fixture(autouse=True)
def _no_notify_env(monkeypatch):
    monkeypatch.delenv("CRM_ENVIRONMENT", raising=False)
    monkeypatch.delenv("CRM_NOTIFY__UNSUBSCRIBE_SECRET", raising=False)


def test_production_refuses_the_default_unsubscribe_secret_at_start():
    with pytest.raises(PluginError, match="CRM_NOTIFY__UNSUBSCRIBE_SECRET is the development default"):
        create_app([NotifyService()], production())
    with pytest.raises(PluginError, match="CRM_NOTIFY__UNSUBSCRIBE_SECRET is the development default"):
        create_app([NotifyService(NotifySettings(unsubscribe_secret=DEFAULT_UNSUBSCRIBE_SECRET))], production())


def test_production_refuses_a_short_unsubscribe_secret(monkeypatch):
    monkeypatch.setenv("CRM_NOTIFY__UNSUBSCRIBE_SECRET", "short-but-not-default")
    with pytest.raises(PluginError, match="CRM_NOTIFY__UNSUBSCRIBE_SECRET must be at least 32 bytes"):
        create_app([NotifyService()], production())


def test_production_starts_with_a_real_secret(monkeypatch):
    # (the console provider and a loopback base URL are production refusals of their own:
    # tests/notify/test_production_defaults.py)
    deployed = dict(console_allowed_in_production=["sms", "email"], public_base_url="https://crm.example.cn")
    app = create_app([NotifyService(NotifySettings(unsubscribe_secret=REAL, **deployed))], production())
    assert [p.name for p in app.state.plugins] == ["notify"]
    monkeypatch.setenv("CRM_NOTIFY__UNSUBSCRIBE_SECRET", REAL)
    monkeypatch.setenv("CRM_NOTIFY__CONSOLE_ALLOWED_IN_PRODUCTION", '["sms", "email"]')
    monkeypatch.setenv("CRM_NOTIFY__PUBLIC_BASE_URL", "https://crm.example.cn")
    create_app([NotifyService()], production())


def test_the_environment_is_the_root_one_not_a_notify_variable(monkeypatch):
    """The shipped defect: CRM_NOTIFY_ENVIRONMENT was read, CRM_ENVIRONMENT=production was not."""
    monkeypatch.setenv("CRM_NOTIFY_ENVIRONMENT", "development")
    monkeypatch.setenv("CRM_NOTIFY__ENVIRONMENT", "development")
    config = service_settings(NotifySettings, "notify", production(), NotifySettings(
        unsubscribe_secret=REAL, console_allowed_in_production=["sms", "email"], public_base_url="https://crm.example.cn"))
    assert config.environment == "production"
    with pytest.raises(ValueError, match="CRM_NOTIFY__UNSUBSCRIBE_SECRET"):
        service_settings(NotifySettings, "notify", production())


def test_nested_and_json_provider_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("CRM_NOTIFY__SMS_PROVIDER", "aliyun")
    monkeypatch.setenv("CRM_NOTIFY__PROVIDERS__ALIYUN__ACCESS_KEY_ID", "id-1")
    monkeypatch.setenv("CRM_NOTIFY__DISPATCH_BATCH", "50")
    config = service_settings(NotifySettings, "notify", Settings(environment="test", default_timezone="Asia/Urumqi"))
    assert (config.sms_provider, config.providers, config.dispatch_batch) == ("aliyun", {"aliyun": {"access_key_id": "id-1"}}, 50)
    assert config.default_timezone == "Asia/Urumqi"
    monkeypatch.delenv("CRM_NOTIFY__PROVIDERS__ALIYUN__ACCESS_KEY_ID")
    monkeypatch.setenv("CRM_NOTIFY__PROVIDERS", '{"smtp": {"host": "mail", "port": 587}}')
    config = service_settings(NotifySettings, "notify", Settings(environment="test"))
    assert config.providers == {"smtp": {"host": "mail", "port": 587}}
    monkeypatch.setenv("CRM_NOTIFY__DISPATCH_BATCH", "0")
    with pytest.raises(ValueError, match="CRM_NOTIFY__DISPATCH_BATCH"):
        service_settings(NotifySettings, "notify", Settings(environment="test"))


def _context(**config) -> ServiceContext:
    settings = Settings(environment="test")
    loaded = service_settings(NotifySettings, "notify", settings, NotifySettings(**config))
    return ServiceContext("notify", settings, db=None, js=None, relay=None, config=loaded)  # type: ignore[arg-type]


def test_timers_are_declared_from_the_settings():
    timers = {t.name: t for t in NotifyService().timers(_context(dispatch_interval_seconds=0.5, birthday_check_seconds=30))}
    assert set(timers) == {"dispatch", "birthdays", "janitor"}
    assert (timers["dispatch"].every, timers["dispatch"].leased) == (0.5, False), "every replica dispatches"
    assert (timers["birthdays"].every, timers["birthdays"].leased) == (30, True)
    assert (timers["janitor"].every, timers["janitor"].leased) == (3600, True)
    assert NotifyService().timers(_context(dispatch_loop=False)) == []


async def test_a_dispatch_pass_that_stops_at_its_batch_asks_to_run_again(urls):
    async with notify_running(urls, dispatch_batch=2) as (settings, ctx, client):
        now = utcnow()
        await plan_many(ctx, [_job(i, now, now) for i in range(3)])
        assert await dispatch(ctx, now) is AGAIN
        assert await dispatch(ctx, now) == {"sent": 1}
        assert await dispatch(ctx, now) is None, "an idle pass reports nothing (and is not logged)"
        assert {d["branch_id"] for d in await ctx.db.messages.find().to_list(10)} == {BRANCH}
