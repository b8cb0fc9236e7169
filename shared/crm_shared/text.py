"""Text and time that people type, made safe to store, show, export and count.

A name of only spaces or zero-width characters, a NUL or another control character in a
reason, a follow-up dated year 1: each was accepted once and later broke an XLSX export or
a report. Every request model uses these types for what people type:

- `Line(n)`: one line (a name, a reason, a title): Unicode NFC, no control characters, no
  zero-width or other invisible format characters at the ends, trimmed, not blank, at most
  `n` characters.
- `Paragraph(n)`: the same, but line breaks and tabs are kept (notes, feedback).
- `Moment`: an aware instant between 2000-01-01 and 2200-12-31, stored as UTC.
- `Day`: a calendar date in the same range.
- `Birthday`: a date from 1900 to today.

The checks are plain functions (`clean_line`, `clean_paragraph`, `bounded`) so importers and
consumers can apply them to data that does not come through a request model.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, Field

EARLIEST, LATEST = date(2000, 1, 1), date(2200, 12, 31)
_KEPT_IN_PARAGRAPHS = {"\n", "\t"}


def _invisible(ch: str) -> bool:
    """Whitespace, and format characters such as U+200B ZERO WIDTH SPACE or U+FEFF."""
    return ch.isspace() or unicodedata.category(ch) == "Cf"


def _clean(value: str, keep: set[str]) -> str:
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n"))
    for ch in text:
        category = unicodedata.category(ch)
        if ch in keep:
            continue
        if category in ("Cc", "Cs", "Co", "Cn") or ch in ("\u2028", "\u2029"):
            raise ValueError(f"contains a control or unassigned character (U+{ord(ch):04X})")
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    text = text[start:end]
    if not text or all(_invisible(ch) for ch in text):
        raise ValueError("must not be blank")
    return text


def clean_line(value: str) -> str:
    """One line of printable text, normalised and trimmed; ValueError otherwise."""
    return _clean(value, set())


def clean_paragraph(value: str) -> str:
    """Printable text that may span lines, normalised and trimmed; ValueError otherwise."""
    return _clean(value, _KEPT_IN_PARAGRAPHS)


def Line(max_length: int = 200):  # noqa: N802 - reads as a type in models
    return Annotated[str, Field(min_length=1, max_length=max_length * 2), AfterValidator(clean_line),
                     AfterValidator(_at_most(max_length))]


def Paragraph(max_length: int = 2000):  # noqa: N802
    return Annotated[str, Field(min_length=1, max_length=max_length * 2), AfterValidator(clean_paragraph),
                     AfterValidator(_at_most(max_length))]


def _at_most(n: int):
    def check(value: str) -> str:
        if len(value) > n:
            raise ValueError(f"at most {n} characters")
        return value

    return check


def bounded(value: datetime) -> datetime:
    """An aware instant in the supported range, as UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a time needs a UTC offset (ISO 8601 with offset)")
    if not EARLIEST.year <= value.year <= LATEST.year:  # checked before any arithmetic: year 1 + offset overflows
        raise ValueError(f"a time must lie between {EARLIEST.year} and {LATEST.year}")
    return value.astimezone(UTC)


def bounded_day(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"a date must lie between {EARLIEST.year} and {LATEST.year}")
    return value


EARLIEST_BIRTHDAY = date(1900, 1, 1)


def lived(day: date) -> date:
    """A birthday of someone alive: from 1900 to today (a day of slack for time zones ahead of UTC)."""
    if not EARLIEST_BIRTHDAY <= day <= datetime.now(UTC).date() + timedelta(days=1):
        raise ValueError(f"a birthday lies between {EARLIEST_BIRTHDAY.year} and today")
    return day


Moment = Annotated[datetime, AfterValidator(bounded)]
Day = Annotated[date, AfterValidator(bounded_day)]
Birthday = Annotated[date, AfterValidator(lived)]
