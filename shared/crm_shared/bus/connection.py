"""How the services connect to NATS: with their own credentials, never anonymously.

One services account for every service (`CRM_NATS_USER` + `CRM_NATS_PASSWORD`, or an nkey seed
`CRM_NATS_NKEY_SEED`, or a `.creds` file `CRM_NATS_CREDS`; credentials written into
`CRM_NATS_URL` as `nats://user:password@host:4222` work too). The server lists that user among
the auth callout's `auth_users`: it is the only one that may publish on `crm.>` and use the
streams' admin API. Everybody else goes through the auth callout (`crm_shared.nats_auth`).

`broker_options` is what the FastStream broker connects with. The AsyncAPI document names both ways
in (an integrator's CRM token, the services' credentials): `crm_shared.asyncapi`.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from faststream.nats.security import NatsCredentials, NatsNKey, NatsToken, NatsUserPassword

from crm_shared.config import Settings


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


async def drain(nc: Any, timeout: float = 5) -> None:
    """Drain `nc` (unsubscribe, finish the messages in hand, close) within `timeout`; a connection that is
    closed, or lost and reconnecting, is closed without draining."""
    try:
        await asyncio.wait_for(nc.drain(), timeout)
    except Exception:  # noqa: BLE001 -- closed or unreachable: close without draining
        with contextlib.suppress(Exception):
            await nc.close()


def broker_options(settings: Settings) -> dict[str, Any]:
    """`NatsBroker(**broker_options(settings))`: the server without credentials, and a security that
    connects with the services' credentials."""
    options = connect_options(settings)
    server = options.pop("servers")
    if "user_credentials" in options:
        security = NatsCredentials(options["user_credentials"])
    elif "nkeys_seed_str" in options:
        security = NatsNKey.from_seed(options["nkeys_seed_str"])
    elif "token" in options:
        security = NatsToken(options["token"])
    else:
        security = NatsUserPassword(options.get("user"), options.get("password"))  # None/None: no credentials
    return {"servers": server, "security": security}
