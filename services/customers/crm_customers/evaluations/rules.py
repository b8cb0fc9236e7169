"""Pure rules of the relationship evaluation (客户关系评估表): weights, the weighted score, grade and recommendation.

Score = Σ(score_i × weight_i) / 100 in Decimal, rounded half-up to two places; grade A ≥ 85, B ≥ 70,
C ≥ 55, else D. Recommendation by grade, which the account manager may change only within the grade's
choices: A `maintain`; B `maintain` (or `improve`); C `improve` (or `maintain`, `end`); D `end` (or `improve`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from crm_shared.errors import Invalid

CENT = Decimal("0.01")
TOTAL_WEIGHT = 100
GRADES = ((Decimal(85), "A"), (Decimal(70), "B"), (Decimal(55), "C"))
CHOICES = {"A": ("maintain",), "B": ("maintain", "improve"), "C": ("improve", "maintain", "end"), "D": ("end", "improve")}
GRADE_NAMES = {"A": "优", "B": "良", "C": "中", "D": "差"}
RECOMMENDATION_NAMES = {"improve": "改进", "maintain": "维持", "end": "终止"}
DEFAULT_INDICATORS = (
    {"key": "purchase_amount", "name": "购买金额", "weight": 30},
    {"key": "referrals", "name": "推荐成交", "weight": 20},
    {"key": "communication", "name": "沟通配合", "weight": 15},
    {"key": "satisfaction", "name": "满意度", "weight": 20},
    {"key": "complaints", "name": "投诉记录", "weight": 15},
)


def check_indicators(indicators: list[dict]) -> None:
    """Distinct keys and weights summing to 100, else 422 naming the sum."""
    keys = [i["key"] for i in indicators]
    if len(set(keys)) != len(keys):
        raise Invalid("indicator keys must be distinct", kind="duplicate-indicator", loc=["body"])
    total = sum(int(i["weight"]) for i in indicators)
    if total != TOTAL_WEIGHT:
        raise Invalid(f"the weights sum to {total}, not {TOTAL_WEIGHT}", kind="weights-not-100", loc=["body"],
                      weight_sum=total)


def check_scores(indicators: list[dict], scores: dict[str, Decimal]) -> None:
    """A score for every indicator and none else."""
    keys = {i["key"] for i in indicators}
    missing, unknown = sorted(keys - set(scores)), sorted(set(scores) - keys)
    if missing or unknown:
        raise Invalid("score every indicator, and only those: " + ", ".join(
            [f"missing {', '.join(missing)}"] * bool(missing) + [f"unknown {', '.join(unknown)}"] * bool(unknown)),
            kind="scores-mismatch", loc=["body", "scores"], missing=missing, unknown=unknown)


def weighted(indicators: list[dict], scores: dict[str, Decimal]) -> Decimal:
    total = sum((Decimal(scores[i["key"]]) * int(i["weight"]) for i in indicators), Decimal(0))
    return (total / TOTAL_WEIGHT).quantize(CENT, rounding=ROUND_HALF_UP)


def grade(score: Decimal) -> str:
    return next((g for floor, g in GRADES if score >= floor), "D")


def recommendation(grade_: str, chosen: str | None = None) -> str:
    """The grade's default, or the account manager's choice if the grade allows it (else 422)."""
    allowed = CHOICES[grade_]
    if chosen is None:
        return allowed[0]
    if chosen not in allowed:
        raise Invalid(f"grade {grade_} allows {', '.join(allowed)}", kind="recommendation-not-allowed",
                      loc=["body", "recommendation"], allowed=list(allowed))
    return chosen


def text(value: Decimal) -> str:
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP)}"
