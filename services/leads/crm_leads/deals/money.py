"""Money on a lead: CNY stored as integer fen (分), read from a number or a decimal string, shown with two places."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import Field

MAX_YUAN = Decimal("100000000000")  # 1e11 CNY: far above any sale, far below int64 fen

Money = Annotated[Decimal, Field(ge=0, lt=MAX_YUAN, decimal_places=2, allow_inf_nan=False,
                                 description="CNY: a JSON number or a decimal string, at most two decimal places.",
                                 examples=["2980000.00"])]


def to_fen(amount: Decimal) -> int:
    """Yuan (at most two places, as `Money` checks) to integer fen; never through a float."""
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_fen(fen: int | None) -> str | None:
    """Integer fen to a decimal string with two places: 298000050 -> "2980000.50"."""
    if fen is None:
        return None
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def yuan_number(fen: int | None) -> float | None:
    """The yuan float `lead.won.amount` carried before `amount_fen`, for its old readers only (no arithmetic on it)."""
    return None if fen is None else float(Decimal(fen) / 100)


def stored_fen(doc: dict) -> int | None:
    """A lead's amount in fen: `amount_fen`, or the yuan number leads stored before money was fen."""
    if doc.get("amount_fen") is not None:
        return int(doc["amount_fen"])
    old = doc.get("amount")
    if old is None or isinstance(old, bool):
        return None
    return to_fen(Decimal(str(old)))
