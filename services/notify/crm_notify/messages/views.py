"""Routes: POST /v1/messages (202), GET /v1/messages/{id}, GET /v1/messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from crm_shared.aggregates import hidden
from crm_shared.errors import Conflict, Invalid, NotFound
from crm_shared.events import BRANCH_ID_PATTERN
from crm_shared.http.auth import CurrentPrincipal, Principal, require_roles
from crm_shared.http.concurrency import idempotency_key, idempotent
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.ids import utcnow, uuid7
from crm_notify.dispatch.render import render_message
from crm_notify.messages import service
from crm_notify.messages.models import Accepted, MessageIn, MessageOut, Status, normalize_recipient
from crm_notify.runtime import Ctx
from crm_notify.templates.engine import RenderError

router = APIRouter(tags=["messages"])
REVEAL_ROLES = ("admin", "manager", "integrator", "reception")


def _readable(who: Principal) -> None:
    if who.role == "partner":
        raise NotFound("message")


@router.post("/v1/messages", status_code=202, response_model=Accepted, summary="Send or schedule one message",
             responses={422: {"description": "Invalid recipient, unknown template, missing variable, SMS too long"}})
async def send_message(
    body: MessageIn, ctx: Ctx, response: Response,
    who: Principal = require_roles("manager", "admin", "integrator"),
    key: str | None = Depends(idempotency_key),
) -> Accepted:
    who.require_branch(body.branch_id)

    async def create() -> Accepted:
        now = utcnow()
        _id = uuid7()
        doc = service.new_message(
            _id=_id, key=f"direct|{_id}", kind="direct", branch_id=body.branch_id, channel=body.channel, to=body.to,
            category=body.category, due_at=body.send_at or now, now=now, template=body.template, data=body.data,
            locale=body.locale, body=body.body, subject=body.subject, created_by=who.sub,
        )
        try:  # a missing variable or an over-long SMS is the caller's error now, not a failure later
            await render_message(ctx.db, ctx.config, doc, await ctx.state.directory.branch(body.branch_id))
        except RenderError as exc:
            raise Invalid(str(exc), "render-failed", loc=["body", "data"]) from None
        await service.plan(ctx.db, doc)
        return Accepted(id=_id, status=doc["status"])

    out = await idempotent(ctx.db, who.sub, key, body, response, create, status=202)
    ctx.wake("dispatch")
    return out


@router.get("/v1/messages/{message_id}", response_model=MessageOut, summary="One message with its status")
async def get_message(message_id: Annotated[str, Path(max_length=64)], ctx: Ctx, who: CurrentPrincipal) -> dict:
    _readable(who)
    doc = await ctx.aggregate(service.MESSAGES).find_one({"_id": message_id})
    if doc is None or not who.sees_branch(doc["branch_id"]):
        raise NotFound("message")
    return service.public(doc, who.role in REVEAL_ROLES)


@router.get("/v1/messages", summary="Messages of a branch, by recipient and status")
async def list_messages(
    ctx: Ctx, who: CurrentPrincipal,
    branch_id: Annotated[str, Query(pattern=BRANCH_ID_PATTERN)],
    status: Status | None = None,
    channel: Annotated[str | None, Query(pattern="^(sms|email)$")] = None,
    to: Annotated[str | None, Query(min_length=3, max_length=254)] = None,
    page: PageParams = Depends(page_params),
) -> dict:
    _readable(who)
    who.require_branch(branch_id)
    query: dict = {"branch_id": branch_id}
    if status:
        query["status"] = status
    if channel:
        query["channel"] = channel
    if to:
        try:
            query["to"] = normalize_recipient(channel or ("email" if "@" in to else "sms"), to)
        except ValueError as exc:
            raise Invalid(str(exc), loc=["query", "to"]) from None
    docs, nxt = await fetch_page(ctx.db[service.MESSAGES], query, page, descending=True, projection=hidden())
    reveal = who.role in REVEAL_ROLES
    return {"items": [service.public(d, reveal) for d in docs], "next_cursor": nxt}


@router.post("/v1/messages/{message_id}/cancel", response_model=MessageOut, summary="Cancel a message not yet sent",
             responses={409: {"description": "Already sent, failed, cancelled, or being sent right now"}})
async def cancel_message(
    message_id: Annotated[str, Path(max_length=64)], ctx: Ctx,
    who: Principal = require_roles("manager", "admin", "integrator"),
) -> dict:
    doc = await ctx.aggregate(service.MESSAGES).find_one({"_id": message_id})
    if doc is None or not who.sees_branch(doc["branch_id"]):
        raise NotFound("message")
    if not await service.cancel(ctx, [message_id], f"cancelled by {who.sub}"):
        raise Conflict("not-cancellable", f"the message is {doc['status']} and can no longer be cancelled",
                       status_now=doc["status"])
    return service.public(await ctx.aggregate(service.MESSAGES).find_one({"_id": message_id}), who.role in REVEAL_ROLES)
