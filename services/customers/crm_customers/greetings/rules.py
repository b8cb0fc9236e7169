"""Greeting rules (节日/生日问候), pure: which occasions an archive has on a branch-local day.

Statutory holidays come from the `chinese_calendar` library (国务院办公厅 notices, with the make-up working days
调休), never typed in by hand: a holiday is greeted on the first day of its period; a make-up working day is a
working day and is never greeted. Birthdays and the card's important dates recur every year; a Feb 29 date is
greeted on Feb 28 in other years.
"""

from __future__ import annotations

import calendar
import hashlib
from datetime import date, timedelta

import chinese_calendar

HOLIDAY_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
}
GIFT_TIERS = ("core", "key")


def _detail(day: date) -> tuple[bool, str | None]:
    try:
        return chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:  # a year the installed calendar does not cover yet: no holiday greeting
        return False, None


def holiday_name(english: str) -> str:
    """The holiday's Chinese name: ours for the seven statutory ones, else the calendar's own."""
    if english in HOLIDAY_NAMES:
        return HOLIDAY_NAMES[english]
    for holiday in chinese_calendar.Holiday:
        if holiday.value == english:
            return holiday.chinese
    return english


def holiday_starting(day: date) -> str | None:
    """The Chinese name of the statutory holiday whose period starts on `day`, or None (also on 调休 days)."""
    on_holiday, name = _detail(day)
    if not on_holiday or not name:
        return None
    before, previous = _detail(day - timedelta(days=1))
    if before and previous == name:
        return None
    return holiday_name(name)


def recurs_on(month: int, day: int, today: date) -> bool:
    """A yearly date falls on `today`: the same month and day, and Feb 29 on Feb 28 of a common year."""
    if (month, day) == (today.month, today.day):
        return True
    return (month, day) == (2, 29) and (today.month, today.day) == (2, 28) and not calendar.isleap(today.year)


def month_day(value: object) -> tuple[int, int] | None:
    """(month, day) of a stored date: `YYYY-MM-DD` or `MM-DD` text, or a date; None when unreadable."""
    if isinstance(value, date):
        return value.month, value.day
    if not isinstance(value, str):
        return None
    parts = value.strip()[:10].split("-")
    try:
        month, day = (int(parts[1]), int(parts[2])) if len(parts) == 3 else (int(parts[0]), int(parts[1]))
    except (ValueError, IndexError):
        return None
    return (month, day) if 1 <= month <= 12 and 1 <= day <= 31 else None


def greeting_id(archive_id: str, occasion: str, on: date, name: str = "") -> str:
    """Stable per archive, occasion and date (and the important date's name): a rerun makes the same greeting."""
    digest = hashlib.sha256(f"{archive_id}|{occasion}|{name}|{on.isoformat()}".encode()).hexdigest()[:24]
    return f"g-{on.isoformat()}-{digest}"


def occasions(*, tier: str | None, birthday: object, important_dates: list[dict], today: date,
              holiday: str | None) -> list[tuple[str, str, bool, str]]:
    """(occasion, occasion_name, gift, key) of one archive today: its birthday, important dates, the holiday."""
    out = []
    md = month_day(birthday)
    if md and recurs_on(*md, today):
        out.append(("birthday", "生日", tier in GIFT_TIERS, ""))
    for d in important_dates:
        md = (d["month"], d["day"]) if d.get("month") and d.get("day") else month_day(d.get("date"))
        name = str(d.get("name") or "纪念日")
        if md and recurs_on(*md, today):
            out.append(("important_date", name, False, name))
    if holiday:
        out.append(("holiday", holiday, False, holiday))
    return out
