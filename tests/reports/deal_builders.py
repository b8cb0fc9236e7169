"""A scripted stretch of deals at sz-bay (Asia/Shanghai): units, four deals, a discount, a cancellation
after signing, one before it, a unit change after signing, payments and payouts — as deals publishes them."""

from __future__ import annotations

from crm_shared.events.deals import (
    Attribution, Beneficiary, DealCancelled, DealPaid, DealPaymentReceived, DealPriceApproved, DealSigned,
    DealSubscribed, DealUnitChanged, PayoutApproved, PayoutDue, PayoutPaid, PayoutPending, PayoutVoided, UnitCreated,
)
from crm_shared.events.leads import (BranchConfigured, LeadRegistered, LeadSource, PartnerRegistered, ReferrerRegistered,
                                     StaffJoined)
from tests.reports.builders import BRANCH, at, customer, ev

YUAN = 100  # fen per yuan
UNITS = {"U1": ("apartment", 2_000_000), "U2": ("villa", 5_000_000), "U3": ("garden_house", 3_000_000),
         "U4": ("villa", 6_000_000)}
DEALS = {  # deal: lead, unit, owner, agreed price (yuan), attribution, customer
    "D1": ("L1", "U1", "c1", 1_950_000, Attribution(), "王先生"),
    "D2": ("L2", "U2", "c2", 4_700_000, Attribution(partner_id="p1", report_id="rep1"), "赵女士"),
    "D3": ("L3", "U3", "c1", 3_000_000, Attribution(referrer_id="r1", referrer_kind="owner"), "钱先生"),
    "D4": ("L4", "U4", "c2", 6_000_000, Attribution(), "孙女士"),
}


def deal(cls, deal_id: str, when: str, **extra):
    lead, unit, owner, price, attribution, name = DEALS[deal_id]
    ptype, list_price = UNITS[extra.get("unit_id", unit)]
    fields = dict(deal_id=deal_id, lead_id=lead, unit_id=unit, owner_id=owner, agreed_price=price * YUAN,
                  list_price=list_price * YUAN, product_type=ptype, attribution=attribution, customer_name=name)
    return ev(cls(**(fields | extra)), when, subject=deal_id)


def payout(cls, pid: str, kind: str, btype: str, bid: str, deal_id: str, amount: int, status: str, when: str, **extra):
    data = cls(payout_id=pid, kind=kind, beneficiary=Beneficiary(type=btype, id=bid), deal_id=deal_id,
               amount=amount * YUAN, status=status, **extra)
    return ev(data, when, subject=pid)


def office() -> list:
    staff = [StaffJoined(staff_id="c1", role="consultant", name="张三"), StaffJoined(staff_id="c2", role="consultant", name="李四"),
             StaffJoined(staff_id="m1", role="manager", name="王经理")]
    leads = [("L1", "phone", None, None), ("L2", "partner", "p1", None), ("L3", "referral", None, "r1"), ("L4", "walk_in", None, None)]
    return [
        ev(BranchConfigured(branch_id=BRANCH, name="深圳湾售楼处", timezone="Asia/Shanghai", settings={}), "2026-03-01T00:00:00"),
        *[ev(s, "2026-03-01T00:00:00", subject=s.staff_id) for s in staff],
        ev(PartnerRegistered(partner_id="p1", kind="agency", name="链家湾区店"), "2026-03-01T00:00:00", subject="p1"),
        ev(ReferrerRegistered(referrer_id="r1", kind="owner", name="李业主"), "2026-03-01T00:00:00", subject="r1"),
        *[ev(UnitCreated(unit_id=u, project="湾区壹号", building=f"{n + 1}栋", unit_no="1201", product_type=t,
                         list_price=p * YUAN), "2026-03-01T00:00:00", subject=u) for n, (u, (t, p)) in enumerate(UNITS.items())],
        *[ev(LeadRegistered(lead_id=lead, customer=customer(n), owner_id=DEALS[f"D{n}"][2],
                            source=LeadSource(channel=channel, partner_id=partner, referrer_id=referrer)),
             "2026-03-09T02:00:00", subject=lead) for n, (lead, channel, partner, referrer) in enumerate(leads, start=1)],
    ]


def deal_days() -> list:
    """10 March: four subscriptions, a discount approved, three signings, D4 cancelled before signing;
    11 March (branch time): D1 paid in full, D3 cancelled after signing, D2 moved to another unit; payouts."""
    return office() + [
        deal(DealSubscribed, "D1", "2026-03-10T01:00:00", deposit=50_000 * YUAN),
        deal(DealSubscribed, "D2", "2026-03-10T01:10:00", price_approval="pending"),
        deal(DealSubscribed, "D3", "2026-03-10T01:20:00"),
        deal(DealSubscribed, "D4", "2026-03-10T01:30:00"),
        deal(DealPriceApproved, "D2", "2026-03-10T02:00:00", decided_by="m1", reason="老客户团购", discount=300_000 * YUAN),
        deal(DealSigned, "D1", "2026-03-10T03:00:00", contract_no="HT-1", status="signed"),
        deal(DealSigned, "D2", "2026-03-10T03:10:00", contract_no="HT-2", status="signed"),
        deal(DealSigned, "D3", "2026-03-10T15:50:00", contract_no="HT-3", status="signed",
             signed_at=at("2026-03-10T15:30:00")),  # 23:30 on the 10th, branch time
        deal(DealCancelled, "D4", "2026-03-10T05:00:00", reason="客户资金不足", refund=0, previous_status="subscribed",
             status="cancelled"),
        payout(PayoutPending, "PO1", "commission", "partner", "p1", "D2", 141_000, "pending", "2026-03-10T03:10:00"),
        payout(PayoutPending, "PO2", "referral_reward", "referrer", "r1", "D3", 2_500, "pending", "2026-03-10T15:50:00"),
        deal(DealPaymentReceived, "D1", "2026-03-11T02:00:00", payment_id="PAY1", amount=1_950_000 * YUAN,
             paid_total=1_950_000 * YUAN, status="signed"),
        deal(DealPaid, "D1", "2026-03-11T02:00:01", paid_total=1_950_000 * YUAN, status="paid"),
        deal(DealCancelled, "D3", "2026-03-11T03:00:00", reason="financing_failed", refund=100_000 * YUAN,
             paid_total=100_000 * YUAN, previous_status="signed", status="cancelled"),
        payout(PayoutVoided, "PO2", "referral_reward", "referrer", "r1", "D3", 2_500, "void", "2026-03-11T03:00:00",
               reason="退房"),
        deal(DealUnitChanged, "D2", "2026-03-11T04:00:00", unit_id="U3", agreed_price=2_900_000 * YUAN,
             list_price=3_000_000 * YUAN, product_type="garden_house", previous_unit_id="U2",
             previous_agreed_price=4_700_000 * YUAN, reason="downgrade", status="signed"),
        payout(PayoutDue, "PO1", "commission", "partner", "p1", "D2", 141_000, "due", "2026-03-11T05:00:00"),
        payout(PayoutApproved, "PO1", "commission", "partner", "p1", "D2", 141_000, "approved", "2026-03-11T06:00:00",
               approved_by="m1"),
        payout(PayoutPaid, "PO1", "commission", "partner", "p1", "D2", 141_000, "paid", "2026-03-11T07:00:00",
               reference="银行流水 20260311-0001"),
    ]
