"""One settings object for every service, read from `CRM_*` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_JWT_SECRET = "dev-secret-change-me"
DEFAULT_PHONE_HASH_KEY = "dev-phone-key-change-me"
DEFAULT_PHONE_SEAL_KEY = "dev-phone-seal-change-me"
ROLES = ("admin", "manager", "consultant", "reception", "finance", "partner", "integrator")


class Settings(BaseSettings):
    """Working local defaults; production must override the secrets."""

    model_config = SettingsConfigDict(env_prefix="CRM_", env_nested_delimiter="__", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        "development", description="Where this runs; secrets are checked outside development/test."
    )
    mongo_url: str = Field("mongodb://127.0.0.1:27017/", description="MongoDB (or dev store) URL.")
    nats_url: str = Field("nats://127.0.0.1:4222", description="NATS server URL.")
    public_nats_url: str = Field(
        "", description="The NATS address integrators connect to (`nats://host:4222` or `tls://host:4222`, no "
        "credentials): the `production` server of the AsyncAPI document. Empty: that server's host is a `{host}` "
        "variable the operator fills in.")
    nats_user: str = Field(
        "", description="User the services connect to NATS as (one services account, listed in the server's "
        "auth_callout.auth_users); with CRM_NATS_PASSWORD. Credentials in CRM_NATS_URL (nats://user:pw@host) work too.")
    nats_password: str = Field("", description="Password of CRM_NATS_USER; at least 32 bytes in production.",
                                json_schema_extra={"secret": True})
    nats_nkey_seed: str = Field("", description="nkey seed (SU...) the services connect with instead of a password.",
                                 json_schema_extra={"secret": True})
    nats_creds: str = Field("", description="Path of a NATS .creds file (decentralised JWT auth) the services connect with.")
    nats_auth_issuer_seed: str = Field(
        "", json_schema_extra={"secret": True}, description="Account nkey seed (SA...) the NATS auth callout signs integrators' users with; the server's "
        "auth_callout.issuer is its public key. Set: `crm serve` runs the callout too (or run `crm nats-auth`).")
    nats_auth_account: str = Field("$G", description="NATS account integrators' users are placed in (where the stream is).")
    nats_auth_consumers: int = Field(
        8, ge=0, le=50, description="Numbered JetStream consumers an integrator may own (<id>-1 ... <id>-N), "
        "besides <id> and <id>-live.")
    db_prefix: str = Field("crm_", description="Prefix of each service's database name (crm_leads, ...).")
    jwt_secret: str = Field(
        DEFAULT_JWT_SECRET, description="HS256 secret of the tokens we mint (development, tests, `crm token`). "
        "Production accepts HS256 only while no JWKS URL is set, and then requires a real secret.")
    jwt_algorithm: Literal["HS256"] = Field(
        "HS256", description="Algorithm of the tokens signed with CRM_JWT_SECRET (always HS256); the identity "
        "provider's algorithms are CRM_JWT_ALGORITHMS.")
    jwt_jwks_url: str = Field(
        "", description="The identity provider's JWKS URL: RS256/ES256 tokens are checked against its keys "
        "(cached, re-fetched on an unknown `kid`). Empty: HS256 only.")
    jwt_algorithms: list[Literal["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]] = Field(
        default_factory=lambda: ["RS256", "ES256"], description="Algorithms accepted from the identity provider.")
    jwt_issuer: str = Field("", description="Required `iss` of identity-provider tokens (required in production with a JWKS URL).")
    jwt_audience: str = Field("", description="Required `aud` of identity-provider tokens (required in production with a JWKS URL).")
    jwt_subject_claim: str = Field(
        "sub", description="Claim holding the caller's CRM id (staff, partner or integrator id) in identity-provider "
        "tokens; a dotted path reaches a nested claim (`crm.staff_id`).")
    jwt_role_claim: str = Field(
        "role", description="Claim holding the role in identity-provider tokens: a string or a list; dotted path "
        "allowed (`realm_access.crm_role`).")
    jwt_branches_claim: str = Field(
        "branches", description="Claim holding the branch ids in identity-provider tokens (a list, or a string "
        "separated by commas or spaces; `*` for all); dotted path allowed.")
    jwt_role_map: dict[str, str] = Field(
        default_factory=dict, description="Identity-provider role names to CRM roles, JSON "
        '(`{"crm-sales": "consultant"}`); empty: the claim holds CRM role names.')
    jwt_jwks_cache_seconds: float = Field(300, gt=0, description="How long fetched JWKS keys are used before a re-fetch.")
    jwt_jwks_refetch_seconds: float = Field(
        5, ge=0, description="Least time between two JWKS fetches (an unknown `kid`, or a retry after a failed fetch).")
    jwt_jwks_timeout_seconds: float = Field(5, gt=0, description="Timeout of one JWKS fetch.")
    jwt_max_lifetime_seconds: int = Field(
        7 * 86400, ge=60, description="Tokens whose `exp` lies further ahead than this are refused (401).")
    phone_hash_key: str = Field(DEFAULT_PHONE_HASH_KEY, description="Group key for phone HMAC-SHA256.")
    phone_seal_key: str = Field(
        DEFAULT_PHONE_SEAL_KEY, description="Root key of sealed personal data: wraps each customer's data key in "
        "CRM_KEYS_BUCKET (crm_shared.sealing), and opens seals written before per-customer keys (`s1.`).",
    )
    keys_bucket: str = Field(
        "CRM_KEYS", pattern=r"^[A-Za-z0-9_-]{1,64}$", description="JetStream key-value bucket of the per-customer "
        "data keys that seal personal data (wrapped with CRM_PHONE_SEAL_KEY; services only; an erasure purges a key).")
    data_key_cache_seconds: float = Field(
        30.0, ge=0, description="How long a process keeps a customer's data key after reading it (0: never).")
    default_region: str = Field("CN", description="Phone region used when a number has no country code.")
    default_timezone: str = Field("Asia/Shanghai", description="Branch timezone when none is set.")

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    services: str = Field("all", description="Comma-separated service plugins to run, or 'all'.")

    stream_name: str = Field("CRM", description="JetStream stream holding every event.")
    subject_prefix: str = Field("crm", description="Events go to <prefix>.<branch>.<type>.")
    stream_replicas: int = Field(
        1, ge=1, le=5, description="JetStream replicas of the event and dead-letter streams and the key bucket: 3 on a "
        "3-node NATS cluster, so each survives the loss of a node (deploy/README.md).")
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

    shutdown_grace_seconds: float = Field(
        10.0, gt=0, le=300, description="On SIGTERM/SIGINT: how long in-flight HTTP requests, the current consumer "
        "batch and timer pass may take to finish before the rest is cancelled (keep it below the orchestrator's grace "
        "period).")
    start_retry_max_seconds: float = Field(
        30.0, ge=1, le=600, description="Longest pause between two attempts to reach NATS or the store at start "
        "(1, 2, 4 ... up to this); meanwhile /healthz answers and /readyz is 503.")

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
            # With a JWKS URL production accepts no HS256 token, so the shared secret is not a key there.
            keys = ("phone_hash_key", "phone_seal_key") if self.jwt_jwks_url else ("jwt_secret", "phone_hash_key", "phone_seal_key")
            defaults = {"jwt_secret": DEFAULT_JWT_SECRET, "phone_hash_key": DEFAULT_PHONE_HASH_KEY,
                        "phone_seal_key": DEFAULT_PHONE_SEAL_KEY}
            for name in keys:
                if getattr(self, name) == defaults[name]:
                    raise ValueError(f"CRM_{name.upper()} is the development default; set a real secret in production")
            if self.jwt_jwks_url:
                if not self.jwt_jwks_url.startswith("https://"):
                    raise ValueError("CRM_JWT_JWKS_URL must be an https:// URL in production")
                for name in ("jwt_issuer", "jwt_audience"):
                    if not getattr(self, name).strip():
                        raise ValueError(f"CRM_{name.upper()} is required in production with CRM_JWT_JWKS_URL")
            for name in keys:
                if len(getattr(self, name).encode()) < 32:
                    raise ValueError(f"CRM_{name.upper()} must be at least 32 bytes in production")
        if self.jwt_jwks_url and not self.jwt_jwks_url.startswith(("https://", "http://")):
            raise ValueError("CRM_JWT_JWKS_URL must be an http(s) URL")
        if unknown := sorted(set(self.jwt_role_map.values()) - set(ROLES)):
            raise ValueError(f"CRM_JWT_ROLE_MAP maps to unknown roles {unknown}; roles are {', '.join(ROLES)}")
        for name in ("jwt_subject_claim", "jwt_role_claim", "jwt_branches_claim"):
            if not getattr(self, name).strip():
                raise ValueError(f"CRM_{name.upper()} must name a claim")
        if self.environment == "production" and self.nats_password and len(self.nats_password.encode()) < 32:
            raise ValueError("CRM_NATS_PASSWORD must be at least 32 bytes in production")
        if self.public_nats_url and (problem := _nats_address_problem(self.public_nats_url)):
            raise ValueError(f"CRM_PUBLIC_NATS_URL {problem}")
        if self.duplicate_window_seconds <= self.relay_lease_seconds:
            raise ValueError("CRM_DUPLICATE_WINDOW_SECONDS must exceed CRM_RELAY_LEASE_SECONDS")
        return self

    def database_name(self, service: str) -> str:
        return f"{self.db_prefix}{service}"


def _nats_address_problem(url: str) -> str | None:
    """What is wrong with a NATS address shown to integrators, or None."""
    parts = urlsplit(url)
    try:
        parts.port
    except ValueError:
        return "has a bad port"
    if parts.scheme not in ("nats", "tls") or not parts.hostname:
        return "must be a nats://host:port or tls://host:port URL"
    if parts.username is not None or parts.password is not None:
        return "must not hold credentials (integrators connect with their own CRM token)"
    if parts.path not in ("", "/") or parts.query or parts.fragment or "," in parts.netloc:
        return "must be one server's address, nothing more"
    return None


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

    def production_refusals(self) -> list[str]:
        """What production refuses in these settings besides default secrets: one message per
        problem, naming the variable (`CRM_<SERVICE>__<FIELD>`); checked at start by
        `service_settings` when CRM_ENVIRONMENT=production."""
        return []


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
        if refusals := loaded.production_refusals():
            raise ValueError("; ".join(refusals))
    return loaded


@lru_cache
def get_settings() -> Settings:
    return Settings()
