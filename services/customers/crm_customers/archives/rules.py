"""Pure rules of archives (顾客档案) and key accounts: numbers, dates worth a greeting, review deadlines, who
decides a tier, and the words an office's sheet uses."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from crm_shared.branches import at_local, local_date
from crm_shared.sheets import index, plain

TIER_NAMES = {"core": "核心", "key": "重点", "general": "一般"}
KEY_TIERS = ("core", "key")
CATEGORY_WORDS = {"owner": ("业主", "owner", "老业主", "已购"), "prospect": ("意向客户", "潜在客户", "意向", "prospect"),
                  "member": ("会员", "member", "会员客户")}
TIER_WORDS = {"core": ("核心", "核心客户", "core"), "key": ("重点", "重点客户", "key"),
              "general": ("一般", "一般客户", "普通", "general")}
CONSENT_WORDS = {"yes": ("是", "同意", "已同意", "接受", "愿意", "有", "y", "yes", "true", "1", "√", "✓", "✔"),
                 "no": ("否", "不同意", "未同意", "拒绝", "不接受", "不愿意", "无", "n", "no", "false", "0", "×", "✗")}
_MONTH_DAY = re.compile(r"^(?:(\d{4})-)?(\d{2})-(\d{2})$")
_DAY_TEXT = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
MIN_DIGITS = 6


def number(prefix: str, seq: int) -> str:
    """`000123` (or `<prefix>-000123` when the group sets one): per branch, from 1, never reused; more digits
    once past 999999."""
    digits = f"{seq:0{MIN_DIGITS}d}"
    return f"{prefix}-{digits}" if prefix else digits


def person_key(branch_id: str, phone_hash: str) -> str:
    """One archive per person (phone hash) and branch: the claim's `_id` and the archive's unique key."""
    return f"{branch_id}:{phone_hash}"


def month_day(text: str) -> tuple[int | None, int, int]:
    """(year or None, month, day) of `MM-DD` or `YYYY-MM-DD`; ValueError otherwise (02-29 is a valid `MM-DD`)."""
    m = _MONTH_DAY.match(text or "")
    if not m:
        raise ValueError("a date is MM-DD (every year) or YYYY-MM-DD")
    year, month, day = (int(m.group(1)) if m.group(1) else None), int(m.group(2)), int(m.group(3))
    try:
        date(year or 2000, month, day)  # 2000 is a leap year: 02-29 stays a valid yearly date
    except ValueError:
        raise ValueError(f"no such date: {text}") from None
    if year is not None and not 1900 <= year <= 2200:
        raise ValueError("a year between 1900 and 2200")
    return year, month, day


def stored_dates(dates: list[dict]) -> list[dict]:
    """Important dates as stored: the text people typed and its month and day, so readers need not parse."""
    out = []
    for d in dates:
        year, month, day = month_day(d["date"])
        out.append({"name": d["name"], "date": d["date"], "year": year, "month": month, "day": day})
    return out


def review_due(opened_at: datetime, days: int, tz: str | None) -> datetime:
    """The end of the `days`-th branch-local day after opening."""
    return at_local(local_date(opened_at, tz) + timedelta(days=days + 1), time(0), tz)


def may_decide(role: str, level: str) -> bool:
    """A branch's key-account list is its manager's (or an admin's), the group's an admin's."""
    return role == "admin" or (role == "manager" and level == "branch")


def key_account(tier: str, level: str, by: str, at: datetime) -> dict | None:
    """The key-account mark of an archive: on a list for `core`/`key`, off it for `general`."""
    return {"level": level, "approved_by": by, "approved_at": at} if tier in KEY_TIERS else None


_CATEGORIES, _TIERS, _CONSENTS = index(CATEGORY_WORDS), index(TIER_WORDS), index(CONSENT_WORDS)


def consent_of(word: object) -> bool | None:
    """A sheet's 同意营销短信 cell: blank is not given (False), an unknown word None."""
    if word is None or isinstance(word, bool):
        return bool(word)
    text = plain(str(word))
    if not text:
        return False
    found = _CONSENTS.get(text)
    return None if found is None else found == "yes"


def consent(given: bool, by: str | None, at: datetime | None, source: str | None,
            withdrawn_at: datetime | None = None) -> dict:
    """The stored marketing consent (同意接收节日问候/营销短信): given or not, who recorded it and when, and when it
    was withdrawn (a change from given to not given). Never recorded: not given, with neither."""
    return {"given": bool(given), "by": by, "at": at, "source": source, "withdrawn_at": withdrawn_at}


NO_CONSENT = consent(False, None, None, None)


def consent_change(current: dict | None, given: bool, by: str, at: datetime) -> dict | None:
    """The record after a PATCH saying `given`; None when it says what is recorded already (nothing changes)."""
    current = current or NO_CONSENT
    if bool(current.get("given")) == given and current.get("at") is not None:
        return None
    if not given and not current.get("given") and current.get("at") is None:
        return consent(False, by, at, "change")  # first recorded as not given: no withdrawal
    return consent(given, by, at, "change", withdrawn_at=at if current.get("given") and not given else None)


def consent_statement(record: dict | None) -> tuple[bool, datetime | None]:
    """(consent, when) as `greeting.due` carries it: given and when; or withdrawn and when; else (False, None) —
    a consent never given says nothing that should overrule consent notify holds from elsewhere."""
    record = record or NO_CONSENT
    if record.get("given"):
        return True, record.get("at")
    return False, record.get("withdrawn_at")


def category_of(word: str | None, default: str = "owner") -> str | None:
    """A sheet's 类别 as a category; blank is the default, an unknown word None."""
    return default if not word or not str(word).strip() else _CATEGORIES.get(plain(str(word)))


def tier_of(word: str | None) -> str | None:
    """A sheet's 等级 as a tier; blank is `general`, an unknown word None."""
    return "general" if not word or not str(word).strip() else _TIERS.get(plain(str(word)))


def day_of(cell: object) -> date | None:
    """A date cell (a datetime from XLSX) or text `2020-05-01`, `2020/5/1`, `2020年5月1日`; None when unreadable."""
    if isinstance(cell, datetime):
        return cell.date()
    m = _DAY_TEXT.match(str(cell or ""))
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
