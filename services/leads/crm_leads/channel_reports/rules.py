"""Pure attribution rules (渠道报备/判客): matching keys, validity, follow-up lapse, protection and
its renewal, same-day arrivals, who is credited."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

from crm_shared.branches import BranchSettings, local_date, zone
from crm_shared.phones import patterns_agree

LIVE = ("accepted", "confirmed")


def name_key(name: str) -> str:
    """Names compare without spaces and case: '王 先生' is '王先生'."""
    return "".join(name.split()).casefold()


def hash_key(branch_id: str, phone_hash: str) -> str:
    return f"{branch_id}:h:{phone_hash}"


def mask_key(branch_id: str, phone_masked: str, name: str) -> str:
    """Keyed by the mask's core (its 3+4 form): both mask forms and full numbers meet here."""
    return f"{branch_id}:m:{phone_masked}:{name_key(name)}"


def claim_keys(branch_id: str, phone_hash: str | None, phone_masked: str, name: str) -> list[str]:
    """A full number claims its hash and its core+name; a masked one only core+name."""
    keys = [hash_key(branch_id, phone_hash)] if phone_hash else []
    return keys + [mask_key(branch_id, phone_masked, name)]


def same_customer(a_hash: str | None, a_pattern: str | None, b_hash: str | None, b_pattern: str | None) -> bool:
    """Two numbers (of one core and name) name the same customer unless what both show differs: two full
    numbers compare whole, anything with a mask compares the digits both show."""
    if a_hash and b_hash:
        return a_hash == b_hash
    return patterns_agree(a_pattern, b_pattern)


def expires_at(reported_at: datetime, settings: BranchSettings) -> datetime:
    return reported_at + timedelta(days=settings.report_valid_days)


def follow_up_due(since: datetime, settings: BranchSettings) -> datetime:
    """When a report followed up (or reported, or visited) at `since` lapses without another follow-up."""
    return since + timedelta(days=settings.report_lapse_days)


def protection_until(first_visit_at: datetime, settings: BranchSettings) -> datetime:
    return first_visit_at + timedelta(days=settings.protection_days)


def _end(report: dict) -> datetime | None:
    """When a live report ends by itself: validity (accepted) or protection (confirmed)."""
    return report.get("expires_at") if report.get("status") == "accepted" else report.get("protection_until")


def lapsed(report: dict, now: datetime) -> bool:
    """Live, but no partner follow-up since its due (and the due came before the report's own end)."""
    due, end = report.get("follow_up_due_at"), _end(report)
    return report.get("status") in LIVE and due is not None and now >= due and (end is None or due < end)


def is_live(report: dict, now: datetime) -> bool:
    """Accepted and not yet expired, or confirmed and still protected, and followed up in time: the customer is taken."""
    end = _end(report)
    return report.get("status") in LIVE and end is not None and now < end and not lapsed(report, now)


def confirms(report: dict, visit_at: datetime) -> bool:
    """A visit inside the validity window (and before a lapse) confirms an accepted report."""
    return report.get("status") == "accepted" and visit_at < report["expires_at"] and not lapsed(report, visit_at)


def renewable_from(report: dict, settings: BranchSettings) -> datetime | None:
    """The start of a confirmation's renewal window: its last `renewal_window_days`."""
    if report.get("status") != "confirmed" or not report.get("protection_until"):
        return None
    return report["protection_until"] - timedelta(days=settings.renewal_window_days)


def add_months(moment: datetime, months: int, tz: str | None) -> datetime:
    """The same branch-local wall time `months` calendar months later (the 31st becomes the month's last day)."""
    local = moment.astimezone(zone(tz))
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(moment.tzinfo)


def same_day_arrival(lead: dict, recorded: bool, now: datetime, settings: BranchSettings, tz: str | None) -> bool:
    """带团直接进场: a lead its first visit opened may be reported by the partner who brought the customer,
    on the day of that visit when the desk recorded the partner on it, or within the grace after check-in."""
    visited_at = lead.get("visited_at")
    if not visited_at or not str(lead.get("created_by") or "").startswith("visit:") or now < visited_at:
        return False
    if recorded and local_date(now, tz) == local_date(visited_at, tz):
        return True
    return now - visited_at <= timedelta(minutes=settings.same_day_grace_minutes)


def credited_partner(attribution: dict | None, won_at: datetime) -> str | None:
    """A deal inside protection credits the partner; outside it, nobody."""
    if not attribution or not attribution.get("protection_until"):
        return None
    return attribution.get("partner_id") if won_at <= attribution["protection_until"] else None
