"""A branch's reward rules (结佣 and 全民营销 rules): read with the seed office's defaults, saved whole by
section by a manager; overlapping or empty price bands are refused (422) before anything is stored."""

from __future__ import annotations

import copy
from typing import Any

from pymongo.errors import DuplicateKeyError

from crm_shared.errors import Invalid, Stale
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext

from crm_deals.payouts import rules
from crm_deals.payouts.models import FORM_NAMES, RewardRulesIn, RewardRulesOut, TierOut
from crm_deals.units.models import PRODUCT_NAMES

RULES = "reward_rules"
SECTIONS = ("commission_percent", "employee_rewards", "owner_reward", "public_tiers", "reward_forms")


def defaults(branch_id: str) -> dict[str, Any]:
    return {"_id": branch_id, "branch_id": branch_id, **copy.deepcopy(rules.DEFAULTS), "version": 0}


async def effective(ctx: ServiceContext, branch_id: str) -> dict[str, Any]:
    """The branch's saved rules, or the seed office's (version 0)."""
    return await ctx.aggregate(RULES).find_one({"_id": branch_id}) or defaults(branch_id)


def stored(body: RewardRulesIn) -> dict[str, Any]:
    """The sections the body gives, in the stored form (fen)."""
    out: dict[str, Any] = {}
    if body.commission_percent is not None:
        out["commission_percent"] = format(body.commission_percent.normalize(), "f")
    if body.employee_rewards is not None:
        out["employee_rewards"] = {k: rules.to_fen(v) for k, v in body.employee_rewards.model_dump().items()}
    if body.owner_reward is not None:
        out["owner_reward"] = rules.to_fen(body.owner_reward)
    if body.public_tiers is not None:
        out["public_tiers"] = [{"product_type": t.product_type, "min_price": rules.to_fen(t.min_price),
                                "max_price": None if t.max_price is None else rules.to_fen(t.max_price),
                                "rewards": [rules.to_fen(r) for r in t.rewards]} for t in body.public_tiers]
    if body.reward_forms is not None:
        out["reward_forms"] = body.reward_forms.model_dump()
    return out


def check(tiers: list[dict[str, Any]]) -> None:
    """422 for a band whose upper bound is not above its lower one, or two bands of a type that overlap."""
    if empty := rules.empty_bands(tiers):
        raise Invalid("价格区间的上限必须高于下限", kind="empty-band", loc=["body", "public_tiers", str(empty[0]), "max_price"])
    if pairs := rules.overlaps(tiers):
        i, j = pairs[0]
        name = PRODUCT_NAMES.get(tiers[i]["product_type"], tiers[i]["product_type"])
        raise Invalid(f"{name}的两个价格区间重叠（第{i + 1}和第{j + 1}个）", kind="overlapping-bands",
                      loc=["body", "public_tiers", str(j)], bands=[i, j])


async def save(ctx: ServiceContext, branch_id: str, body: RewardRulesIn, expected: int | None, who: str) -> dict:
    current = await effective(ctx, branch_id)
    changes = stored(body)
    check(changes.get("public_tiers", current["public_tiers"]))
    fields = {**changes, "updated_by": who, "updated_at": utcnow()}
    if current["version"] == 0:
        if expected not in (None, 0):
            raise Stale(0, expected)
        doc = {k: current[k] for k in ("_id", "branch_id", *SECTIONS)} | fields
        try:
            return await ctx.aggregate(RULES).insert(doc)
        except DuplicateKeyError:  # another manager saved first
            raise Stale(1, expected if expected is not None else 0) from None
    return await ctx.aggregate(RULES).change(current, expected, {"$set": fields})


def public(doc: dict[str, Any]) -> RewardRulesOut:
    tiers = [TierOut(product_type=t["product_type"], product_type_name=PRODUCT_NAMES.get(t["product_type"], "其他"),
                     min_price=rules.from_fen(t["min_price"]),
                     max_price=None if t["max_price"] is None else rules.from_fen(t["max_price"]),
                     rewards=[rules.from_fen(r) for r in t["rewards"]]) for t in doc["public_tiers"]]
    return RewardRulesOut(
        branch_id=doc["branch_id"], commission_percent=doc["commission_percent"],
        employee_rewards={k: rules.from_fen(v) for k, v in doc["employee_rewards"].items()},
        owner_reward=rules.from_fen(doc["owner_reward"]), public_tiers=tiers, reward_forms=doc["reward_forms"],
        reward_form_names={k: FORM_NAMES[v] for k, v in doc["reward_forms"].items()},
        configured=doc["version"] > 0, updated_by=doc.get("updated_by"), updated_at=doc.get("updated_at"),
        version=doc["version"])
