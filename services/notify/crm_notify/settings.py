"""Notify settings (`CRM_NOTIFY__*`), loaded by the platform at start into `ctx.config`.

Nested values take `__` (`CRM_NOTIFY__PROVIDERS__SMTP__HOST=mail`) or JSON
(`CRM_NOTIFY__PROVIDERS='{"smtp": {"host": "mail"}}'`). `environment` and
`default_timezone` are the root settings' (`CRM_ENVIRONMENT`, `CRM_DEFAULT_TIMEZONE`).
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from crm_shared.config import ServiceSettings, secret

DEFAULT_UNSUBSCRIBE_SECRET = "dev-unsubscribe-secret-change-me"


class NotifySettings(ServiceSettings):
    """Working local defaults: the console provider for SMS and email, no WeCom; production needs a real
    unsubscribe secret (at least 32 bytes) or the service does not start."""

    sms_provider: str = Field("console", title="SMS provider",
                              description="Provider plugin (group crm.notify.providers) that sends SMS.")
    email_provider: str = Field("console", title="Email provider", description="Provider plugin that sends email.")
    wecom_provider: str | None = Field(
        None, title="WeCom provider",
        description="Provider plugin that sends WeCom (企业微信) app messages to staff (`wecom`); unset, staff notices "
        "go by SMS or email. Staff with a WeCom userid get their notices there; customers never.")
    providers: dict[str, dict[str, Any]] = Field(
        default_factory=dict, title="Provider settings",
        description="Settings per provider name, validated by the provider's model at start (even for a provider "
        "not selected, so a typo fails start-up).")
    unsubscribe_secret: str = secret(DEFAULT_UNSUBSCRIBE_SECRET, "HMAC key of public unsubscribe links; whoever knows "
                                     "it can unsubscribe anyone (at least 32 bytes in production).")
    public_base_url: str = Field("http://127.0.0.1:8000", title="Public base URL",
                                 description="Base of the links put in messages (the gateway's public address); "
                                 "production refuses a loopback or unspecified host.")
    console_allowed_in_production: list[str] = Field(
        default_factory=list, title="Console provider allowed in production",
        description="Channels production may leave on the `console` provider (messages are recorded as sent, never "
        "delivered), e.g. [\"email\"] for an office that sends no email; any other channel on `console` stops "
        "start-up in production.")
    sms_signature: str = Field("【售楼处】", max_length=20, title="SMS signature",
                               description="Prefix of every SMS, counted in its segments.")
    sms_signatures: dict[str, str] = Field(default_factory=dict, title="SMS signature per branch",
                                           description="A branch's own brand, e.g. {\"sz-bay\": \"【湾区壹号】\"}.")
    sms_max_segments: int = Field(4, ge=1, le=10, title="SMS maximum segments",
                                  description="Longer SMS are refused (a template PUT warns, a send fails).")
    default_locale: str = Field("zh-CN", title="Default locale", description="Locale of a message that names none.")

    dispatch_loop: bool = Field(True, title="Timers", description="Run the dispatcher, birthday and janitor timers "
                                "(tests turn them off and call the passes themselves).")
    dispatch_interval_seconds: float = Field(1.0, gt=0, title="Dispatch period",
                                             description="Pause between dispatcher passes when nothing woke it.")
    dispatch_batch: int = Field(500, ge=1, le=10000, title="Dispatch batch",
                                description="Jobs claimed per dispatcher pass; a full pass is followed by another at once.")
    dispatch_concurrency: int = Field(8, ge=1, le=512, title="Dispatch concurrency", description="Jobs in flight per replica.")
    dispatch_lookback_minutes: int = Field(
        2, ge=1, le=60, title="Dispatch lookback",
        description="Due minutes re-visited behind the clock: covers writers' clock skew and slow writes.")
    lease_seconds: float = Field(60.0, gt=0, title="Job lease", description="A claimed job is another replica's after this.")
    max_attempts: int = Field(5, ge=1, le=50, title="Maximum attempts", description="Provider attempts before a job fails.")
    backoff_base_seconds: float = Field(30.0, gt=0, title="Backoff base",
                                        description="Delay before the first retry; doubles per attempt, with jitter.")
    backoff_cap_seconds: float = Field(3600.0, gt=0, title="Backoff cap", description="Longest delay between retries.")
    rate_limit_window_seconds: int = Field(3600, ge=60, title="Rate window",
                                           description="Length of the per-recipient fixed rate-limit window.")
    rate_limit_sms: int = Field(10, ge=1, title="SMS rate limit", description="SMS per recipient per window.")
    rate_limit_email: int = Field(30, ge=1, title="Email rate limit", description="Emails per recipient per window.")
    rate_limit_wecom: int = Field(30, ge=1, title="WeCom rate limit",
                                  description="WeCom app messages per staff member per window (WeCom itself allows "
                                  "an app 30 a minute and 1,000 an hour to one member).")
    duplicate_window_seconds: int = Field(600, ge=0, title="Duplicate window",
                                          description="Same text to the same recipient inside it is suppressed (0: off).")
    birthday_hour: int = Field(10, ge=0, le=23, title="Birthday hour", description="Branch-local hour of birthday greetings.")
    birthday_check_seconds: float = Field(60.0, gt=0, title="Birthday check period",
                                          description="How often the birthday timer looks for branches whose greeting hour came.")
    janitor_interval_seconds: float = Field(3600.0, gt=0, title="Janitor period",
                                            description="How often ended rate and duplicate windows are deleted.")

    console_outbox_retention_days: float = Field(
        7, gt=0, title="Console record retention",
        description="What the console provider recorded (development sends) is deleted after this.")
    provider_refs_retention_days: float = Field(
        30, gt=0, title="Provider reference retention",
        description="A provider's message id leads a delivery receipt back to its message this long after the send; "
        "a later receipt is answered `unknown`. Providers report within hours, at most 72 hours.")
    birthday_runs_retention_days: float = Field(
        7, ge=2, title="Birthday run retention",
        description="The record that a branch's greetings of a day were planned; it must outlive the day.")
    appointment_state_retention_days: float = Field(
        30, gt=0, title="Appointment state retention",
        description="What notify remembers of an appointment (newest event, messages planned) is deleted this long "
        "after its start: its reminders are all due before it, and its messages stay.")

    @field_validator("console_allowed_in_production")
    @classmethod
    def _known_channels(cls, value: list[str]) -> list[str]:
        channels = {name.removesuffix("_provider") for name in cls.model_fields if name.endswith("_provider")}
        if unknown := sorted(set(value) - channels):
            raise ValueError(f"unknown channel(s) {', '.join(unknown)}; channels are {', '.join(sorted(channels))}")
        return value

    def chosen_providers(self) -> dict[str, str]:
        """Channel -> provider name, for each channel with a provider (`wecom` only when set)."""
        return {name.removesuffix("_provider"): value for name in type(self).model_fields
                if name.endswith("_provider") and (value := getattr(self, name))}

    def rate_limit(self, channel: str) -> int:
        """Sends per recipient and window on a channel (`rate_limit_sms`, `_email`, `_wecom`)."""
        return getattr(self, f"rate_limit_{channel}")

    def production_refusals(self) -> list[str]:
        """Defaults that would fail silently in production: a channel on the console provider (messages
        "sent" into a collection; an unset `wecom` is no channel, not a refusal) and a loopback public
        base URL (links nobody can open)."""
        refusals = []
        for channel, provider in self.chosen_providers().items():
            if provider == "console" and channel not in self.console_allowed_in_production:
                refusals.append(f"CRM_NOTIFY__{channel.upper()}_PROVIDER is the console provider, which sends "
                                f"nothing; choose a real provider in production, or list {channel!r} in "
                                "CRM_NOTIFY__CONSOLE_ALLOWED_IN_PRODUCTION if the office sends no "
                                f"{channel}")
        if _local_host(self.public_base_url):
            refusals.append(f"CRM_NOTIFY__PUBLIC_BASE_URL is {self.public_base_url!r}, a local address: links in "
                            "messages (unsubscribe) would lead nowhere; set the gateway's public address in production")
        return refusals

    def signature_for(self, branch_id: str | None) -> str:
        return self.sms_signatures.get(branch_id or "", self.sms_signature)


def _local_host(url: str) -> bool:
    """A URL no recipient can open: no host, `localhost`, or a loopback / unspecified address."""
    host = (urlsplit(url.strip()).hostname or "").rstrip(".").lower()
    if not host or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified
