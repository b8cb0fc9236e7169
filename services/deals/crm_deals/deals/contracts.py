"""One deal per contract number (合同编号) in a branch, the way the store allows.

A signed deal carries `contract_key` (`<branch>:<number, case and spaces folded>`). On MongoDB a
partial unique index on it (only signed deals have one) carries the rule: the signing write itself
is refused when another deal holds the number, and the duplicate names the key. The dev store has
no partial indexes (docs/architecture.md "Store rules"), so there a claim document under the unique
`_id` is taken before the write and given back if the write fails. Claims taken that way stay
binding on MongoDB (a store moved from one path to the other keeps its numbers).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from crm_shared.errors import Conflict
from crm_shared.plugins import ServiceContext
from crm_shared.stores import duplicate_key

CONTRACTS = "contract_numbers"
KEY = "contract_key"
INDEX = "one_deal_per_contract_number"


def contract_key(branch_id: str, contract_no: str) -> str:
    return f"{branch_id}:{''.join(contract_no.casefold().split())}"


async def sign_under(ctx: ServiceContext, deals: str, doc: dict, contract_no: str, now: datetime,
                     write: Callable[[dict], Awaitable[dict]]) -> dict:
    """Run the signing write `write(sets)` (`sets` go into its `$set`) only if no other deal of the branch
    holds `contract_no`; 409 `contract-exists` naming the holder otherwise."""
    key = contract_key(doc["branch_id"], contract_no)
    if ctx.store.partial_indexes:
        await _refuse_earlier_claim(ctx, key, doc["_id"], contract_no)
        try:
            return await write({KEY: key})
        except DuplicateKeyError as exc:
            if KEY not in (duplicate_key(exc) or {}):
                raise
            holder = await ctx.db[deals].find_one({KEY: key}, {"_id": 1}) or {}
            raise _taken(contract_no, holder.get("_id")) from None
    try:
        await ctx.db[CONTRACTS].insert_one({"_id": key, "deal_id": doc["_id"], "at": now})
    except DuplicateKeyError:  # taken, unless by this deal (a retried signing)
        holder = await ctx.db[CONTRACTS].find_one({"_id": key}) or {}
        if holder.get("deal_id") != doc["_id"]:
            raise _taken(contract_no, holder.get("deal_id")) from None
    try:
        return await write({KEY: key})
    except BaseException:
        await ctx.db[CONTRACTS].delete_one({"_id": key, "deal_id": doc["_id"]})
        raise


async def ensure_index(ctx: ServiceContext, deals: str) -> None:
    if ctx.store.partial_indexes:
        await ctx.db[deals].create_index([(KEY, 1)], unique=True, name=INDEX,
                                         partialFilterExpression={KEY: {"$type": "string"}})


async def _refuse_earlier_claim(ctx: ServiceContext, key: str, deal_id: str, contract_no: str) -> None:
    """A claim document taken on the dev store path still binds the number."""
    holder = await ctx.db[CONTRACTS].find_one({"_id": key}) or {}
    if holder and holder.get("deal_id") != deal_id:
        raise _taken(contract_no, holder.get("deal_id"))


def _taken(contract_no: str, holder_deal_id: str | None) -> Conflict:
    return Conflict("contract-exists", f"合同编号 {contract_no} 已被使用", holder_deal_id=holder_deal_id)
