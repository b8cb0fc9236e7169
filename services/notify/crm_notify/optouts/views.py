"""Routes: POST/DELETE /v1/opt-outs (staff), GET/POST /v1/opt-outs/unsubscribe (public signed link)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm_shared.errors import Forbidden
from crm_shared.http.auth import CurrentPrincipal
from crm_shared.http.problems import Problem
from crm_shared.plugins import ServiceContext
from crm_notify.messages.models import Category, Channel, normalize_recipient
from crm_notify.optouts import links, service
from crm_notify.runtime import Ctx

router = APIRouter(tags=["opt-outs"])


class OptOutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Channel
    to: str = Field(min_length=3, max_length=254)
    category: Category | None = Field(None, description="Omit to stop the whole channel.")

    @model_validator(mode="after")
    def _normalize(self) -> "OptOutIn":
        self.to = normalize_recipient(self.channel, self.to)
        return self


class OptOutOut(BaseModel):
    channel: Channel
    to: str
    category: Category | None
    status: Literal["opted_out", "opted_in"]


@router.post("/v1/opt-outs", response_model=OptOutOut, summary="Record an opt-out (staff on the customer's behalf)")
async def create(body: OptOutIn, ctx: Ctx, who: CurrentPrincipal) -> OptOutOut:
    if who.role == "partner":
        raise Forbidden("partners may not change opt-outs")
    await service.opt_out(ctx.db, body.channel, body.to, body.category, via=f"staff:{who.sub}")
    return OptOutOut(channel=body.channel, to=body.to, category=body.category, status="opted_out")


@router.delete("/v1/opt-outs", response_model=OptOutOut, summary="Withdraw an opt-out")
async def delete(body: OptOutIn, ctx: Ctx, who: CurrentPrincipal) -> OptOutOut:
    if who.role not in ("admin", "manager", "integrator"):
        raise Forbidden("only managers, admins and integrators withdraw opt-outs")
    await service.opt_in(ctx.db, body.channel, body.to, body.category)
    return OptOutOut(channel=body.channel, to=body.to, category=body.category, status="opted_in")


async def _unsubscribe(ctx: ServiceContext, token: str) -> OptOutOut:
    try:
        channel, to, category = links.verify(ctx.config.unsubscribe_secret, token)
    except links.BadToken as exc:
        raise Problem(400, "bad-unsubscribe-token", str(exc)) from None
    await service.opt_out(ctx.db, channel, to, category, via="link")
    return OptOutOut(channel=channel, to=to, category=category, status="opted_out")  # type: ignore[arg-type]


@router.get("/v1/opt-outs/unsubscribe", response_model=OptOutOut, summary="Public one-click unsubscribe (signed link)")
async def unsubscribe_get(ctx: Ctx, token: Annotated[str, Query(min_length=10, max_length=1000)]) -> OptOutOut:
    return await _unsubscribe(ctx, token)


@router.post("/v1/opt-outs/unsubscribe", response_model=OptOutOut, summary="Public unsubscribe (RFC 8058 one-click POST)")
async def unsubscribe_post(ctx: Ctx, token: Annotated[str, Query(min_length=10, max_length=1000)]) -> OptOutOut:
    return await _unsubscribe(ctx, token)
