"""Routes: POST /v1/messages (202), GET /v1/messages/{id}, GET /v1/messages, POST /v1/messages/{id}/cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from crm_shared.aggregates import hidden
from crm_shared.errors import Conflict, Invalid, NotFound
from crm_shared.events import BRANCH_ID_PATTERN
from crm_shared.http.auth import CurrentPrincipal, Principal, Role
from crm_shared.http.concurrency import idempotency_key, idempotent
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext
from crm_notify.access import READERS, REVEAL, SENDERS, allow
from crm_notify.dispatch.render import render_message
from crm_notify.messages import service
from crm_notify.messages.models import Accepted, MessageIn, MessageOut, Status, recipient_filter
from crm_notify.runtime import Ctx
from crm_notify.templates.engine import RenderError
from crm_notify.triggers.freezes import PERSON, person_of

router = APIRouter(tags=["messages"])


async def _message(ctx: ServiceContext, message_id: str, who: Principal, roles: tuple[Role, ...]) -> dict:
    """The message if it is in the caller's branches (else 404), and the caller's role may do this (else 403)."""
    doc = await ctx.aggregate(service.MESSAGES).find_one({"_id": message_id})
    if doc is None:
        raise NotFound("message")
    allow(who, doc["branch_id"], roles, "message")
    return doc


@router.post("/v1/messages", status_code=202, response_model=Accepted, summary="Send or schedule one message",
             responses={422: {"description": "Invalid recipient, unknown template, missing variable, SMS too long"}})
async def send_message(
    body: MessageIn, ctx: Ctx, response: Response, who: CurrentPrincipal,
    key: str | None = Depends(idempotency_key),
) -> Accepted:
    allow(who, body.branch_id, SENDERS)

    async def create() -> Accepted:
        now = utcnow()
        _id = uuid7()
        doc = service.new_message(
            _id=_id, key=f"direct|{_id}", kind="direct", branch_id=body.branch_id, channel=body.channel, to=body.to,
            category=body.category, due_at=body.send_at or now, now=now, template=body.template, data=body.data,
            locale=body.locale, body=body.body, subject=body.subject, created_by=who.sub,
            **{PERSON: person_of(ctx, body.to) if body.channel == "sms" and body.category == "marketing" else None},
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
    return service.public(await _message(ctx, message_id, who, READERS), who.role in REVEAL)


@router.get("/v1/messages", summary="Messages of a branch, by recipient and status")
async def list_messages(
    ctx: Ctx, who: CurrentPrincipal,
    branch_id: Annotated[str, Query(pattern=BRANCH_ID_PATTERN)],
    status: Status | None = None,
    channel: Annotated[str | None, Query(pattern="^(sms|email)$")] = None,
    to: Annotated[str | None, Query(min_length=3, max_length=254)] = None,
    page: PageParams = Depends(page_params),
) -> dict:
    allow(who, branch_id, READERS)
    query: dict = {"branch_id": branch_id}
    if status:
        query["status"] = status
    if channel:
        query["channel"] = channel
    if to:
        query["to"] = recipient_filter(channel, to)
    docs, nxt = await fetch_page(ctx.db[service.MESSAGES], query, page, descending=True, projection=hidden())
    reveal = who.role in REVEAL
    return {"items": [service.public(d, reveal) for d in docs], "next_cursor": nxt}


@router.post("/v1/messages/{message_id}/cancel", response_model=MessageOut, summary="Cancel a message not yet sent",
             responses={409: {"description": "Already sent, failed, cancelled, or being sent right now"}})
async def cancel_message(
    message_id: Annotated[str, Path(max_length=64)], ctx: Ctx, who: CurrentPrincipal,
) -> dict:
    doc = await _message(ctx, message_id, who, SENDERS)
    if not await service.cancel(ctx, [message_id], f"cancelled by {who.sub}"):
        raise Conflict("not-cancellable", f"the message is {doc['status']} and can no longer be cancelled",
                       status_now=doc["status"])
    return service.public(await ctx.aggregate(service.MESSAGES).find_one({"_id": message_id}), who.role in REVEAL)
