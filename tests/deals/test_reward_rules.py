"""Pure payout rules: the public tier table at every band edge and for the 1st, 2nd and 3rd+ paid deal,
employee and owner rewards, the commission rounded half up to the fen, band validation, and the payout
lifecycle plan (nothing due before full payment, void, claw-back, credit moved, unit changed)."""

from decimal import Decimal

import pytest

from crm_deals.payouts import lifecycle, rules
from crm_deals.payouts.rules import DEFAULTS

pytestmark = pytest.mark.unit
Y = 100  # fen per yuan
TIERS = DEFAULTS["public_tiers"]

# (product type, agreed price in yuan, expected reward in yuan for the 1st, 2nd, 3rd, 4th paid deal)
BAND_EDGES = [
    ("villa", Decimal("3000000.00"), (10000, 12000, 15000, 15000)),
    ("villa", Decimal("9999999.99"), (10000, 12000, 15000, 15000)),
    ("villa", Decimal("2999999.99"), (4000, 6000, 10000, 10000)),
    ("villa", Decimal("1800000.00"), (4000, 6000, 10000, 10000)),
    ("villa", Decimal("1799999.99"), (0, 0, 0, 0)),
    ("garden_house", Decimal("500000.00"), (2500, 3000, 3500, 3500)),
    ("garden_house", Decimal("999999.99"), (2500, 3000, 3500, 3500)),
    ("garden_house", Decimal("1000000.00"), (0, 0, 0, 0)),
    ("garden_house", Decimal("499999.99"), (0, 0, 0, 0)),
    ("high_rise", Decimal("500000.00"), (2000, 2500, 3000, 3000)),
    ("high_rise", Decimal("999999.99"), (2000, 2500, 3000, 3000)),
    ("high_rise", Decimal("1000000.00"), (0, 0, 0, 0)),
    ("high_rise", Decimal("499999.99"), (0, 0, 0, 0)),
    ("apartment", Decimal("800000.00"), (0, 0, 0, 0)),  # the seed office has no public tier for apartments
]


