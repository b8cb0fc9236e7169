"""How the services connect to NATS: with their own credentials, never anonymously.

One services account for every service (`CRM_NATS_USER` + `CRM_NATS_PASSWORD`, or an nkey seed
`CRM_NATS_NKEY_SEED`, or a `.creds` file `CRM_NATS_CREDS`; credentials written into
`CRM_NATS_URL` as `nats://user:password@host:4222` work too). The server lists that user among
the auth callout's `auth_users`: it is the only one that may publish on `crm.>` and use the
streams' admin API. Everybody else goes through the auth callout (`crm_shared.nats_auth`).

`broker_options` is what the FastStream broker connects with; it also names, in the AsyncAPI
document, the two ways in: an integrator's CRM token, and the services' credentials.
"""

from __future__ import annotations

from typing import Any

from urllib.parse import unquote, urlsplit, urlunsplit

from faststream.nats.security import NatsCredentials, NatsNKey, NatsToken, NatsUserPassword

from crm_shared.config import Settings

INTEGRATOR_SCHEME = "crm-integrator-token"
SERVICES_SCHEME = "crm-services"

SCHEMES: dict[str, dict[str, Any]] = {
    INTEGRATOR_SCHEME: {
        "type": "apiKey",
        "in": "password",
        "description": (
            "An integrator's CRM bearer token (role `integrator`), sent as the NATS connect token "
            "(nats.py `token=`, nats CLI `--token`) or as the password with any user name. The CRM's auth "
            "callout verifies it like the HTTP API does and admits a read-only user: subscribe to "
            "`crm.<each of its branches>.>`, JetStream consumers on stream `CRM` named `<id>`, `<id>-live` or "
            "`<id>-1`...`<id>-8` whose filter lies inside those branches (the filter travels in the create "
            "subject), replies only on the inbox prefix `_INBOX_<id>`; no publishing on `crm.>`. The user "
            "expires with the token. Anonymous connections are refused outside development."),
    },
    SERVICES_SCHEME: {
        "type": "userPassword",
        "description": (
            "The services' own credentials (CRM_NATS_USER/CRM_NATS_PASSWORD, CRM_NATS_NKEY_SEED or "
            "CRM_NATS_CREDS): the only clients that may publish events on `crm.>` and manage the streams."),
    },
}


class _Documented:
    """Connects as the services do, and documents both schemes."""

    def get_requirement(self) -> list[dict[str, Any]]:
        return [{INTEGRATOR_SCHEME: []}, {SERVICES_SCHEME: []}]

    def get_schema(self) -> dict[str, dict[str, Any]]:
        return SCHEMES


class _UserPassword(_Documented, NatsUserPassword):
    pass


class _NKey(_Documented, NatsNKey):
    pass


class _Creds(_Documented, NatsCredentials):
    pass


class _Token(_Documented, NatsToken):
    pass


def split_url(url: str) -> tuple[str, str | None, str | None]:
    """`nats://user:pw@host:4222` -> (`nats://host:4222`, user, pw); credentials are never shown
    (the AsyncAPI document lists the server's URL)."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, None, None
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc)), unquote(parts.username), \
        unquote(parts.password) if parts.password is not None else None


def connect_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of `nats.connect` (servers included) for the services' credentials."""
    server, url_user, url_password = split_url(settings.nats_url)
    options: dict[str, Any] = {"servers": server}
    if settings.nats_creds:
        options["user_credentials"] = settings.nats_creds
    elif settings.nats_nkey_seed:
        options["nkeys_seed_str"] = settings.nats_nkey_seed
    elif settings.nats_user or settings.nats_password:
        options.update(user=settings.nats_user or "crm-services", password=settings.nats_password)
    elif url_user is not None and url_password is not None:
        options.update(user=url_user, password=url_password)
    elif url_user is not None:
        options["token"] = url_user
    return options


async def connect(settings: Settings, **kwargs: Any):
    """A NATS connection with the services' credentials."""
    import nats

    return await nats.connect(**{**connect_options(settings), **kwargs})


def broker_options(settings: Settings) -> dict[str, Any]:
    """`NatsBroker(**broker_options(settings))`: the server without credentials, and a security that
    connects with the services' credentials and documents the integrators' scheme too."""
    options = connect_options(settings)
    server = options.pop("servers")
    if "user_credentials" in options:
        security = _Creds(options["user_credentials"])
    elif "nkeys_seed_str" in options:
        security = _NKey.from_seed(options["nkeys_seed_str"])
    elif "token" in options:
        security = _Token(options["token"])
    else:
        security = _UserPassword(options.get("user"), options.get("password"))  # None/None: no credentials
    return {"servers": server, "security": security}
