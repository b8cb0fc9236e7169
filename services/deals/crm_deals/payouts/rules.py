"""Pure rules of payouts: the branch's reward rules (渠道佣金, 全民营销奖励) and what each beneficiary earns.

Money is integer fen everywhere here. A commission is the agreed price times the branch's percent,
rounded half up to the fen (0.5 fen and above rounds up). A public referrer's reward comes from the
tier table: the band of the deal's product type that holds the agreed price (`min_price` included,
`max_price` excluded, no `max_price` = no upper bound) and the referrer's nth paid deal (the last
amount of a band holds for every deal past it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

PRODUCT_TYPES = ("apartment", "high_rise", "garden_house", "villa", "shop", "parking", "other")
REFERRER_KINDS = ("employee", "owner", "public")
REWARD_FORMS = ("cash", "property_fee", "shopping_card")
YUAN = 100  # fen per yuan

DEFAULTS: dict[str, Any] = {
    "commission_percent": "1.5",
    # 3,000 per apartment-type unit (公寓, 小高层, 洋房: homes sold by the unit), 12,000 per villa; shops,
    # parking and other units earn employees nothing until the branch sets an amount.
    "employee_rewards": {"apartment": 3000 * YUAN, "high_rise": 3000 * YUAN, "garden_house": 3000 * YUAN,
                         "villa": 12000 * YUAN, "shop": 0, "parking": 0, "other": 0},
    "owner_reward": 5000 * YUAN,
    "public_tiers": [
        {"product_type": "villa", "min_price": 3_000_000 * YUAN, "max_price": None,
         "rewards": [10000 * YUAN, 12000 * YUAN, 15000 * YUAN]},
        {"product_type": "villa", "min_price": 1_800_000 * YUAN, "max_price": 3_000_000 * YUAN,
         "rewards": [4000 * YUAN, 6000 * YUAN, 10000 * YUAN]},
        {"product_type": "garden_house", "min_price": 500_000 * YUAN, "max_price": 1_000_000 * YUAN,
         "rewards": [2500 * YUAN, 3000 * YUAN, 3500 * YUAN]},
        {"product_type": "high_rise", "min_price": 500_000 * YUAN, "max_price": 1_000_000 * YUAN,
         "rewards": [2000 * YUAN, 2500 * YUAN, 3000 * YUAN]},
    ],
    "reward_forms": {"employee": "cash", "owner": "property_fee", "public": "cash"},
}
"""The seed office's rules, which a branch has until a manager saves its own (`PUT /v1/reward-rules/{branch}`)."""


def commission(agreed_price: int, percent: Decimal | str) -> int:
    """The partner's commission in fen: agreed price × percent / 100, rounded half up to the fen."""
    exact = Decimal(agreed_price) * Decimal(percent) / 100
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def band_of(tiers: Sequence[Mapping[str, Any]], product_type: str | None, price: int) -> Mapping[str, Any] | None:
    """The tier band of this product type whose price range holds `price` (min included, max excluded)."""
    for band in tiers:
        if band["product_type"] == product_type and band["min_price"] <= price and (
                band["max_price"] is None or price < band["max_price"]):
            return band
    return None


def public_reward(tiers: Sequence[Mapping[str, Any]], product_type: str | None, price: int, nth: int) -> int:
    """A public referrer's reward for its `nth` paid deal (1-based); 0 outside every band."""
    band = band_of(tiers, product_type, price)
    if band is None or not band["rewards"]:
        return 0
    rewards = band["rewards"]
    return rewards[min(max(nth, 1), len(rewards)) - 1]


def referral_reward(rules: Mapping[str, Any], kind: str | None, product_type: str | None, price: int, nth: int) -> int:
    """What a referrer of `kind` earns for one deal, in fen (0: nothing to pay)."""
    if kind == "employee":
        return rules["employee_rewards"].get(product_type or "other", 0)
    if kind == "owner":
        return rules["owner_reward"]
    if kind == "public":
        return public_reward(rules["public_tiers"], product_type, price, nth)
    return 0


def reward_form(rules: Mapping[str, Any], kind: str | None) -> str:
    return rules["reward_forms"].get(kind or "public", "cash")


def nth_paid(paid_deals: Sequence[str], deal_id: str) -> int:
    """The deal's place among the referrer's paid deals (1-based); a deal not paid yet would be the next."""
    return paid_deals.index(deal_id) + 1 if deal_id in paid_deals else len(paid_deals) + 1


def overlaps(tiers: Sequence[Mapping[str, Any]]) -> list[tuple[int, int]]:
    """Pairs of band indexes of one product type whose price ranges overlap."""
    found = []
    for i, a in enumerate(tiers):
        for j in range(i + 1, len(tiers)):
            b = tiers[j]
            if a["product_type"] != b["product_type"]:
                continue
            a_hi = a["max_price"] if a["max_price"] is not None else float("inf")
            b_hi = b["max_price"] if b["max_price"] is not None else float("inf")
            if a["min_price"] < b_hi and b["min_price"] < a_hi:
                found.append((i, j))
    return found


def empty_bands(tiers: Sequence[Mapping[str, Any]]) -> list[int]:
    """Indexes of bands whose upper bound is not above their lower bound."""
    return [i for i, t in enumerate(tiers) if t["max_price"] is not None and t["max_price"] <= t["min_price"]]


def to_fen(amount: Decimal) -> int:
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_fen(fen: int) -> str:
    """Integer fen to a decimal string with two places: 300000 -> "3000.00" (negative keeps its sign)."""
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"
