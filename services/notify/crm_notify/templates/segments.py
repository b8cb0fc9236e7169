"""SMS length in segments: GSM-7 160/153 septets, else UCS-2 70/67 code units; signature counted."""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"
_BASIC = frozenset(GSM7_BASIC)
_EXTENDED = frozenset(GSM7_EXTENDED)


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def is_gsm7(text: str) -> bool:
    return all(ch in _BASIC or ch in _EXTENDED for ch in text)


def count_segments(text: str, signature: str = "") -> SegmentCount:
    """How many SMS parts the provider will bill for `signature + text`."""
    full = signature + text
    if is_gsm7(full):
        units = sum(2 if ch in _EXTENDED else 1 for ch in full)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        units = len(full.encode("utf-16-le")) // 2
        single, part, encoding = 70, 67, "UCS-2"
    if units == 0:
        return SegmentCount(encoding, 0, 1)
    segments = 1 if units <= single else -(-units // part)
    return SegmentCount(encoding, units, segments)
