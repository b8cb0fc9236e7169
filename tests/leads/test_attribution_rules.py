"""Pure attribution rules: matching keys, validity window, protection and credit; masking."""

from datetime import UTC, datetime, timedelta

import pytest

from crm_leads.channel_reports import rules
from crm_shared.branches import BranchSettings, add_working_days
from crm_shared.phones import mask, normalize, parse_masked

pytestmark = pytest.mark.unit
T = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)


def test_names_match_without_spaces_or_case():
    assert rules.name_key(" 王 先生 ") == rules.name_key("王先生")
    assert rules.name_key("Ann Lee") == rules.name_key("annlee")
    assert rules.mask_key("b1", "138****5678", "王 先生") == rules.mask_key("b1", "138****5678", "王先生")


def test_full_numbers_claim_hash_and_mask_masked_only_mask():
    assert rules.claim_keys("b1", "h", "138****5678", "A") == ["b1:h:h", "b1:m:138****5678:a"]
    assert rules.claim_keys("b1", None, "138****5678", "A") == ["b1:m:138****5678:a"]


def test_validity_window_and_protection():
    s = BranchSettings(report_valid_days=7, protection_days=30)
    report = {"status": "accepted", "expires_at": rules.expires_at(T, s)}
    assert rules.is_live(report, T + timedelta(days=6, hours=23))
    assert not rules.is_live(report, T + timedelta(days=7))
    assert rules.confirms(report, T + timedelta(days=6)) and not rules.confirms(report, T + timedelta(days=7))
    confirmed = {"status": "confirmed", "protection_until": rules.protection_until(T + timedelta(days=2), s)}
    assert rules.is_live(confirmed, T + timedelta(days=31)) and not rules.is_live(confirmed, T + timedelta(days=32))
    assert not rules.is_live({"status": "expired"}, T) and not rules.is_live({"status": "rejected"}, T)
    assert not rules.confirms(confirmed, T)


def test_credit_only_inside_protection():
    attribution = {"partner_id": "p1", "protection_until": T}
    assert rules.credited_partner(attribution, T) == "p1"
    assert rules.credited_partner(attribution, T + timedelta(seconds=1)) is None
    assert rules.credited_partner({"partner_id": "p1", "protection_until": None}, T) is None
    assert rules.credited_partner(None, T) is None


def test_dispute_deadline_is_one_working_day():
    s = BranchSettings()
    friday = datetime(2026, 5, 8, 10, 0, tzinfo=UTC)
    assert add_working_days(friday, s.dispute_decision_working_days, s, "Asia/Shanghai").date().isoformat() == "2026-05-11"


def test_partner_mask_is_3_plus_4():
    e164 = normalize("13812345678")
    assert mask(e164) == "138****5678" and parse_masked(mask(e164)) == ("138", "5678")
    assert parse_masked("138*5678") is None
