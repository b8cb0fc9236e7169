"""Notify's defaults that would fail silently in production are refused at start: a channel left on
the `console` provider (messages marked "sent" into a collection) unless the office says it sends
nothing on that channel, and a loopback `public_base_url` (unsubscribe links to localhost)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from crm_shared.app import create_app
from crm_shared.config import Settings, service_settings
from crm_shared.plugins import PluginError
from crm_shared.stack import free_port
from crm_notify.plugin import NotifyService
from crm_notify.settings import NotifySettings

REAL = "k3Yf9-unsubscribe-secret-of-32-bytes-or-more"
PUBLIC = "https://crm.example-group.cn"


def production() -> Settings:
    return Settings(environment="production", jwt_secret="j" * 40, phone_hash_key="h" * 40, phone_seal_key="s" * 40)


def notify(root: Settings, **values) -> NotifySettings:
    return service_settings(NotifySettings, "notify", root, NotifySettings(**({"unsubscribe_secret": REAL} | values)))


@pytest.fixture(autouse=True)
def _no_notify_env(monkeypatch):
    for name in [n for n in os.environ if n.startswith("CRM_NOTIFY__") or n == "CRM_ENVIRONMENT"]:
        monkeypatch.delenv(name)


@pytest.mark.unit
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_production_refuses_a_channel_on_the_console_provider_naming_it(channel):
    other = "email" if channel == "sms" else "sms"
    with pytest.raises(ValueError, match=f"CRM_NOTIFY__{channel.upper()}_PROVIDER is the console provider") as caught:
        notify(production(), public_base_url=PUBLIC, console_allowed_in_production=[other])
    assert "CRM_NOTIFY__CONSOLE_ALLOWED_IN_PRODUCTION" in str(caught.value)
    assert f"{other.upper()}_PROVIDER" not in str(caught.value)


@pytest.mark.unit
def test_both_channels_on_console_are_both_named():
    with pytest.raises(ValueError) as caught:
        notify(production(), public_base_url=PUBLIC)
    assert "CRM_NOTIFY__SMS_PROVIDER" in str(caught.value) and "CRM_NOTIFY__EMAIL_PROVIDER" in str(caught.value)


@pytest.mark.unit
def test_a_real_provider_or_an_explicit_allowance_starts():
    assert notify(production(), public_base_url=PUBLIC, sms_provider="aliyun", email_provider="smtp").sms_provider == "aliyun"
    allowed = notify(production(), public_base_url=PUBLIC, sms_provider="aliyun", console_allowed_in_production=["email"])
    assert allowed.email_provider == "console"


@pytest.mark.unit
@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:8000", "https://LOCALHOST/",
                                 "http://crm.localhost", "http://[::1]:8000", "http://0.0.0.0:8000", "http://127.8.0.1",
                                 "not a url"])
def test_production_refuses_a_local_public_base_url(url):
    with pytest.raises(ValueError, match="CRM_NOTIFY__PUBLIC_BASE_URL .* a local address"):
        notify(production(), public_base_url=url, console_allowed_in_production=["sms", "email"])


@pytest.mark.unit
@pytest.mark.parametrize("url", [PUBLIC, "http://10.0.8.20:8080", "https://crm.local-office.cn/base"])
def test_a_reachable_public_base_url_is_taken(url):
    assert notify(production(), public_base_url=url, console_allowed_in_production=["sms", "email"]).public_base_url == url


@pytest.mark.unit
def test_development_and_test_keep_the_working_defaults():
    for environment in ("development", "test"):
        config = notify(Settings(environment=environment))
        assert (config.sms_provider, config.email_provider, config.public_base_url) == (
            "console", "console", "http://127.0.0.1:8000")


@pytest.mark.unit
def test_an_unknown_channel_in_the_allowance_is_a_settings_error(monkeypatch):
    monkeypatch.setenv("CRM_NOTIFY__CONSOLE_ALLOWED_IN_PRODUCTION", '["sms", "fax"]')
    with pytest.raises(ValueError, match="CRM_NOTIFY__CONSOLE_ALLOWED_IN_PRODUCTION: .*unknown channel.*fax"):
        service_settings(NotifySettings, "notify", Settings(environment="test"))


@pytest.mark.unit
def test_the_default_secret_is_named_before_the_other_refusals():
    with pytest.raises(ValueError, match="CRM_NOTIFY__UNSUBSCRIBE_SECRET is the development default"):
        service_settings(NotifySettings, "notify", production())


@pytest.mark.unit
def test_create_app_refuses_before_any_connection(monkeypatch):
    monkeypatch.setenv("CRM_NOTIFY__UNSUBSCRIBE_SECRET", REAL)
    monkeypatch.setenv("CRM_NOTIFY__PUBLIC_BASE_URL", PUBLIC)
    with pytest.raises(PluginError, match="CRM_NOTIFY__SMS_PROVIDER"):
        create_app([NotifyService()], production())
    monkeypatch.setenv("CRM_NOTIFY__CONSOLE_ALLOWED_IN_PRODUCTION", '["sms", "email"]')
    monkeypatch.setenv("CRM_NOTIFY__PUBLIC_BASE_URL", "http://127.0.0.1:8000")
    with pytest.raises(PluginError, match="CRM_NOTIFY__PUBLIC_BASE_URL"):
        create_app([NotifyService()], production())


BASE = {"CRM_ENVIRONMENT": "production", "CRM_JWT_SECRET": "j" * 40, "CRM_PHONE_HASH_KEY": "h" * 40,
        "CRM_PHONE_SEAL_KEY": "s" * 40, "CRM_NOTIFY__UNSUBSCRIBE_SECRET": REAL}


@pytest.mark.parametrize(("extra", "named"), [
    ({"CRM_NOTIFY__PUBLIC_BASE_URL": PUBLIC, "CRM_NOTIFY__SMS_PROVIDER": "aliyun"}, "CRM_NOTIFY__EMAIL_PROVIDER"),
    ({"CRM_NOTIFY__PUBLIC_BASE_URL": PUBLIC, "CRM_NOTIFY__CONSOLE_ALLOWED_IN_PRODUCTION": '["email"]'},
     "CRM_NOTIFY__SMS_PROVIDER"),
    ({"CRM_NOTIFY__CONSOLE_ALLOWED_IN_PRODUCTION": '["sms", "email"]'}, "CRM_NOTIFY__PUBLIC_BASE_URL"),
])
def test_crm_serve_exits_2_naming_the_setting_with_the_servers_down(extra, named):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")} | BASE | extra | {
        "CRM_NATS_URL": f"nats://127.0.0.1:{free_port()}", "CRM_MONGO_URL": f"mongodb://127.0.0.1:{free_port()}/"}
    crm = os.path.join(os.path.dirname(sys.executable), "crm")
    done = subprocess.run([crm, "serve", "--services", "notify", "--port", str(free_port())], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr + done.stdout
    assert named in done.stderr and "Traceback" not in done.stderr + done.stdout
    assert len(done.stderr.strip().splitlines()) == 1
