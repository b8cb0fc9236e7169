"""Template storage and resolution: branch override -> global -> built-in, locale then zh-CN."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo import ReturnDocument

from crm_shared.ids import utcnow
from crm_notify.templates.defaults import DEFAULTS, VARIABLES
from crm_notify.templates.engine import RenderError, check_syntax, render
from crm_notify.templates.segments import count_segments

COLLECTION = "templates"
FALLBACK_LOCALE = "zh-CN"


@dataclass(frozen=True)
class ResolvedTemplate:
    key: str
    channel: str
    locale: str
    subject: str | None
    body: str
    source: str
    branch_id: str | None = None
    version: int = 0


def template_id(scope: str, key: str, channel: str, locale: str) -> str:
    return f"{scope}:{key}:{channel}:{locale}"


def _resolved(doc: dict) -> ResolvedTemplate:
    return ResolvedTemplate(doc["key"], doc["channel"], doc["locale"], doc.get("subject"), doc["body"],
                            "branch" if doc.get("branch_id") else "global", doc.get("branch_id"), doc.get("version", 0))


async def resolve(db: Any, key: str, channel: str, locale: str, branch_id: str | None) -> ResolvedTemplate | None:
    for loc in dict.fromkeys([locale, FALLBACK_LOCALE]):
        for scope in ([branch_id] if branch_id else []) + ["*"]:
            doc = await db[COLLECTION].find_one({"_id": template_id(scope, key, channel, loc)})
            if doc:
                return _resolved(doc)
        if (key, channel, loc) in DEFAULTS:
            subject, body = DEFAULTS[(key, channel, loc)]
            return ResolvedTemplate(key, channel, loc, subject, body, "builtin")
    return None


def validate(key: str, channel: str, subject: str | None, body: str, signature: str) -> tuple[int | None, list[str]]:
    """Syntax always; variables too when the key is a trigger's (its data is known)."""
    for part in (subject, body):
        if part is not None:
            check_syntax(part)
    if key not in VARIABLES:
        return None, []
    text = render(body, VARIABLES[key])
    if subject is not None:
        render(subject, VARIABLES[key])
    if channel != "sms":
        return None, []
    return count_segments(text, signature).segments, []


async def store(db: Any, key: str, channel: str, locale: str, subject: str | None, body: str,
                branch_id: str | None, who: str) -> dict:
    _id = template_id(branch_id or "*", key, channel, locale)
    return await db[COLLECTION].find_one_and_update(
        {"_id": _id},
        {"$set": {"key": key, "channel": channel, "locale": locale, "subject": subject, "body": body,
                  "branch_id": branch_id, "updated_by": who, "updated_at": utcnow()}, "$inc": {"version": 1}},
        upsert=True, return_document=ReturnDocument.AFTER,
    )


async def listing(db: Any, branch_id: str | None, key: str | None) -> list[ResolvedTemplate]:
    """Built-ins plus stored ones (global and the branch's), stored last so they read as overrides."""
    out = [ResolvedTemplate(k, c, loc, s, b, "builtin") for (k, c, loc), (s, b) in DEFAULTS.items() if key in (None, k)]
    query: dict = {"branch_id": {"$in": [None, branch_id]} if branch_id else None}
    if key:
        query["key"] = key
    out += [_resolved(d) for d in await db[COLLECTION].find(query).sort("_id", 1).to_list(1000)]
    return out


__all__ = ["RenderError", "ResolvedTemplate", "listing", "resolve", "store", "validate"]
