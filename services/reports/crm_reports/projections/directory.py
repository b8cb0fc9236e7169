"""Branches (time zone, settings, name) and staff (names, roles, e-mails) from their events,
into the generation's copy of the shared directory (crm_shared.directory: the newer event wins)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pydantic import ValidationError

from crm_shared.events import Envelope
from crm_shared.events.leads import BranchConfigured, StaffJoined, StaffLeft

if TYPE_CHECKING:
    from crm_reports.projections.window import Window

log = logging.getLogger("crm.reports.directory")


async def on_directory_event(w: Window, env: Envelope, data: BranchConfigured | StaffJoined | StaffLeft) -> None:
    """Recorded at once: the window's later events of this branch use its new time zone.

    A `branch.configured` whose settings do not validate is left out, live and in a replay
    alike (retrying cannot help, and one such event must not stop every future rebuild).
    """
    try:
        await w.directory.record(env, data)
    except ValidationError as exc:
        log.warning("branch settings do not validate; event left out", extra={"event_id": env.id, "error": str(exc)[:500]})
        return
    if isinstance(data, BranchConfigured):
        w.branches[data.branch_id] = await w.directory.branch(data.branch_id)
