"""One settings object for every service, read from `CRM_*` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
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
    jwt_max_lifetime_seconds: int = Field(
        7 * 86400, ge=60, description="Tokens whose `exp` lies further ahead than this are refused (401).")
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
    stream_max_age_days: float = Field(
        1095, gt=0, description="How long the event stream keeps an event: what a reports rebuild can replay.")
    stream_max_bytes: int = Field(-1, ge=-1, description="Cap of the event stream on disk, bytes (-1: none).")
    dead_letter_stream: str = "CRM_DLQ"
    dead_letter_prefix: str = "crmdlq"
    dead_letter_max_age_days: float = Field(30, gt=0, description="How long the dead-letter stream keeps a message.")
    dead_letter_max_bytes: int = Field(1 << 30, ge=-1, description="Cap of the dead-letter stream on disk, bytes.")

    relay_interval_seconds: float = Field(1.0, gt=0, description="Outbox sweep period.")
    relay_lease_seconds: float = Field(30.0, gt=0, description="How long a relay owns a document's events.")

    consumer_max_deliver: int = Field(5, ge=1, description="Deliveries before a message is dead-lettered.")
    consumer_backoff_seconds: list[float] = Field(
        default_factory=lambda: [0.5, 2.0, 5.0, 15.0], description="Nak delays by attempt."
    )
    consumer_ack_wait_seconds: float = Field(30.0, gt=0)

    metrics_token: str = Field(
        "", description="Bearer token Prometheus sends to /metrics. Empty: /metrics is open in development "
        "and test, and answers 401 in production.")
    log_level: str = "INFO"
    log_json: bool = True

    cleanup_interval_seconds: float = Field(3600.0, gt=0, description="How often each service deletes expired records.")
    inbox_retention_days: float = Field(
        30, gt=0, description="How long a consumer remembers an event it handled. Redeliveries come within minutes; "
        "a replay of older events (a rebuild) uses its own fresh read models.")
    idempotency_retention_hours: float = Field(48, gt=0, description="How long an Idempotency-Key replays its first answer.")
    dead_letter_retention_days: float = Field(90, gt=0, description="How long dead-letter records are kept for operators.")

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> "Settings":
        if self.environment == "production":
            for name, default in (("jwt_secret", DEFAULT_JWT_SECRET), ("phone_hash_key", DEFAULT_PHONE_HASH_KEY),
                                  ("phone_seal_key", DEFAULT_PHONE_SEAL_KEY)):
                if getattr(self, name) == default:
                    raise ValueError(f"CRM_{name.upper()} is the development default; set a real secret in production")
            for name in ("jwt_secret", "phone_hash_key", "phone_seal_key"):
                if len(getattr(self, name).encode()) < 32:
                    raise ValueError(f"CRM_{name.upper()} must be at least 32 bytes in production")
        if self.duplicate_window_seconds <= self.relay_lease_seconds:
            raise ValueError("CRM_DUPLICATE_WINDOW_SECONDS must exceed CRM_RELAY_LEASE_SECONDS")
        return self

    def database_name(self, service: str) -> str:
        return f"{self.db_prefix}{service}"


def secret(default: str, description: str) -> Any:
    """A setting that must not keep its development default in production (checked at start)."""
    return Field(default, description=description, json_schema_extra={"secret": True})


class ServiceSettings(BaseModel):
    """Base of a service plugin's settings: `CRM_<SERVICE>__<FIELD>` (e.g. `CRM_LEADS__ASSIGNER`).

    `environment` and `default_timezone` are not read for the service: they are the root
    settings' values (`CRM_ENVIRONMENT`, `CRM_DEFAULT_TIMEZONE`), filled in at start.
    Fields made with `secret(...)` are refused in production (by `service_settings`) while they
    hold their default or are shorter than 32 bytes.
    """

    model_config = ConfigDict(extra="forbid")
    environment: Literal["development", "test", "production"] = Field(
        "development", description="Inherited from CRM_ENVIRONMENT.")
    default_timezone: str = Field("Asia/Shanghai", description="Inherited from CRM_DEFAULT_TIMEZONE.")


INHERITED = ("environment", "default_timezone")


def service_settings(model: type[ServiceSettings], service: str, root: Settings,
                     given: ServiceSettings | None = None) -> ServiceSettings:
    """A service's settings: `given` (tests, embedding) or `CRM_<SERVICE>__*` from the environment,
    with the inherited fields taken from the root settings; invalid settings raise ValueError
    naming the variable."""
    prefix = f"CRM_{service.upper()}__"
    inherited = {name: getattr(root, name) for name in INHERITED}
    try:
        if given is not None:
            values = given.model_dump(exclude_unset=True, exclude=set(INHERITED))
            loaded = model.model_validate({**values, **inherited})
        else:
            env_model = type(f"{model.__name__}FromEnv", (BaseSettings, model), {
                "model_config": SettingsConfigDict(env_prefix=prefix, env_nested_delimiter="__", extra="ignore"),
            })
            values = env_model(**inherited).model_dump(exclude_unset=True, exclude=set(INHERITED))
            loaded = model.model_validate({**values, **inherited})
    except ValidationError as exc:
        problems = "; ".join(
            f"{prefix}{'__'.join(str(p) for p in e['loc']).upper() or '*'}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"settings of service {service!r}: {problems}") from None
    if root.environment == "production":
        for name, info in model.model_fields.items():
            if not (info.json_schema_extra or {}).get("secret"):
                continue
            value = str(getattr(loaded, name))
            if value == info.default:
                raise ValueError(f"{prefix}{name.upper()} is the development default; set a real secret in production")
            if len(value.encode()) < 32:
                raise ValueError(f"{prefix}{name.upper()} must be at least 32 bytes in production")
    return loaded


@lru_cache
def get_settings() -> Settings:
    return Settings()
