"""Pure rules of units: money in fen, the unit's key and label, which status may follow which."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from crm_shared.text import clean_line


def to_fen(amount: Decimal) -> int:
    """Yuan (at most two places, as the models check) to integer fen; never through a float."""
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_fen(fen: int) -> str:
    """Integer fen to a decimal string with two places: 298000050 -> "2980000.50"."""
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def area_text(area: Decimal | None) -> str | None:
    return None if area is None else f"{area.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"


def _part(text: str | None) -> str:
    """One part of the unit key: case and width folded, spaces dropped (`3栋` and ` 3栋 ` are one)."""
    import unicodedata
    if not text:
        return ""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def unit_key(branch_id: str, project: str, building: str | None, unit_no: str) -> str:
    """Unique per unit: the same branch, project, building and number is one row of the sheet."""
    return "\x1f".join((branch_id, _part(project), _part(building), _part(unit_no)))


def label(project: str, building: str | None, unit_no: str) -> str:
    """How people name the unit: `湾区壹号 3栋 1201`."""
    return " ".join(clean_line(p) for p in (project, building, unit_no) if p)


# Which status a unit may move to, and why (deals move it; a manager holds and releases it).
HOLDABLE = ("available",)
RESERVABLE = ("available",)
