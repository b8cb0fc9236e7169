"""Assignment strategies: entry-point group `crm.leads.assigners`, one base class.

The configured assigner is loaded at start (into `ctx.state`); an unknown or broken one stops
start-up with a message naming it (like pluggy), never at the first registration.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import ClassVar

from crm_shared.plugins import PluginError, ServiceContext

GROUP = "crm.leads.assigners"


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
