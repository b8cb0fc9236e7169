"""Pure rules for one sheet row: what the cells mean for a lead, and what is wrong with them.

A row is refused (`error`) only when the customer cannot be identified or a value would
store something false: no name, no usable phone, an unreadable registration date, text
with control characters, a cell too long. A value that can only be left out (an unknown
grade, gender or channel word, a consultant name that is not one active colleague) is left
empty or at the default, and the row carries a warning saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from crm_shared.branches import at_local
from crm_shared.phones import InvalidPhone, normalize_masked
from crm_shared.text import clean_line, clean_paragraph

from crm_leads.imports import columns

EARLIEST = date(2000, 1, 1)  # registration dates; birthdays may be older
BORN_AFTER = date(1900, 1, 1)
INTEREST_MAX = 1000
EXCEL_EPOCH = date(1899, 12, 30)
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                   r"(?:[\sT]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?[eE]\+?\d+$")
_MORE_PHONES = re.compile(r"\s*[/／,，;；、|]\s*")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class RowError(ValueError):
    """The row cannot be imported; `code` names why in the message catalogue."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code, self.params = code, params


@dataclass
class Owners:
    """The branch's staff as the owner column may name them: id, or name when unique."""

    by_id: dict[str, dict] = field(default_factory=dict)
    by_name: dict[str, list[dict]] = field(default_factory=dict)

    @classmethod
    def of(cls, staff: list[dict]) -> Owners:
        owners = cls()
        for doc in staff:
            owners.by_id[doc["_id"]] = doc
            owners.by_name.setdefault(columns.plain(doc.get("name") or ""), []).append(doc)
        return owners

    def resolve(self, text: str) -> tuple[str | None, dict | None]:
        """(owner id, None) or (None, warning): an active consultant or manager of the branch, by id or by a unique name."""
        def may_own(doc: dict) -> bool:
            return bool(doc.get("active")) and doc.get("role") in ("consultant", "manager")

        named = [doc] if (doc := self.by_id.get(text)) is not None else self.by_name.get(columns.plain(text), [])
        owners = [d for d in named if may_own(d)]
        if len(owners) == 1:
            return owners[0]["_id"], None
        if len(owners) > 1:
            return None, {"code": "owner_ambiguous", "value": text, "count": len(owners)}
        if any(d.get("active") for d in named):
            return None, {"code": "owner_not_consultant", "value": text}
        return None, {"code": "owner_left" if named else "owner_unknown", "value": text}


@dataclass
class Setting:
    """What a row is read against: the branch's region and time zone, the moment, the staff."""

    region: str
    timezone: str
    now: datetime
    owners: Owners
    default_channel: str = "import"


def _text(cells: dict, name: str, paragraph: bool = False) -> str | None:
    value = cells.get(name)
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    try:
        return (clean_paragraph if paragraph else clean_line)(str(value))
    except ValueError as exc:
        if "blank" in str(exc):
            return None
        raise RowError("bad_text", field=name) from None


def _moment(value: Any, tz: str) -> datetime | None:
    """A cell as a branch-local instant: a date cell, 2024-03-05, 2024/3/5 14:30, 2024年3月5日, 20240305, or an Excel serial."""
    if isinstance(value, datetime):
        return at_local(value.date(), value.time(), tz)
    text = str(value).strip()
    try:
        if m := _DATE.match(text):
            y, mo, d, hh, mm, ss = (int(g) if g else 0 for g in m.groups())
            return at_local(date(y, mo, d), time(hh, mm, ss), tz)
        if m := _COMPACT.match(text):
            return at_local(date(*(int(g) for g in m.groups())), time(), tz)
        if _SERIAL.match(text):
            return at_local(EXCEL_EPOCH + timedelta(days=int(float(text))), time(), tz)
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else at_local(parsed.date(), parsed.time(), tz)
    except ValueError:
        return None


def registered_at(cells: dict, s: Setting) -> datetime | None:
    value = cells.get("date")
    if value is None:
        return None
    moment = _moment(value, s.timezone)
    shown = _text(cells, "date")
    if moment is None:
        raise RowError("bad_date", value=shown)
    if moment > s.now:
        raise RowError("future_date", value=shown)
    if moment.date() < EARLIEST:
        raise RowError("old_date", value=shown)
    return moment.astimezone(UTC)


def phone(cells: dict, s: Setting, warnings: list[dict]) -> tuple[str, str]:
    """(E.164, mask) of the row's phone; a second number in the cell is left out with a warning."""
    text = _text(cells, "phone")
    if text is None:
        raise RowError("no_phone")
    if _SCIENTIFIC.match(text):
        raise RowError("phone_scientific", value=text)
    try:
        return normalize_masked(text, s.region)
    except InvalidPhone:
        first, *rest = _MORE_PHONES.split(text)
        if rest:
            try:
                found = normalize_masked(first, s.region)
            except InvalidPhone:
                pass
            else:
                warnings.append({"code": "extra_phones", "value": "、".join(r for r in rest if r)})
                return found
    raise RowError("bad_phone", value=text)


def optional(cells: dict, s: Setting, warnings: list[dict]) -> dict[str, Any]:
    """Gender, email, birthday, grade, owner and channel: unknown values are left out, with a warning."""
    out: dict[str, Any] = {"gender": None, "email": None, "birthday": None, "grade": None, "owner_id": None,
                           "channel": s.default_channel}
    if (text := _text(cells, "gender")) is not None:
        out["gender"] = columns.gender_of(text)
        if out["gender"] is None:
            warnings.append({"code": "gender_unknown", "value": text})
    if (text := _text(cells, "email")) is not None:
        if _EMAIL.match(text):
            out["email"] = text
        else:
            warnings.append({"code": "email_bad", "value": text})
    if cells.get("birthday") is not None:
        born = _moment(cells["birthday"], s.timezone)
        if born is not None and BORN_AFTER <= born.date() <= s.now.date():
            out["birthday"] = born.date().isoformat()
        else:
            warnings.append({"code": "birthday_bad", "value": _text(cells, "birthday")})
    if (text := _text(cells, "grade")) is not None:
        out["grade"] = columns.grade_of(text)
        if out["grade"] is None:
            warnings.append({"code": "grade_unknown", "value": text})
    if (text := _text(cells, "owner")) is not None:
        out["owner_id"], warning = s.owners.resolve(text)
        if warning:
            warnings.append(warning)
    if (text := _text(cells, "channel")) is not None:
        channel = columns.channel_of(text)
        if channel is None:
            warnings.append({"code": "channel_unknown", "value": text, "channel": s.default_channel})
            out["unknown_channel"] = text
        else:
            out["channel"] = channel
    return out


def prepare(cells: dict, s: Setting) -> dict[str, Any]:
    """The lead a row describes (name, phone, ... , `registered_at`, `warnings`), or RowError."""
    name = _text(cells, "name")
    if name is None:
        raise RowError("no_name")
    warnings: list[dict] = []
    e164, masked = phone(cells, s, warnings)
    lead = {"name": name, "phone": e164, "phone_masked": masked, "registered_at": registered_at(cells, s),
            "interest": _text(cells, "interest", paragraph=True), "campaign": _text(cells, "campaign"),
            "referrer": _text(cells, "referrer"), **optional(cells, s, warnings)}
    if lead["interest"] and len(lead["interest"]) > INTEREST_MAX:
        raise RowError("too_long", field="interest", max=INTEREST_MAX)
    if unknown := lead.pop("unknown_channel", None):
        lead["campaign"] = lead["campaign"] or unknown  # the office's own word is kept on the lead
    return lead | {"warnings": warnings}
