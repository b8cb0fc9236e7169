"""Pure attribution rules: matching keys, validity window, protection and credit; masking."""

from datetime import UTC, datetime, timedelta

import pytest

from crm_leads.channel_reports import rules
from crm_shared.branches import BranchSettings, add_working_days
from crm_shared.phones import core_of, mask, normalize, parse_mask, parse_masked, pattern_of, patterns_agree

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
    friday = datetime(2026, 5, 8, 10, 0, tzinfo=UTC)
    s = BranchSettings()
    assert add_working_days(friday, s.dispute_decision_working_days, s, "Asia/Shanghai").date().isoformat() == "2026-05-09", \
        "sales offices work the whole week by default"
    weekdays = BranchSettings(working_days=[0, 1, 2, 3, 4])
    assert add_working_days(friday, weekdays.dispute_decision_working_days, weekdays, "Asia/Shanghai").date().isoformat() == "2026-05-11"


def test_partner_mask_is_3_plus_4():
    e164 = normalize("13812345678")
    assert mask(e164) == "138****5678" and parse_masked(mask(e164)) == ("138", "5678")
    assert parse_masked("138*5678") is None


def test_both_mask_forms_and_what_each_shows():
    e164 = normalize("13812345678")
    assert parse_mask("138****5678") == "138****5678" and parse_mask(" 1381**45678 ") == "1381**45678"
    for not_a_mask in ("1381****5678", "138**5678", "13812345678", "138****567", "1381*45678"):
        assert parse_mask(not_a_mask) is None, not_a_mask
    assert pattern_of(e164) == "1381**45678" and core_of("1381**45678") == "138****5678" == core_of("138****5678")
    assert patterns_agree(pattern_of(e164), "138****5678") and patterns_agree(pattern_of(e164), "1381**45678")
    assert not patterns_agree(pattern_of(e164), "1382**45678"), "the 4th digit the 4+5 form shows"
    assert not patterns_agree(pattern_of(e164), "1381**55678"), "the 7th digit too"
    assert patterns_agree("138****5678", "1389**95678"), "a 3+4 mask shows neither"
    assert not patterns_agree("1381**45678", "1382**45678")
    assert rules.same_customer("h1", "1381**45678", "h2", "1381**45678") is False, "two full numbers compare whole"
    assert rules.same_customer(None, "138****5678", "h2", "1381**45678")


def test_follow_up_lapse_comes_before_the_reports_own_end_only():
    s = BranchSettings(report_valid_days=7, report_lapse_days=5)
    report = {"status": "accepted", "expires_at": rules.expires_at(T, s), "follow_up_due_at": rules.follow_up_due(T, s)}
    assert rules.is_live(report, T + timedelta(days=4, hours=23)) and not rules.lapsed(report, T + timedelta(days=4))
    assert rules.lapsed(report, T + timedelta(days=5)) and not rules.is_live(report, T + timedelta(days=5))
    assert not rules.confirms(report, T + timedelta(days=6)), "a lapsed report is not confirmed by a later visit"
    late = report | {"follow_up_due_at": report["expires_at"]}
    assert not rules.lapsed(late, T + timedelta(days=8)), "validity ended first: an expiry, not a lapse"
    legacy = {"status": "accepted", "expires_at": rules.expires_at(T, s)}
    assert rules.is_live(legacy, T + timedelta(days=6)), "reports from before the rule never lapse"


def test_renewal_window_and_calendar_months():
    s = BranchSettings(renewal_window_days=10, confirmation_months=2)
    until = datetime(2026, 3, 31, 4, 0, tzinfo=UTC)
    assert rules.renewable_from({"status": "confirmed", "protection_until": until}, s) == until - timedelta(days=10)
    assert rules.renewable_from({"status": "accepted", "expires_at": until}, s) is None
    assert rules.add_months(until, 2, "Asia/Shanghai") == datetime(2026, 5, 31, 4, 0, tzinfo=UTC)
    assert rules.add_months(datetime(2025, 12, 31, 4, 0, tzinfo=UTC), 2, "Asia/Shanghai").date().isoformat() == "2026-02-28"


def test_same_day_arrival():
    s = BranchSettings(same_day_grace_minutes=60)
    lead = {"visited_at": T, "created_by": "visit:v1"}
    assert rules.same_day_arrival(lead, False, T + timedelta(minutes=60), s, "Asia/Shanghai")
    assert not rules.same_day_arrival(lead, False, T + timedelta(minutes=61), s, "Asia/Shanghai")
    assert rules.same_day_arrival(lead, True, T + timedelta(hours=12), s, "Asia/Shanghai"), "recorded: the whole day"
    assert not rules.same_day_arrival(lead, True, T + timedelta(hours=14), s, "Asia/Shanghai"), "10:00 + 14 h is tomorrow"
    assert not rules.same_day_arrival(lead | {"created_by": "staff-1"}, True, T, s, "Asia/Shanghai"), \
        "a lead registered before the visit is the office's"
