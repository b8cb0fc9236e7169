"""Notify settings (`CRM_NOTIFY_*`): providers per channel, dispatch pacing, policy limits."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_UNSUBSCRIBE_SECRET = "dev-unsubscribe-secret-change-me"


class NotifySettings(BaseSettings):
    """Working local defaults: the console provider for both channels."""

    model_config = SettingsConfigDict(env_prefix="CRM_NOTIFY_", env_nested_delimiter="__", extra="ignore")

    sms_provider: str = Field("console", description="Provider plugin (group crm.notify.providers) for SMS.")
    email_provider: str = Field("console", description="Provider plugin for email.")
    providers: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Settings per provider name, validated by the provider's model at start."
    )
    unsubscribe_secret: str = Field(DEFAULT_UNSUBSCRIBE_SECRET, description="HMAC key of public unsubscribe links.")
    public_base_url: str = Field("http://127.0.0.1:8000", description="Base of links put in messages.")
    sms_signature: str = Field("【售楼处】", max_length=20, description="SMS signature, counted in segments.")
    sms_signatures: dict[str, str] = Field(default_factory=dict, description="Per-branch signature (brand), e.g. {\"sz-bay\": \"【湾区壹号】\"}.")
    sms_max_segments: int = Field(4, ge=1, le=10, description="Longer SMS are refused (PUT warns, send fails).")
    default_locale: str = Field("zh-CN", description="Locale when none is given.")

    dispatch_loop: bool = Field(True, description="Run the background dispatcher (tests drive it explicitly).")
    dispatch_interval_seconds: float = Field(1.0, gt=0)
    dispatch_batch: int = Field(500, ge=1, le=10000, description="Jobs claimed per dispatcher pass.")
    dispatch_concurrency: int = Field(8, ge=1, le=512, description="Jobs in flight per replica.")
    dispatch_lookback_minutes: int = Field(
        2, ge=1, le=60, description="Due minutes re-visited behind the clock: covers writers' clock skew and slow writes.")
    lease_seconds: float = Field(60.0, gt=0, description="A claimed job is another replica's after this.")
    max_attempts: int = Field(5, ge=1, le=50, description="Provider attempts before a job fails.")
    backoff_base_seconds: float = Field(30.0, gt=0)
    backoff_cap_seconds: float = Field(3600.0, gt=0)
    rate_limit_window_seconds: int = Field(3600, ge=60)
    rate_limit_sms: int = Field(10, ge=1, description="SMS per recipient per window.")
    rate_limit_email: int = Field(30, ge=1, description="Emails per recipient per window.")
    duplicate_window_seconds: int = Field(600, ge=0, description="Same text to same recipient inside -> suppressed.")
    birthday_hour: int = Field(10, ge=0, le=23, description="Branch-local hour of birthday greetings.")

    environment: str = Field("development")

    def signature_for(self, branch_id: str | None) -> str:
        return self.sms_signatures.get(branch_id or "", self.sms_signature)

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> "NotifySettings":
        if self.environment == "production" and self.unsubscribe_secret == DEFAULT_UNSUBSCRIBE_SECRET:
            raise ValueError("CRM_NOTIFY_UNSUBSCRIBE_SECRET is the development default; set a real secret")
        return self
