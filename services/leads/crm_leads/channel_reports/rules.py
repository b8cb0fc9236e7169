"""Pure attribution rules (渠道报备/判客): matching keys, validity, protection, who is credited."""

from __future__ import annotations

from datetime import datetime, timedelta

from crm_shared.branches import BranchSettings


def name_key(name: str) -> str:
    """Names compare without spaces and case: '王 先生' is '王先生'."""
    return "".join(name.split()).casefold()


def hash_key(branch_id: str, phone_hash: str) -> str:
    return f"{branch_id}:h:{phone_hash}"


def mask_key(branch_id: str, phone_masked: str, name: str) -> str:
    return f"{branch_id}:m:{phone_masked}:{name_key(name)}"


def claim_keys(branch_id: str, phone_hash: str | None, phone_masked: str, name: str) -> list[str]:
    """A full number claims its hash and its mask+name; a masked one only mask+name."""
    keys = [hash_key(branch_id, phone_hash)] if phone_hash else []
    return keys + [mask_key(branch_id, phone_masked, name)]


def expires_at(reported_at: datetime, settings: BranchSettings) -> datetime:
    return reported_at + timedelta(days=settings.report_valid_days)


def protection_until(first_visit_at: datetime, settings: BranchSettings) -> datetime:
    return first_visit_at + timedelta(days=settings.protection_days)


def is_live(report: dict, now: datetime) -> bool:
    """Accepted and not yet expired, or confirmed and still protected: the customer is taken."""
    if report.get("status") == "accepted":
        return now < report["expires_at"]
    if report.get("status") == "confirmed":
        return report.get("protection_until") is not None and now < report["protection_until"]
    return False


def confirms(report: dict, visit_at: datetime) -> bool:
    """A visit inside the validity window confirms an accepted report."""
    return report.get("status") == "accepted" and visit_at < report["expires_at"]


def credited_partner(attribution: dict | None, won_at: datetime) -> str | None:
    """A deal inside protection credits the partner; outside it, nobody."""
    if not attribution or not attribution.get("protection_until"):
        return None
    return attribution.get("partner_id") if won_at <= attribution["protection_until"] else None
