"""What every reception module shares: the request context, id/branch field rules, who may
call what, visibility, and the checks that a referenced staff member belongs to the branch."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Response
from pydantic import BaseModel

from crm_shared.errors import Invalid, NotFound
from crm_shared.http.auth import Principal
from crm_shared.http.concurrency import idempotent as shared_idempotent
from crm_shared.plugins import ServiceContext, context_of

SERVICE = "reception"
Ctx = Annotated[ServiceContext, Depends(context_of(SERVICE))]
ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN, description="Object id.")]
BranchPath = Annotated[str, Path(max_length=63, pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="Branch id.")]
ID_FIELD: dict[str, Any] = dict(min_length=1, max_length=64, pattern=ID_PATTERN)
BRANCH_FIELD: dict[str, Any] = dict(max_length=63, pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
MANAGERS = ("manager", "admin")
STAFF = ("consultant", "reception", *MANAGERS)
# Integrations read the calendar and the floor (phones masked); partners see nothing of the office's
# floor: a customer the office booked or met is not theirs to report (issue 14, D2).
READERS = (*STAFF, "integrator")


def visible(doc: dict | None, who: Principal, what: str) -> dict:
    """The document if the caller's branches include it; otherwise 404 (never 403 with data)."""
    if doc is None or not who.sees_branch(doc["branch_id"]):
        raise NotFound(what)
    return doc


def scoped(doc: dict | None, who: Principal, what: str, roles: Sequence[str]) -> dict:
    """The document for a caller of one of `roles`: another branch's object is 404 whatever the
    role (a 403 would confirm it exists), a visible one 403 for any other role."""
    visible(doc, who, what)
    who.require_role(*roles)  # type: ignore[arg-type]
    return doc  # type: ignore[return-value]


async def require_member(ctx: ServiceContext, branch_id: str, staff_id: str, kind: str, loc: list, *,
                         roles: Sequence[str] = ("consultant",), active: bool = True, field: str = "consultant_id") -> dict:
    """The directory's copy of a staff member the request names; 422 `kind` naming the field when the
    id is unknown, of another branch, of another role, or (when `active`) has left."""
    member = await ctx.state.directory.member(staff_id, active_only=active)
    if member is None or member.get("branch_id") != branch_id or member.get("role") not in roles:
        state = "an active" if active else "a"
        raise Invalid(f"not {state} {' or '.join(roles)} of this branch (unknown, left, or not yet known here)",
                      kind=kind, loc=loc, **{field: staff_id})
    return member


def utc(value: datetime) -> datetime:
    """Stores return naive or aware datetimes depending on client options; always hand back aware UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def idempotent(ctx: ServiceContext, who: Principal, key: str | None, body: BaseModel, response: Response,
                     create: Callable[[], Awaitable[BaseModel]]) -> Any:
    """`Idempotency-Key` on creating POSTs (the platform's helper, on this service's database)."""
    return await shared_idempotent(ctx.db, who.sub, key, body, response, create)
