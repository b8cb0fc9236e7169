"""Lines of the 一览表 lists and the latest state of archives, next to the day counters.

- **Rows** (`<gen>_rows`): one document per listed event (a cancellation, a unit change, an
  approved price), `_id = "<branch>:<YYYY-MM-DD>:<kind>:<event id>"` on the branch-local date, so a
  redelivery writes the same document again and a report reads one branch's dates as an `_id` range;
  and one per complaint deadline (`deadline`: `<complaint>:<report|handling>` on the date it falls,
  `missed` once overdue), so a period's complaints due and overdue are counted once each.
- **Facts** (`<gen>_facts`): the latest state of an archive (tier, category, frozen) and its latest
  evaluation grade, by "newer event wins" (crm_shared.directory.newer_wins), in any order of arrival.
- **Units** in `<gen>_names` (`unit:<id>`: project, building, unit number, product type, list price),
  so lists name a unit by its number and a unit change knows the old unit's product type.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from pymongo.errors import DuplicateKeyError

from crm_shared.directory import newer_wins
from crm_shared.events import Envelope
from crm_reports.privacy import scrubbed

if TYPE_CHECKING:
    from crm_reports.generations import Generation


def row_id(branch_id: str, day: date, kind: str, event_id: str) -> str:
    return f"{branch_id}:{day.isoformat()}:{kind}:{event_id}"


async def upsert(col: Any, _id: str, fields: dict[str, Any]) -> None:
    """Write a document by `_id` (the same fields again on a redelivery)."""
    update = {"$set": fields}
    try:
        await col.update_one({"_id": _id}, update, upsert=True)
    except DuplicateKeyError:  # written concurrently (a replica): now it exists
        await col.update_one({"_id": _id}, update)


async def put_row(g: Generation, env: Envelope, day: date, kind: str, fields: dict[str, Any]) -> None:
    """One line of a list, on the branch-local date of the event (`at`: its time, the line's order)."""
    fields = await scrubbed(g.db, fields)  # an erased customer's name never comes back (crm_reports.privacy)
    await upsert(g.col("rows"), row_id(env.branch_id, day, kind, env.id),
                 {"branch_id": env.branch_id, "date": day.isoformat(), "kind": kind, "at": env.time, **fields})


async def put_deadline(g: Generation, branch_id: str, day: date, complaint_id: str, deadline: str, due_at: Any,
                       fields: dict[str, Any]) -> None:
    """A complaint's deadline on the branch-local date it falls: one line per complaint, deadline kind and date, however
    many events name it (`missed` is only ever set, so any order of arrival gives the same line)."""
    await upsert(g.col("rows"), row_id(branch_id, day, "deadline", f"{complaint_id}:{deadline}"),
                 {"branch_id": branch_id, "date": day.isoformat(), "kind": "deadline", "at": due_at,
                  "complaint_id": complaint_id, "deadline": deadline, **fields})


async def rows_between(g: Generation, branch_id: str, start: date, end: date, kind: str) -> list[dict[str, Any]]:
    """One branch's rows of a kind over [start, end], in date and event order."""
    ids = {"$gte": f"{branch_id}:{start.isoformat()}:", "$lt": f"{branch_id}:{end.isoformat()};"}
    docs = await g.col("rows").find({"_id": ids}).to_list(length=None)
    return sorted((d for d in docs if d.get("kind") == kind), key=lambda d: (d["date"], d["at"], d["_id"]))


async def put_fact(g: Generation, _id: str, at: Any, fields: dict[str, Any]) -> None:
    await newer_wins(g.col("facts"), _id, at, fields)


async def facts_of(g: Generation, branch_id: str, kind: str) -> list[dict[str, Any]]:
    return await g.col("facts").find({"branch_id": branch_id, "kind": kind}).to_list(length=None)


async def fact(g: Generation, _id: str) -> dict[str, Any] | None:
    return await g.col("facts").find_one({"_id": _id})


async def put_unit(g: Generation, branch_id: str, unit_id: str, fields: dict[str, Any]) -> None:
    """What a unit is called and what it is; fields an event leaves out keep what an earlier one said."""
    await upsert(g.names, f"unit:{unit_id}", {"branch_id": branch_id, **{k: v for k, v in fields.items() if v is not None}})


async def units(g: Generation, ids: list[str]) -> dict[str, dict[str, Any]]:
    wanted = sorted({f"unit:{i}" for i in ids if i})
    if not wanted:
        return {}
    return {d["_id"].split(":", 1)[1]: d for d in await g.names.find({"_id": {"$in": wanted}}).to_list(length=None)}
