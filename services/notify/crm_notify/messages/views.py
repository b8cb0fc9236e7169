"""Routes: POST /v1/messages (202), GET /v1/messages/{id}, GET /v1/messages, POST /v1/messages/{id}/cancel,
GET /v1/messages/{id}/recipient (the audited reveal) and GET /v1/messages/audit."""

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
from crm_shared import reveals
from crm_shared.text import Line
from crm_notify.access import READERS, REVEAL, SENDERS, allow
from crm_notify.dispatch.render import render_message
from crm_notify.messages import service
from crm_notify.messages.models import Accepted, MessageIn, MessageOut, RecipientOut, Status, recipient_filter
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


@router.get("/v1/messages/audit", summary="Audit of recipient reveals, newest first",
            description="Managers and admins: who saw which message's full recipient, when and why (`{id, branch_id, "
                        "actor_id, actor_name, actor_role, action, object_type, object_id, phone_masked, email_masked, "
                        "reason, at}`, the shape of reception's `GET /v1/appointments/audit`).")
async def list_audit(
    ctx: Ctx, who: CurrentPrincipal, branch_id: Annotated[str, Query(pattern=BRANCH_ID_PATTERN)],
    message_id: Annotated[str | None, Query(max_length=64)] = None, page: PageParams = Depends(page_params),
) -> dict:
    allow(who, branch_id, REVEAL)
    docs, nxt = await fetch_page(ctx.db[reveals.AUDIT], reveals.query(branch_id, "message", message_id), page,
                                 descending=True)
    return {"items": [reveals.public(d) for d in docs], "next_cursor": nxt}


@router.get("/v1/messages/{message_id}", response_model=MessageOut, summary="One message with its status")
async def get_message(message_id: Annotated[str, Path(max_length=64)], ctx: Ctx, who: CurrentPrincipal) -> dict:
    return service.public(await _message(ctx, message_id, who, READERS))


@router.get("/v1/messages/{message_id}/recipient", response_model=RecipientOut,
            summary="Reveal a message's full recipient (audited)",
            description="Managers and admins (every other role 403, integrators too). The audit record (who, when, "
                        "which message, the mask, `?reason=`) is written before the recipient is returned "
                        "(`GET /v1/messages/audit`). 409 `no-full-number` when none is on file.")
async def reveal_recipient(
    message_id: Annotated[str, Path(max_length=64)], ctx: Ctx, who: CurrentPrincipal,
    reason: Annotated[Line(200) | None, Query(description="Why the recipient is needed.")] = None,
) -> RecipientOut:
    doc = await _message(ctx, message_id, who, REVEAL)
    if not doc.get("to"):
        raise Conflict("no-full-number", "no recipient is on file for this message")
    member = await ctx.state.directory.member(who.sub, active_only=False)
    sms = doc["channel"] == "sms"
    await reveals.record(ctx.db, who, branch_id=doc["branch_id"], action="message.recipient.reveal",
                         object_type="message", object_id=doc["_id"], phone=doc["to"] if sms else None,
                         email=None if sms else doc["to"], reason=reason, actor_name=(member or {}).get("name"))
    return RecipientOut(message_id=doc["_id"], channel=doc["channel"], to=doc["to"])


@router.get("/v1/messages", summary="Messages of a branch, by recipient, object and status",
            description="Newest first; `to` masked for every role. `?to=` finds a recipient's messages (the full "
                        "number or address the caller already has), `?entity=` an object's (an appointment's notices).")
async def list_messages(
    ctx: Ctx, who: CurrentPrincipal,
    branch_id: Annotated[str, Query(pattern=BRANCH_ID_PATTERN)],
    status: Status | None = None,
    channel: Annotated[str | None, Query(pattern="^(sms|email|wecom)$")] = None,
    to: Annotated[str | None, Query(min_length=3, max_length=254)] = None,
    entity: Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")] = None,
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
    if entity:
        query["entity"] = entity
    docs, nxt = await fetch_page(ctx.db[service.MESSAGES], query, page, descending=True, projection=hidden())
    return {"items": [service.public(d) for d in docs], "next_cursor": nxt}


@router.post("/v1/messages/{message_id}/cancel", response_model=MessageOut, summary="Cancel a message not yet sent",
             responses={409: {"description": "Already sent, failed, cancelled, or being sent right now"}})
async def cancel_message(
    message_id: Annotated[str, Path(max_length=64)], ctx: Ctx, who: CurrentPrincipal,
) -> dict:
    doc = await _message(ctx, message_id, who, SENDERS)
    if not await service.cancel(ctx, [message_id], f"cancelled by {who.sub}"):
        raise Conflict("not-cancellable", f"the message is {doc['status']} and can no longer be cancelled",
                       status_now=doc["status"])
    return service.public(await ctx.aggregate(service.MESSAGES).find_one({"_id": message_id}))
