"""One settings object for every service, read from `CRM_*` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_JWT_SECRET = "dev-secret-change-me"
DEFAULT_PHONE_HASH_KEY = "dev-phone-key-change-me"
DEFAULT_PHONE_SEAL_KEY = "dev-phone-seal-change-me"


class Settings(BaseSettings):
    """Working local defaults; production must override the secrets."""

    model_config = SettingsConfigDict(env_prefix="CRM_", env_nested_delimiter="__", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        "development", description="Where this runs; secrets are checked outside development/test."
    )
    mongo_url: str = Field("mongodb://127.0.0.1:27017/", description="MongoDB (or dev store) URL.")
    nats_url: str = Field("nats://127.0.0.1:4222", description="NATS server URL.")
    db_prefix: str = Field("crm_", description="Prefix of each service's database name (crm_leads, ...).")
    jwt_secret: str = Field(DEFAULT_JWT_SECRET, description="HS256 secret for bearer tokens.")
    jwt_algorithm: Literal["HS256"] = "HS256"
    phone_hash_key: str = Field(DEFAULT_PHONE_HASH_KEY, description="Group key for phone HMAC-SHA256.")
    phone_seal_key: str = Field(
        DEFAULT_PHONE_SEAL_KEY, description="Services' key sealing a full number inside an event (AES-256-GCM), "
        "e.g. a walk-in's phone from reception to leads; integrators without it see only mask and hash.",
    )
    default_region: str = Field("CN", description="Phone region used when a number has no country code.")
    default_timezone: str = Field("Asia/Shanghai", description="Branch timezone when none is set.")

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    services: str = Field("all", description="Comma-separated service plugins to run, or 'all'.")

    stream_name: str = Field("CRM", description="JetStream stream holding every event.")
    subject_prefix: str = Field("crm", description="Events go to <prefix>.<branch>.<type>.")
    stream_replicas: int = Field(1, ge=1, le=5)
    duplicate_window_seconds: int = Field(
        600, ge=1, description="JetStream dedup window; must exceed the relay's retry horizon."
    )
    dead_letter_stream: str = "CRM_DLQ"
    dead_letter_prefix: str = "crmdlq"

    relay_interval_seconds: float = Field(1.0, gt=0, description="Outbox sweep period.")
    relay_lease_seconds: float = Field(30.0, gt=0, description="How long a relay owns a document's events.")

    consumer_max_deliver: int = Field(5, ge=1, description="Deliveries before a message is dead-lettered.")
    consumer_backoff_seconds: list[float] = Field(
        default_factory=lambda: [0.5, 2.0, 5.0, 15.0], description="Nak delays by attempt."
    )
    consumer_ack_wait_seconds: float = Field(30.0, gt=0)

    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> "Settings":
        if self.environment == "production":
            for name, default in (("jwt_secret", DEFAULT_JWT_SECRET), ("phone_hash_key", DEFAULT_PHONE_HASH_KEY),
                                  ("phone_seal_key", DEFAULT_PHONE_SEAL_KEY)):
                if getattr(self, name) == default:
                    raise ValueError(f"CRM_{name.upper()} is the development default; set a real secret in production")
            if len(self.jwt_secret.encode()) < 32:
                raise ValueError("CRM_JWT_SECRET must be at least 32 bytes in production (RFC 7518 3.2)")
        if self.duplicate_window_seconds <= self.relay_lease_seconds:
            raise ValueError("CRM_DUPLICATE_WINDOW_SECONDS must exceed CRM_RELAY_LEASE_SECONDS")
        return self

    def database_name(self, service: str) -> str:
        return f"{self.db_prefix}{service}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
