"""A tiny service plugin used to test the platform itself: a real plugin, not a mock.

`accounts` are aggregates with an outbox; `ledger.pinged` events drive a consumer that
counts, fails on demand (poison) and records its attempts.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from crm_shared.aggregates import event as envelope
from crm_shared.bus.consumers import SubscriptionTable
from crm_shared.errors import Conflict, NotFound
from crm_shared.events import EventData, event
from crm_shared.http.auth import CurrentPrincipal, Principal, require_roles
from crm_shared.http.concurrency import IdempotencyStore, idempotency_key, if_match_version
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.ids import uuid7
from crm_shared.plugins import ServiceContext, ServicePlugin, context_of


@event("ledger.pinged", "ledger")
class Pinged(EventData):
    """A test event."""

    key: str
    poison: bool = False


@event("ledger.opened", "ledger")
class Opened(EventData):
    account_id: str
    name: str


class AccountIn(BaseModel):
    branch_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    name: str = Field(min_length=1, max_length=100)
    balance: int = Field(0, ge=0)


class AccountPatch(BaseModel):
    name: str = Field(min_length=1, max_length=100)


Ctx = Annotated[ServiceContext, Depends(context_of("ledger"))]


def _public(doc: dict) -> dict:
    return {k: doc[k] for k in ("branch_id", "name", "balance", "version")} | {"id": doc["_id"]}


class LedgerService(ServicePlugin):
    name = "ledger"
    produces = (Pinged, Opened)
    outbox_collections = ("accounts",)

    def __init__(self) -> None:
        super().__init__()
        self.table = SubscriptionTable()
        self.table.on(Pinged)(self.on_ping)
        self.ctx: ServiceContext | None = None

    async def on_ping(self, ctx: ServiceContext, env, data: Pinged) -> None:
        await ctx.db.attempts.update_one({"_id": data.key}, {"$inc": {"n": 1}}, upsert=True)
        if data.poison:
            raise RuntimeError(f"cannot handle {data.key}")
        await ctx.db.counters.update_one({"_id": data.key}, {"$inc": {"n": 1}}, upsert=True)

    def subscriptions(self) -> list[SubscriptionTable]:
        return [self.table]

    async def startup(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def http_router(self) -> APIRouter:
        router = APIRouter(prefix="/v1/ledger", tags=["ledger"])

        @router.post("/accounts", status_code=201)
        async def open_account(
            body: AccountIn, c: Ctx, response: Response,
            who: Principal = require_roles("manager", "admin"),
            key: str | None = Depends(idempotency_key),
        ) -> dict:
            who.require_branch(body.branch_id)
            store = IdempotencyStore(c.db)
            if key and (replay := await store.begin(who.sub, key, body.model_dump())):
                response.status_code = replay[0]
                return replay[1]
            _id = uuid7()
            doc = await c.aggregate("accounts").insert(
                {"_id": _id, **body.model_dump()}, envelope(Opened(account_id=_id, name=body.name), body.branch_id, _id))
            out = _public(doc)
            if key:
                await store.finish(who.sub, key, 201, out)
            return out

        @router.get("/accounts")
        async def list_accounts(branch_id: str, c: Ctx, who: CurrentPrincipal, page: PageParams = Depends(page_params)) -> dict:
            who.require_branch(branch_id)
            docs, nxt = await fetch_page(c.db.accounts, {"branch_id": branch_id}, page)
            return {"items": [_public(d) for d in docs], "next_cursor": nxt}

        @router.get("/accounts/{account_id}")
        async def get_account(account_id: str, c: Ctx, who: CurrentPrincipal) -> dict:
            doc = await c.aggregate("accounts").find_one({"_id": account_id})
            if doc is None or not who.sees_branch(doc["branch_id"]):
                raise NotFound("account")
            return _public(doc)

        @router.patch("/accounts/{account_id}")
        async def rename(
            account_id: str, body: AccountPatch, c: Ctx,
            who: Principal = require_roles("manager", "admin"),
            expected: int | None = Depends(if_match_version),
        ) -> dict:
            doc = await c.aggregate("accounts").find_one({"_id": account_id})
            if doc is None or not who.sees_branch(doc["branch_id"]):
                raise NotFound("account")
            updated = await c.aggregate("accounts").change(
                doc, expected, {"$set": {"name": body.name}},
                envelope(Pinged(key=f"rename:{account_id}"), doc["branch_id"], account_id))
            return _public(updated)

        @router.post("/fail")
        async def fail() -> dict:
            raise Conflict("conflict-demo", "a demo conflict", existing_id="x")

        return router
