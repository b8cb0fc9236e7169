"""Events produced by the deals service (docs/contract.md, "Events"): units (房源, 销控), deals (认购 → 签约 →
回款 → 退房/换房) and payouts (渠道结佣, 全民营销奖励).

Money is integer fen (分) everywhere in events; never floats.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from crm_shared.events.envelope import EventData, event
from crm_shared.events.reception import SealedVisitor

SOURCE = "deals"
ProductType = Literal["apartment", "high_rise", "garden_house", "villa", "shop", "parking", "other"]
UnitStatus = Literal["available", "held", "reserved", "sold"]
DealStatus = Literal["subscribed", "signed", "paid", "cancelled"]
PriceApproval = Literal["not_needed", "pending", "approved", "rejected"]
PayoutKind = Literal["commission", "referral_reward"]
PayoutStatus = Literal["pending", "due", "approved", "paid", "void", "clawback"]
FEN = "CNY in fen (分), an integer."


class _Unit(EventData):
    unit_id: str
    project: str | None = Field(None, examples=["湾区壹号"])
    building: str | None = Field(None, examples=["3栋"])
    unit_no: str | None = Field(None, examples=["1201"])
    product_type: ProductType | None = None
    list_price: int | None = Field(None, description=FEN, examples=[298000000])


@event("unit.created", SOURCE)
class UnitCreated(_Unit):
    """A unit was added to the branch's unit control sheet (销控表), by hand or by the sheet import."""

    area: str | None = Field(None, description="Floor area in m², a decimal string.", examples=["89.50"])
    floor: int | None = None
    status: UnitStatus = "available"


@event("unit.status_changed", SOURCE)
class UnitStatusChanged(_Unit):
    """`available → reserved → sold`, `held` by a manager (销控保留), available again on cancellation or release."""

    status: UnitStatus
    previous_status: UnitStatus | None = None
    deal_id: str | None = Field(None, description="The deal that reserved or sold the unit, or released it.")


class Attribution(BaseModel):
    """Who is credited for the deal: a channel partner inside its protection, and/or a referrer (全民营销)."""

    partner_id: str | None = None
    report_id: str | None = Field(None, description="The partner's confirmed channel report that protected the lead.")
    referrer_id: str | None = None
    referrer_kind: Literal["employee", "owner", "public"] | None = None


class _DealChange(EventData):
    deal_id: str
    lead_id: str
    unit_id: str
    owner_id: str | None = Field(None, description="The consultant who sells (the lead's owner at subscription).")
    agreed_price: int = Field(description=FEN)
    list_price: int | None = Field(None, description=FEN)
    product_type: ProductType | None = None
    attribution: Attribution = Field(default_factory=Attribution)
    status: DealStatus | None = None
    customer_name: str | None = Field(None, examples=["王先生"], description="For notices and reports that name "
                                      "the customer, never the id.")
    unit_label: str | None = Field(None, examples=["湾区壹号 3栋 1201"], description="The unit as people name it "
                                   "(项目 楼栋 房号), for the lead's deal and notices.")


@event("deal.subscribed", SOURCE)
class DealSubscribed(_DealChange):
    """认购: the unit is reserved for this deal; a price below list × (1 − max_discount) waits for approval."""

    deposit: int = Field(0, description=FEN)
    price_approval: PriceApproval = "not_needed"


@event("deal.price_approved", SOURCE)
class DealPriceApproved(_DealChange):
    decided_by: str | None = None
    reason: str | None = None
    discount: int | None = Field(None, description="list_price − agreed_price, " + FEN)


@event("deal.price_rejected", SOURCE)
class DealPriceRejected(_DealChange):
    decided_by: str | None = None
    reason: str | None = None


@event("deal.signed", SOURCE)
class DealSigned(_DealChange):
    """签约: the unit is sold. Carries the buyer's contact sealed, for the customers service's owner archive."""

    contract_no: str = Field(examples=["HT-2026-0001"])
    signed_at: datetime | None = None
    customer: SealedVisitor | None = Field(None, description="The buyer: name, masked number, hash, sealed number.")


@event("deal.payment_received", SOURCE)
class DealPaymentReceived(_DealChange):
    payment_id: str
    amount: int = Field(description=FEN)
    paid_total: int = Field(description=FEN)
    paid_at: datetime | None = None
    method: str | None = Field(None, examples=["bank_transfer"])


@event("deal.paid", SOURCE)
class DealPaid(_DealChange):
    """Payments reached the agreed price (房款到帐): commissions and rewards become due."""

    paid_total: int = Field(description=FEN)
    paid_at: datetime | None = None


@event("deal.cancelled", SOURCE)
class DealCancelled(_DealChange):
    """退房: the unit is available again; `refund` is what goes back to the customer."""

    reason: str = Field(examples=["financing_failed"], description="A code of the branch's cancellation reasons.")
    reason_name: str | None = Field(None, examples=["贷款未获批准"], description="The reason as people read it "
                                    "(the branch's word for the code), for reports' 换房/退房一览表.")
    refund: int = Field(0, description=FEN)
    paid_total: int = Field(0, description=FEN)
    previous_status: DealStatus | None = None


@event("deal.unit_changed", SOURCE)
class DealUnitChanged(_DealChange):
    """换房: the deal moved to `unit_id` from `previous_unit_id`, keeping its history and attribution."""

    previous_unit_id: str
    previous_agreed_price: int | None = Field(None, description=FEN)
    previous_product_type: ProductType | None = None
    previous_unit_label: str | None = Field(None, examples=["湾区壹号 2栋 0801"], description="The unit moved away "
                                            "from, as people name it.")
    reason: str | None = None
    reason_name: str | None = Field(None, description="The reason as people read it, when `reason` is a code.")


@event("deal.attribution_changed", SOURCE)
class DealAttributionChanged(_DealChange):
    """A dispute decided after subscription moved the credit (`attribution.decided`)."""

    previous_attribution: Attribution = Field(default_factory=Attribution)
    dispute_id: str | None = None


class Beneficiary(BaseModel):
    type: Literal["partner", "referrer"]
    id: str
    name: str | None = None


class _PayoutChange(EventData):
    payout_id: str
    kind: PayoutKind
    beneficiary: Beneficiary
    deal_id: str
    amount: int = Field(description=FEN)
    status: PayoutStatus
    reward_form: Literal["cash", "property_fee", "shopping_card"] | None = None
    product_type: ProductType | None = None
    customer_name: str | None = Field(None, examples=["王先生"], description="The buyer, for notices that name the "
                                      "customer (notify), never the id.")
    unit_id: str | None = None


@event("payout.pending", SOURCE)
class PayoutPending(_PayoutChange):
    """Signed: the commission or reward exists but nothing is due before the money has arrived."""


@event("payout.due", SOURCE)
class PayoutDue(_PayoutChange):
    pass


@event("payout.approved", SOURCE)
class PayoutApproved(_PayoutChange):
    approved_by: str | None = None


@event("payout.paid", SOURCE)
class PayoutPaid(_PayoutChange):
    reference: str = Field(examples=["银行流水 20261130-0001"])
    paid_by: str | None = None


@event("payout.voided", SOURCE)
class PayoutVoided(_PayoutChange):
    """Cancelled before payout (`void`), or after it (`clawback`: the amount is to be recovered)."""

    reason: str | None = None
