"""Pure rules of units and deals: money in fen, the approval threshold at its exact boundary, attribution at
subscription (inside and outside protection, referral, a decided dispute), payments and refunds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from crm_shared.errors import Conflict, Invalid
from crm_deals.deals import rules
from crm_deals.units import rules as units

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def test_money_round_trips_in_fen():
    assert units.to_fen(Decimal("2980000.50")) == 298000050
    assert units.from_fen(298000050) == "2980000.50"
    assert units.from_fen(5) == "0.05" and units.from_fen(-300) == "-3.00"
    assert units.to_fen(Decimal("0.1") + Decimal("0.2")) == 30  # no binary float anywhere


def test_unit_key_folds_width_case_and_spaces():
    assert units.unit_key("b", "湾区壹号", " 3栋", "A1201") == units.unit_key("b", "湾区壹号", "3栋", "ａ1201")
    assert units.unit_key("b", "P", None, "1") != units.unit_key("b", "P", "1栋", "1")
    assert units.label("湾区壹号", None, "1201") == "湾区壹号 1201"


def test_the_approval_threshold_is_exact_at_the_boundary():
    limit = Decimal("0.03")
    assert not rules.needs_approval(100000000, 97000000, limit)  # exactly list × 97%
    assert rules.needs_approval(100000000, 96999999, limit)  # one fen below
    assert not rules.needs_approval(100000000, 120000000, limit)  # above list
    # a list price whose 97% is not a whole fen: 333.33 × 0.97 = 323.3301
    assert rules.needs_approval(33333, 32333, limit) and not rules.needs_approval(33333, 32334, limit)
    assert rules.lowest_without_approval(33333, limit) == "323.34"
    assert not rules.needs_approval(100, 100, Decimal(0)) and rules.needs_approval(100, 99, Decimal(0))


def _report(until, status="confirmed", ended=None, partner="p1", _id="rep1"):
    return {"_id": _id, "partner_id": partner, "protection_until": until, "status": status, "ended_at": ended}


def test_a_confirmed_report_credits_its_partner_only_inside_protection():
    lead = {"channel": "partner"}
    inside = rules.attribution_at(lead, [_report(NOW + timedelta(days=1))], None, 30, NOW)
    assert inside["partner_id"] == "p1" and inside["report_id"] == "rep1"
    assert rules.attribution_at(lead, [_report(NOW)], None, 30, NOW)["partner_id"] == "p1"  # the last instant counts
    assert rules.attribution_at(lead, [_report(NOW - timedelta(seconds=1))], None, 30, NOW)["partner_id"] is None
    lapsed = _report(NOW + timedelta(days=9), status="expired", ended=NOW - timedelta(days=1))
    assert rules.attribution_at(lead, [lapsed], None, 30, NOW)["partner_id"] is None


def test_a_referral_lead_credits_its_referrer_unless_a_partner_is_protected():
    lead = {"channel": "referral", "referrer_id": "r1"}
    alone = rules.attribution_at(lead, [], "owner", 30, NOW)
    assert (alone["referrer_id"], alone["referrer_kind"], alone["partner_id"]) == ("r1", "owner", None)
    both = rules.attribution_at(lead, [_report(NOW + timedelta(days=1))], "owner", 30, NOW)
    assert both["partner_id"] == "p1" and both["referrer_id"] is None
    assert rules.attribution_at({"channel": "walk_in", "referrer_id": "r1"}, [], None, 30, NOW)["referrer_id"] is None


def test_a_decision_rules_the_attribution():
    decided = {"winner": "p2", "report_id": "rep1", "report_partner_id": "p1", "at": NOW - timedelta(days=2),
               "dispute_id": "d1"}
    lead = {"channel": "partner", "decision": decided}
    out = rules.attribution_at(lead, [_report(NOW + timedelta(days=5))], None, 30, NOW)
    assert out["partner_id"] == "p2" and out["report_id"] is None  # the loser's report is not the winner's
    assert rules.attribution_at(lead, [], None, 1, NOW)["partner_id"] is None  # 1 day from the decision: over
    nobody = {"channel": "partner", "decision": decided | {"winner": None}}
    assert rules.attribution_at(nobody, [_report(NOW + timedelta(days=5))], None, 30, NOW)["partner_id"] is None


def test_a_later_decision_moves_the_credit():
    current = {"partner_id": "p1", "report_id": "rep1", "referrer_id": None, "referrer_kind": None}
    moved = rules.decided_attribution(current, {"winner": "p2", "report_id": "rep1", "report_partner_id": "p1"})
    assert moved == {"partner_id": "p2", "report_id": None, "referrer_id": None, "referrer_kind": None}
    kept = rules.decided_attribution({"referrer_id": "r1", "referrer_kind": "public"}, {"winner": None})
    assert kept["referrer_id"] == "r1" and kept["partner_id"] is None


def test_payments_and_refunds():
    rules.check_payment("signed", 1000, 400, 600)
    with pytest.raises(Conflict) as over:
        rules.check_payment("signed", 1000, 400, 601)
    assert over.value.kind == "overpayment" and over.value.fields["remaining"] == "6.00"
    with pytest.raises(Conflict) as early:
        rules.check_payment("subscribed", 1000, 0, 1)
    assert early.value.kind == "wrong-status"
    rules.check_refund(500, 500)
    with pytest.raises(Invalid):
        rules.check_refund(500, 501)
    with pytest.raises(Invalid):
        rules.check_deposit(1000, 1001)
    assert rules.reached(1000, 1000) and not rules.reached(1000, 999)
