"""What the sales-floor screens (front desk, my day, lead card) share: staff names, the branch's
day, form values parsed without trusting them, and the status an API error re-renders with."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote

from crm_shared.branches import at_local, local_date

from crm_console.api import ApiError
from crm_console.web import Screen

GRADES = ("O", "A", "B", "C")
STATUSES = ("new", "contacted", "visited", "negotiating", "won", "lost")
FOLLOW_UP_KINDS = ("call", "sms", "wechat", "visit", "email", "other")
APPOINTMENT_KINDS = ("showing", "office_visit", "signing")


def q(value: str) -> str:
    """A path segment from an id the user may have typed."""
    return quote(str(value), safe="")


async def staff_of(s: Screen) -> list[dict]:
    """The branch's people (active first); an empty list rather than a failed page."""
    if not s.user.branch_id:
        return []
    try:
        people = await s.api.items("/v1/staff", branch_id=s.user.branch_id)
    except ApiError:
        return []
    return sorted(people, key=lambda p: (not p.get("active", True), p.get("name", "")))


def if_match(version: str) -> dict:
    """The form's hidden `version` as an If-Match header, none when it is not a number."""
    return {"If-Match": version.strip()} if version.strip().isdigit() else {}


def names_of(staff: list[dict]) -> dict[str, str]:
    return {p["id"]: p.get("name") or p["id"] for p in staff}


def today_bounds(tz: str, now: datetime | None = None) -> tuple[date, str, str]:
    """The branch-local today and its start/end as UTC ISO strings (for `from`/`to` filters)."""
    today = local_date(now or datetime.now(UTC), tz)
    start = at_local(today, time(0, 0), tz).astimezone(UTC)
    end = at_local(today + timedelta(days=1), time(0, 0), tz).astimezone(UTC)
    return today, start.isoformat(), end.isoformat()


def int_in(raw: str, low: int, high: int) -> int | None:
    """An integer the user typed, or None when it is not one or out of range."""
    try:
        value = int(str(raw).strip())
    except ValueError:
        return None
    return value if low <= value <= high else None


def local_to_utc(day: str, clock: str, tz: str) -> datetime | None:
    """A branch-local date (YYYY-MM-DD) and time (HH:MM) as a UTC instant, or None when malformed."""
    try:
        d = date.fromisoformat(day.strip())
        t = time.fromisoformat(clock.strip() or "00:00")
    except ValueError:
        return None
    if not 2000 <= d.year <= 2200:
        return None
    return at_local(d, t.replace(tzinfo=None), tz).astimezone(UTC)


def error_status(exc: ApiError) -> int:
    return exc.status if 400 <= exc.status < 500 else 502


def failure(s: Screen, exc: ApiError) -> str:
    """An API refusal as one line in the reader's language."""
    if exc.status == 403:
        return s.t("error.forbidden")
    if exc.status == 404:
        return s.t("error.not_found")
    prefix = s.t("error.bad_input") if exc.status == 422 else s.t("common.error")
    return f"{prefix}：{exc.message}" if exc.message else prefix
