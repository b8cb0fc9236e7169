"""Cursor pagination over time-ordered `_id`s: `?limit=&cursor=` -> {items, next_cursor}."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel

from crm_shared.http.problems import Problem

class PageParams(BaseModel):
    limit: int
    after: str | None


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = base64.b64decode(padded.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Problem(400, "bad-cursor", "the cursor is not one this API issued") from None
    if not value or len(value) > 100:
        raise Problem(400, "bad-cursor", "the cursor is not one this API issued")
    return value


def page_params(
    limit: Annotated[int, Query(ge=1, le=500, description="Page size (max 500).")] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="From a previous `next_cursor`.")] = None,
) -> PageParams:
    return PageParams(limit=limit, after=decode_cursor(cursor) if cursor else None)


async def fetch_page(collection: Any, query: dict, params: PageParams, *, descending: bool = False, projection=None) -> tuple[list[dict], str | None]:
    """One page ordered by `_id`; asks for one extra row to know if there is a next page."""
    q = dict(query)
    if params.after is not None:
        q["_id"] = {"$lt" if descending else "$gt": params.after}
    docs = await collection.find(q, projection=projection).sort("_id", -1 if descending else 1).limit(params.limit + 1).to_list()
    more = len(docs) > params.limit
    docs = docs[: params.limit]
    return docs, (encode_cursor(str(docs[-1]["_id"])) if more and docs else None)
