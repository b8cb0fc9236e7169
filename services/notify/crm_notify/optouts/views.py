"""Routes: POST/GET/DELETE /v1/opt-outs (staff, per branch), GET/POST /v1/opt-outs/unsubscribe (public signed link)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm_shared.events import BRANCH_ID_PATTERN
from crm_shared.http.auth import CurrentPrincipal
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.http.problems import Problem
from crm_shared.plugins import ServiceContext
from crm_shared.text import Line
from crm_notify.access import OPT_OUT_TAKERS, SENDERS, allow
from crm_notify.messages.models import Category, Channel, normalize_recipient, recipient_filter
from crm_notify.messages.service import shown_recipient
from crm_notify.optouts import links, service
from crm_notify.optouts.links import GROUP_WIDE
from crm_notify.runtime import Ctx

router = APIRouter(tags=["opt-outs"])
SCOPE_PATTERN = r"^(\*|[a-z0-9][a-z0-9-]{0,62})$"


class _Recipient(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Channel
    to: str = Field(min_length=3, max_length=254)
    category: Category | None = Field(None, description="Omit to stop the whole channel.")

    @model_validator(mode="after")
    def _normalize(self) -> "_Recipient":
        self.to = normalize_recipient(self.channel, self.to)
        return self


class OptOutIn(_Recipient):
    """Staff record an opt-out for one of their branches: the customer asked that branch to stop."""

    branch_id: str = Field(pattern=BRANCH_ID_PATTERN, description="The branch whose messages stop.")
    note: Line(200) | None = Field(None, description="Why, as the customer said it.")


class OptOutKey(_Recipient):
    branch_id: str = Field(pattern=SCOPE_PATTERN, description="The branch, or `*` for a group-wide opt-out "
                           "(withdrawn only by a caller of every branch).")


class OptOutOut(BaseModel):
    branch_id: str = Field(description="The branch whose messages stop; `*`: every branch.")
    channel: Channel
    to: str = Field(description="Masked (`138****8000`, `w***@example.com`), even to the caller who typed it.")
    category: Category | None
    note: str | None = None
    status: Literal["opted_out", "opted_in"]


class OptOutItem(BaseModel):
    branch_id: str
    channel: Channel
    to: str = Field(description="Masked for every role; `?to=` finds a number's opt-outs.")
    category: Category | None
    note: str | None
    via: str | None
    at: datetime | None


class OptOutPage(BaseModel):
    items: list[OptOutItem]
    next_cursor: str | None


@router.post("/v1/opt-outs", response_model=OptOutOut, summary="Record an opt-out for a branch (staff on the customer's behalf)")
async def create(body: OptOutIn, ctx: Ctx, who: CurrentPrincipal) -> OptOutOut:
    allow(who, body.branch_id, OPT_OUT_TAKERS)
    await service.opt_out(ctx.db, body.branch_id, body.channel, body.to, body.category, via=f"staff:{who.sub}", note=body.note)
    return OptOutOut(branch_id=body.branch_id, channel=body.channel, to=shown_recipient(body.channel, body.to),
                     category=body.category, note=body.note, status="opted_out")


@router.get("/v1/opt-outs", response_model=OptOutPage, summary="Opt-outs that stop the caller's branches")
async def listing(
    ctx: Ctx, who: CurrentPrincipal,
    branch_id: Annotated[str | None, Query(pattern=BRANCH_ID_PATTERN)] = None,
    channel: Channel | None = None,
    to: Annotated[str | None, Query(min_length=3, max_length=254)] = None,
    page: PageParams = Depends(page_params),
) -> dict:
    """A branch's own opt-outs and the group-wide ones (they stop it too); without `branch_id`, every branch of the caller's."""
    if branch_id:
        allow(who, branch_id, OPT_OUT_TAKERS)
        query: dict = {"branch_id": {"$in": [branch_id, GROUP_WIDE]}}
    else:
        who.require_role(*OPT_OUT_TAKERS)
        query = {} if "*" in who.branches else {"branch_id": {"$in": [*who.branches, GROUP_WIDE]}}
    if channel:
        query["channel"] = channel
    if to:
        query["to"] = recipient_filter(channel, to)
    docs, nxt = await fetch_page(ctx.db[service.OPTOUTS], query, page)
    items = [{"branch_id": d["branch_id"], "channel": d["channel"], "to": shown_recipient(d["channel"], d["to"]),
              "category": d.get("category"), "note": d.get("note"), "via": d.get("via"), "at": d.get("at")} for d in docs]
    return {"items": items, "next_cursor": nxt}


@router.delete("/v1/opt-outs", response_model=OptOutOut, summary="Withdraw an opt-out of a branch (or a group-wide one)")
async def delete(body: OptOutKey, ctx: Ctx, who: CurrentPrincipal) -> OptOutOut:
    allow(who, body.branch_id, SENDERS)
    await service.opt_in(ctx.db, body.branch_id, body.channel, body.to, body.category)
    return OptOutOut(branch_id=body.branch_id, channel=body.channel, to=shown_recipient(body.channel, body.to),
                     category=body.category, status="opted_in")


async def _unsubscribe(ctx: ServiceContext, token: str) -> OptOutOut:
    try:
        link = links.verify(ctx.config.unsubscribe_secret, token)
    except links.BadToken as exc:
        raise Problem(400, "bad-unsubscribe-token", str(exc)) from None
    await service.opt_out(ctx.db, link.branch_id, link.channel, link.to, link.category, via="link")
    return OptOutOut(branch_id=link.branch_id, channel=link.channel, to=shown_recipient(link.channel, link.to),  # type: ignore[arg-type]
                     category=link.category, status="opted_out")


@router.get("/v1/opt-outs/unsubscribe", response_model=OptOutOut, summary="Public one-click unsubscribe (signed link)",
            description="Stops the branch whose message carried the link; a link without a branch (sent before "
                        "links named one) stops every branch.")
async def unsubscribe_get(ctx: Ctx, token: Annotated[str, Query(min_length=10, max_length=1000)]) -> OptOutOut:
    return await _unsubscribe(ctx, token)


@router.post("/v1/opt-outs/unsubscribe", response_model=OptOutOut, summary="Public unsubscribe (RFC 8058 one-click POST)")
async def unsubscribe_post(ctx: Ctx, token: Annotated[str, Query(min_length=10, max_length=1000)]) -> OptOutOut:
    return await _unsubscribe(ctx, token)
