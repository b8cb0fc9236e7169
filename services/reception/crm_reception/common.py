"""What every reception module shares: the request context, id/branch field rules, visibility."""

from __future__ import annotations

from datetime import UTC, date, datetime
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Path, Response
from pydantic import AfterValidator, BaseModel

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


def _aware(value: datetime) -> datetime:
    """Naive datetimes are ambiguous across branch time zones: refuse them, store UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp needs a UTC offset (ISO 8601 with offset)")
    if not (2000 <= value.year <= 2200):
        raise ValueError("timestamp out of range")
    return value.astimezone(UTC)


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


def sane_date(value: date, where: str = "date") -> date:
    """Dates outside 2000-2200 are typos, and would overflow branch-time arithmetic."""
    if not (2000 <= value.year <= 2200):
        raise Invalid("the request has invalid fields", errors=[{"loc": ["query", where], "msg": "date out of range"}])
    return value


def visible(doc: dict | None, who: Principal, what: str) -> dict:
    """The document if the caller's branches include it; otherwise 404 (never 403 with data)."""
    if doc is None or not who.sees_branch(doc["branch_id"]):
        raise NotFound(what)
    return doc


def utc(value: datetime) -> datetime:
    """Stores return naive or aware datetimes depending on client options; always hand back aware UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def idempotent(ctx: ServiceContext, who: Principal, key: str | None, body: BaseModel, response: Response,
                     create: Callable[[], Awaitable[BaseModel]]) -> Any:
    """`Idempotency-Key` on creating POSTs (the platform's helper, on this service's database)."""
    return await shared_idempotent(ctx.db, who.sub, key, body, response, create)
