"""Load providers from `crm.notify.providers`: unknown, broken or misconfigured ones fail at start."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from pydantic import ValidationError

from crm_notify.settings import NotifySettings
from crm_notify.providers.base import Provider

GROUP = "crm.notify.providers"


class ProviderConfigError(RuntimeError):
    """A provider is unknown, broken or misconfigured."""


def installed() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def load_class(name: str) -> type[Provider]:
    eps = installed()
    if name not in eps:
        raise ProviderConfigError(
            f"unknown notify provider {name!r}; installed: {', '.join(sorted(eps)) or 'none'}"
        )
    try:
        cls = eps[name].load()
    except Exception as exc:
        raise ProviderConfigError(f"notify provider {name!r} failed to load: {type(exc).__name__}: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise ProviderConfigError(f"notify provider {name!r} ({eps[name].value}) is not a Provider subclass")
    return cls


def check_configured(config: NotifySettings) -> None:
    """Settings given for a provider that is not selected are still checked: typos fail at start."""
    for name, values in config.providers.items():
        cls = load_class(name)
        try:
            cls.Settings.model_validate(values)
        except ValidationError as exc:
            raise ProviderConfigError(f"notify provider {name!r} settings are invalid: {exc}") from exc


async def build(config: NotifySettings, db: Any) -> dict[str, Provider]:
    """One started provider per channel with one (shared when channels name the same one); `wecom` only when set."""
    check_configured(config)
    by_name: dict[str, Provider] = {}
    chosen = config.chosen_providers()
    for channel, name in chosen.items():
        if name not in by_name:
            cls = load_class(name)
            try:
                settings = cls.Settings.model_validate(config.providers.get(name, {}))
            except ValidationError as exc:
                raise ProviderConfigError(f"notify provider {name!r} settings are invalid: {exc}") from exc
            provider = cls(settings, db)
            try:
                await provider.start()
            except Exception as exc:
                raise ProviderConfigError(f"notify provider {name!r} failed to start: {type(exc).__name__}: {exc}") from exc
            by_name[name] = provider
        if channel not in by_name[name].channels:
            raise ProviderConfigError(f"notify provider {name!r} does not send {channel}")
    return {channel: by_name[name] for channel, name in chosen.items()}


async def receipt_provider(config: NotifySettings, name: str, running: dict[str, Provider], db: Any) -> Provider | None:
    """The provider a receipt names: a running one, or a configured one built for parsing only."""
    for provider in running.values():
        if provider.name == name:
            return provider
    if name not in installed() or name not in config.providers:
        return None
    cls = load_class(name)
    return cls(cls.Settings.model_validate(config.providers[name]), db)
