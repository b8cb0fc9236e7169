"""Console settings (`CRM_CONSOLE_*`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_CONSOLE_", extra="ignore")

    api_url: str = Field(
        "", description="Base URL of the services' public API (a gateway in one-process-per-service mode). "
        "Empty: call the services running in this same process, in-process, without a network hop.",
    )
    identity: Literal["dev", "proxy"] = Field(
        "dev", description="`dev`: pick a branch and a person, the console mints the token (refused in production). "
        "`proxy`: an identity-aware proxy in front of the console (oauth2-proxy, an API gateway) signs the user in "
        "with the identity provider and passes the access token in `Authorization: Bearer` or "
        "`X-Forwarded-Access-Token`; the console forwards it to the API as is.",
    )
    default_locale: Literal["zh-CN", "en"] = "zh-CN"
    session_hours: int = Field(12, ge=1, le=72, description="Lifetime of a dev sign-in.")
    refresh_seconds: float = Field(3.0, gt=0, description="How often live panels (the rotation board) refresh.")


def settings_of(request) -> ConsoleSettings:
    """The running console plugin's settings (read from the environment on first use)."""
    cached = getattr(request.app.state, "console_settings", None)
    if cached is None:
        plugin = next((p for p in request.app.state.plugins if p.name == "console"), None)
        cached = (plugin.config if plugin is not None and plugin.config is not None else None) or ConsoleSettings()
        request.app.state.console_settings = cached
    return cached
