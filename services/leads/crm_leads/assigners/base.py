"""Assignment strategies: entry-point group `crm.leads.assigners`, one base class.

The configured assigner is loaded at start; an unknown or broken one stops start-up
with a message naming it (like pluggy), never at the first registration.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import ClassVar

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from crm_shared.plugins import PluginError, ServiceContext

GROUP = "crm.leads.assigners"
_ACTIVE: dict[str, "Assigner"] = {}


class LeadsSettings(BaseSettings):
    """Settings of the leads service (`CRM_LEADS_*`)."""

    model_config = SettingsConfigDict(env_prefix="CRM_LEADS_", extra="ignore")
    assigner: str = Field("round_robin", description="Entry point in `crm.leads.assigners` choosing owners.")
    timer_interval_seconds: float = Field(60.0, gt=0, description="How often overdue/reclaim/expiry scans run.")
    timers: bool = Field(True, description="Run the periodic scans in this process (under a lease).")


class Assigner:
    """Chooses the owner of a new lead that nobody claimed; None leaves it in the pool."""

    name: ClassVar[str]

    async def choose(self, ctx: ServiceContext, branch_id: str) -> str | None:
        raise NotImplementedError


def load(name: str) -> Assigner:
    eps = {ep.name: ep for ep in entry_points(group=GROUP)}
    if name not in eps:
        raise PluginError(f"unknown lead assigner {name!r}; installed: {', '.join(sorted(eps)) or 'none'}")
    try:
        obj = eps[name].load()
        assigner = obj() if isinstance(obj, type) else obj
    except Exception as exc:
        raise PluginError(f"lead assigner {name!r} failed to load: {type(exc).__name__}: {exc}") from exc
    if not isinstance(assigner, Assigner):
        raise PluginError(f"lead assigner {name!r} is not an Assigner")
    return assigner


def install(ctx: ServiceContext, assigner: Assigner) -> None:
    _ACTIVE[ctx.db.name] = assigner


def active(ctx: ServiceContext) -> Assigner:
    return _ACTIVE[ctx.db.name]
