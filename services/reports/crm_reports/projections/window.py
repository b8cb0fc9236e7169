"""A window: many events applied to one generation in memory, then written together.

Counters are coalesced per day document (crm_reports.projections.changes) and lead facts per
lead (crm_reports.projections.funnel.Cohorts), so `flush` is one bulk write per collection
whatever the number of events. The live consumer uses one window per batch; a rebuild's
replay keeps one window open over many batches and flushes it every few thousand events.
Events apply in stream order: a branch's time zone changes for the events after its
`branch.configured`, as if they had come one by one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from crm_reports.generations import Generation
from crm_reports.projections.changes import ATTEMPTS, DayChanges
from crm_reports.projections.flow import PROJECTIONS
from crm_reports.projections.funnel import Cohorts, lead_of
from crm_shared.branches import local_date
from crm_shared.directory import BranchFacts
from crm_shared.events import Envelope


class Window:
    """Events applied to generation `g`, not yet written (`fresh`: `g` is a new generation)."""

    def __init__(self, g: Generation, default_timezone: str, fresh: bool = False) -> None:
        self.g = g
        self.directory = g.directory(default_timezone)
        self.branches: dict[str, BranchFacts] = {}
        self.changes = DayChanges(fresh)
        self.cohorts = Cohorts(fresh)
        self.size = 0

    async def apply(self, events: list[tuple[Envelope, Any]]) -> None:
        """Apply events in order: their branches and leads are read once, before the first."""
        await self._read(events)
        for env, data in events:
            for projection in PROJECTIONS.get(type(data), ()):
                await projection(self, env, data)
        self.size += len(events)

    async def _read(self, events: list[tuple[Envelope, Any]]) -> None:
        wanted = sorted({env.branch_id for env, _ in events} - self.branches.keys())
        if wanted:
            docs = {d["_id"]: d for d in await self.directory.branches.find({"_id": {"$in": wanted}}).to_list()}
            self.branches.update({b: self.directory.facts(b, docs.get(b)) for b in wanted})
        await self.cohorts.load(self.g.leads, [i for _, data in events if (i := lead_of(data))])

    def local_day(self, branch_id: str, moment: datetime) -> date:
        """The branch-local date of an instant (the branch's time zone, else the default one)."""
        return local_date(moment, self.branches[branch_id].timezone)

    def count(self, branch_id: str, day: date, token: str, inc: dict[str, float],
              maximum: dict[str, float] | None = None, labels: dict[str, str] | None = None) -> None:
        self.changes.add(branch_id, day, token, inc, maximum, labels)

    async def flush(self) -> None:
        """Write the counters, then the lead facts that caused some of them (see funnel)."""
        for _ in range(ATTEMPTS):
            await self.changes.write(self.g.buckets)
            conflicts = await self.cohorts.write(self.g.leads)
            if not conflicts:
                self.size = 0
                return
            await self.cohorts.reload(self.g.leads, conflicts, self.changes)
        raise RuntimeError(f"leads kept changing under this window: {conflicts[:5]}")

    def forget(self) -> None:
        """Drop the leads read so far (a long replay bounds its memory); only after `flush`."""
        self.cohorts.forget()
