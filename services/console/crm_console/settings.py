"""Console settings (`CRM_CONSOLE__*`), loaded by the platform at start into `ctx.config`."""

from __future__ import annotations

from typing import Literal

from fastapi import Request
from pydantic import Field

from crm_shared.config import ServiceSettings

SERVICE = "console"


class ConsoleSettings(ServiceSettings):
    """Where the API is, how users sign in, and how screens look; `environment` comes from
    `CRM_ENVIRONMENT` (the dev sign-in is refused in production)."""

    api_url: str = Field(
        "", title="API URL", description="Base URL of the services' public API (a gateway in one-process-per-service "
        "mode). Empty: call the services running in this same process, in-process, without a network hop.",
    )
    identity: Literal["dev", "proxy"] = Field(
        "dev", title="Identity", description="`dev`: pick a branch and a person, the console mints the token (refused "
        "in production). `proxy`: an identity-aware proxy in front of the console (oauth2-proxy, an API gateway) signs "
        "the user in with the identity provider and passes the access token in `Authorization: Bearer` or "
        "`X-Forwarded-Access-Token`; the console checks it as the API does (identity-provider keys and claims, "
        "`CRM_JWT_*`) and forwards it to the API as is.",
    )
    signout_url: str = Field(
        "", title="Sign-out URL", description="`proxy` only: where 退出 sends the user so the proxy ends its session too "
        "(oauth2-proxy: `/oauth2/sign_out`, optionally with `?rd=` the identity provider's logout URL). Empty: the "
        "console's sign-in page.", pattern=r"^(|/[^/\\].*|https://\S+)$",
    )
    default_locale: Literal["zh-CN", "en"] = Field(
        "zh-CN", title="Default language", description="Language of the screens until the user picks one.")
    session_hours: int = Field(12, ge=1, le=72, title="Session hours", description="Lifetime of a dev sign-in.")
    refresh_seconds: float = Field(
        3.0, gt=0, title="Refresh seconds", description="How often live panels (the rotation board) refresh.")


def settings_of(request: Request) -> ConsoleSettings:
    """The running console's settings (its context's `config`)."""
    return request.app.state.contexts[SERVICE].config