@pytest.mark.parametrize(("product", "price", "expected"), BAND_EDGES, ids=[f"{p}-{v}" for p, v, _ in BAND_EDGES])
def test_public_tiers_at_band_edges_for_the_nth_paid_deal(product, price, expected):
    fen = rules.to_fen(price)
    got = tuple(rules.public_reward(TIERS, product, fen, nth) // Y for nth in (1, 2, 3, 4))
    assert got == expected
    assert tuple(rules.referral_reward(DEFAULTS, "public", product, fen, n) // Y for n in (1, 2, 3, 4)) == expected


def test_employee_rewards_by_product_class_and_the_owner_fixed_reward():
    price = rules.to_fen(Decimal("2500000"))
    employee = {p: rules.referral_reward(DEFAULTS, "employee", p, price, 1) // Y for p in rules.PRODUCT_TYPES}
    assert employee == {"apartment": 3000, "high_rise": 3000, "garden_house": 3000, "villa": 12000,
                        "shop": 0, "parking": 0, "other": 0}
    assert {rules.referral_reward(DEFAULTS, "owner", p, price, n) for p in rules.PRODUCT_TYPES for n in (1, 5)} == {5000 * Y}
    assert rules.referral_reward(DEFAULTS, None, "villa", price, 1) == 0, "an unknown kind earns nothing"
    assert rules.reward_form(DEFAULTS, "owner") == "property_fee" and rules.reward_form(DEFAULTS, "public") == "cash"


@pytest.mark.parametrize(("price_fen", "percent", "expected"), [
    (298_000_000, "1.5", 4_470_000),      # 2,980,000.00 × 1.5 % = 44,700.00
    (100_000_033, "1.5", 1_500_000),      # 1,000,000.33 × 1.5 % = 15,000.00495 → 15,000.00 (below half a fen)
    (100_000_034, "1.5", 1_500_001),      # 15,000.0051 → 15,000.01
    (100, "0.5", 1),                      # 1.00 × 0.5 % = 0.005 → 0.01: half a fen rounds up
    (100, "0.4999", 0),                   # 0.004999 → 0.00
    (99_999_999, "100", 99_999_999),
    (298_000_000, "0", 0),
    (123_456_789, "2.125", 2_623_457),    # 1,234,567.89 × 2.125 % = 26,234.5676625 → 26,234.57
])
def test_commission_is_rounded_half_up_to_the_fen(price_fen, percent, expected):
    assert rules.commission(price_fen, Decimal(percent)) == expected
    assert rules.commission(price_fen, percent) == expected


def test_bands_that_overlap_or_are_empty_are_found():
    assert rules.overlaps(TIERS) == [] and rules.empty_bands(TIERS) == []
    bad = [*TIERS, {"product_type": "villa", "min_price": 2_500_000 * Y, "max_price": 2_800_000 * Y, "rewards": [1]}]
    assert rules.overlaps(bad) == [(1, 4)]
    open_top = [{"product_type": "shop", "min_price": 0, "max_price": None, "rewards": [1]},
                {"product_type": "shop", "min_price": 10 ** 9, "max_price": None, "rewards": [1]}]
    assert rules.overlaps(open_top) == [(0, 1)]
    touching = [{"product_type": "shop", "min_price": 0, "max_price": 100, "rewards": [1]},
                {"product_type": "shop", "min_price": 100, "max_price": None, "rewards": [1]}]
    assert rules.overlaps(touching) == [], "a band's max is excluded, so the next may start there"
    assert rules.empty_bands([{"product_type": "shop", "min_price": 100, "max_price": 100, "rewards": [1]}]) == [0]


def test_nth_paid_is_the_deals_place_and_stable_on_repeat():
    assert rules.nth_paid([], "d1") == 1
    assert rules.nth_paid(["d0", "d1", "d2"], "d1") == 2
    assert rules.nth_paid(["d0", "d2"], "d9") == 3


def test_money_strings():
    assert rules.from_fen(4_470_000) == "44700.00" and rules.from_fen(5) == "0.05" and rules.from_fen(-150) == "-1.50"
    assert rules.to_fen(Decimal("2980000.5")) == 298_000_050


# --- the lifecycle plan

def deal(**kw):
    return {"_id": "d1", "agreed_price": 200_000_000, "product_type": "villa",
            "attribution": {"partner_id": "p1", "referrer_id": "r1"}, **kw}


def payout(kind="commission", btype="partner", bid="p1", status="pending", amount=3_000_000):
    return {"key": lifecycle.key("d1", kind, btype, bid), "status": status, "amount": amount}


def test_nothing_before_signing_then_pending_then_due_only_when_paid():
    assert lifecycle.wanted(deal(), DEFAULTS, "public", 1) == {}
    signed = lifecycle.wanted(deal(signed=True), DEFAULTS, "public", 1)
    assert sorted((w.kind, w.beneficiary_id, w.amount) for w in signed.values()) == [
        ("commission", "p1", 3_000_000), ("referral_reward", "r1", 400_000)]
    commission = signed[lifecycle.key("d1", "commission", "partner", "p1")]
    assert lifecycle.step(payout(), commission, deal(signed=True)) is None
    assert lifecycle.step(payout(), commission, deal(signed=True, paid=True)) == lifecycle.Step("due", 3_000_000)


def test_cancelled_voids_what_is_not_paid_and_claws_back_what_is():
    gone = deal(signed=True, paid=True, cancelled=True)
    assert lifecycle.wanted(gone, DEFAULTS, "public", 1) == {}
    for status in ("pending", "due", "approved"):
        assert lifecycle.step(payout(status=status), None, gone) == lifecycle.Step("void", 3_000_000, "deal_cancelled")
    assert lifecycle.step(payout(status="paid"), None, gone) == lifecycle.Step("clawback", 3_000_000, "deal_cancelled")
    assert lifecycle.step(payout(status="void"), None, gone) is None
    assert lifecycle.step(payout(status="clawback"), None, gone) is None


def test_a_moved_credit_voids_the_old_and_wants_the_new():
    moved = deal(signed=True, attribution={"partner_id": "p2"})
    wants = lifecycle.wanted(moved, DEFAULTS, None, 1)
    assert [w.beneficiary_id for w in wants.values()] == ["p2"]
    assert lifecycle.step(payout(), wants.get(payout()["key"]), moved) == lifecycle.Step("void", 3_000_000,
                                                                                        "no_longer_credited")


def test_a_unit_change_recomputes_unpaid_and_an_approved_one_goes_back_to_due():
    cheaper = deal(signed=True, paid=True, agreed_price=100_000_000)
    want = lifecycle.wanted(cheaper, DEFAULTS, "public", 1)[payout()["key"]]
    assert want.amount == 1_500_000
    assert lifecycle.step(payout(status="due"), want, cheaper) == lifecycle.Step("due", 1_500_000)
    assert lifecycle.step(payout(status="approved"), want, cheaper) == lifecycle.Step("due", 1_500_000)
    assert lifecycle.step(payout(status="approved", amount=1_500_000), want, cheaper) is None
    assert lifecycle.step(payout(status="paid"), want, cheaper) is None, "a paid payout is settled"


def test_a_zero_reward_makes_no_payout():
    parking = deal(signed=True, product_type="parking", attribution={"referrer_id": "r1"})
    assert lifecycle.wanted(parking, DEFAULTS, "employee", 1) == {}
    free = dict(DEFAULTS, commission_percent="0")
    assert lifecycle.wanted(deal(signed=True, attribution={"partner_id": "p1"}), free, None, 1) == {}
