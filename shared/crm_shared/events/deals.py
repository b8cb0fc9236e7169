"""Events produced by the deals service (docs/contract.md, "Events"): units (房源, 销控), deals (认购 → 签约 →
回款 → 退房/换房) and payouts (渠道结佣, 全民营销奖励).

Money is integer fen (分) everywhere in events; never floats.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from crm_shared.events.envelope import EventData, event
from crm_shared.events.leads import LEAD_ID
from crm_shared.events.reception import SealedVisitor

SOURCE = "deals"
ProductType = Literal["apartment", "high_rise", "garden_house", "villa", "shop", "parking", "other"]
UnitStatus = Literal["available", "held", "reserved", "sold"]
DealStatus = Literal["subscribed", "signed", "paid", "cancelled"]
PriceApproval = Literal["not_needed", "pending", "approved", "rejected"]
PayoutKind = Literal["commission", "referral_reward"]
PayoutStatus = Literal["pending", "due", "approved", "paid", "void", "clawback"]
FEN = "CNY in fen (分), an integer."
UNIT_ID = "The unit's id (房源, deals service)."
DEAL_ID = "The deal's id (deals service)."
PRODUCT_TYPE = "The unit's product type."
STAFF_ID = "Staff id of who did it."


class _Unit(EventData):
    unit_id: str = Field(description=UNIT_ID)
    project: str | None = Field(None, examples=["湾区壹号"], description="The project (楼盘) the unit belongs to.")
    building: str | None = Field(None, examples=["3栋"], description="The building (楼栋).")
    unit_no: str | None = Field(None, examples=["1201"], description="The unit number (房号).")
    product_type: ProductType | None = Field(None, description=PRODUCT_TYPE)
    list_price: int | None = Field(None, description=FEN, examples=[298000000])


@event("unit.created", SOURCE)
class UnitCreated(_Unit):
    """A unit was added to the branch's unit control sheet (销控表), by hand or by the sheet import."""

    area: str | None = Field(None, description="Floor area in m², a decimal string.", examples=["89.50"])
    floor: int | None = Field(None, examples=[12], description="The floor.")
    status: UnitStatus = Field("available", description="The unit's sales status (销控).")


@event("unit.status_changed", SOURCE)
class UnitStatusChanged(_Unit):
    """`available → reserved → sold`, `held` by a manager (销控保留), available again on cancellation or release."""

    status: UnitStatus = Field(description="The new sales status.")
    previous_status: UnitStatus | None = Field(None, description="The status before.")
    deal_id: str | None = Field(None, description="The deal that reserved or sold the unit, or released it.")


class Attribution(BaseModel):
    """Who is credited for the deal: a channel partner inside its protection, and/or a referrer (全民营销)."""

    partner_id: str | None = Field(None, description="The channel partner credited, inside its protection.")
    report_id: str | None = Field(None, description="The partner's confirmed channel report that protected the lead.")
    referrer_id: str | None = Field(None, description="The referrer credited (全民营销).")
    referrer_kind: Literal["employee", "owner", "public"] | None = Field(None, description="The referrer's kind.")


class _DealChange(EventData):
    deal_id: str = Field(description=DEAL_ID)
    lead_id: str = Field(description=LEAD_ID)
    unit_id: str = Field(description="The unit sold (`unit.created`).")
    owner_id: str | None = Field(None, description="The consultant who sells (the lead's owner at subscription).")
    agreed_price: int = Field(description=FEN, examples=[298000000])
    list_price: int | None = Field(None, description=FEN, examples=[308000000])
    product_type: ProductType | None = Field(None, description=PRODUCT_TYPE)
    attribution: Attribution = Field(default_factory=Attribution, description="Who is credited for the deal.")
    status: DealStatus | None = Field(None, description="The deal's status after this event.")
    customer_name: str | None = Field(None, examples=["王先生"], description="For notices and reports that name "
                                      "the customer, never the id.")
    unit_label: str | None = Field(None, examples=["湾区壹号 3栋 1201"], description="The unit as people name it "
                                   "(项目 楼栋 房号), for the lead's deal and notices.")


@event("deal.subscribed", SOURCE)
class DealSubscribed(_DealChange):
    """认购: the unit is reserved for this deal; a price below list × (1 − max_discount) waits for approval."""

    deposit: int = Field(0, description=FEN, examples=[5000000])
    price_approval: PriceApproval = Field("not_needed", description="`pending`: the price is below the discount "
                                          "limit and waits for a manager.")


@event("deal.price_approved", SOURCE)
class DealPriceApproved(_DealChange):
    """A manager approved a price below the branch's discount limit: the subscription stands."""

    decided_by: str | None = Field(None, description="Staff id of the manager who decided.")
    reason: str | None = Field(None, description="The manager's note, as typed.")
    discount: int | None = Field(None, description="list_price − agreed_price, " + FEN, examples=[10000000])


@event("deal.price_rejected", SOURCE)
class DealPriceRejected(_DealChange):
    """A manager rejected the price below the discount limit: the deal is cancelled and the unit available again."""

    decided_by: str | None = Field(None, description="Staff id of the manager who decided.")
    reason: str | None = Field(None, description="The manager's reason, as typed.")


@event("deal.signed", SOURCE)
class DealSigned(_DealChange):
    """签约: the unit is sold. Carries the buyer's contact sealed, for the customers service's owner archive."""

    contract_no: str = Field(examples=["HT-2026-0001"], description="The contract number (合同编号).")
    signed_at: datetime | None = Field(None, description="When the contract was signed, UTC.")
    customer: SealedVisitor | None = Field(None, description="The buyer: name, masked number, hash, sealed number.")


@event("deal.payment_received", SOURCE)
class DealPaymentReceived(_DealChange):
    """A payment of the buyer was recorded (回款)."""

    payment_id: str = Field(description="The payment's id.")
    amount: int = Field(description=FEN, examples=[89400000])
    paid_total: int = Field(description=FEN, examples=[94400000])
    paid_at: datetime | None = Field(None, description="When the money arrived, UTC.")
    method: str | None = Field(None, examples=["bank_transfer"], description="How it was paid.")


@event("deal.paid", SOURCE)
class DealPaid(_DealChange):
    """Payments reached the agreed price (房款到帐): commissions and rewards become due."""

    paid_total: int = Field(description=FEN, examples=[298000000])
    paid_at: datetime | None = Field(None, description="When the last payment arrived, UTC.")


@event("deal.cancelled", SOURCE)
class DealCancelled(_DealChange):
    """退房: the unit is available again; `refund` is what goes back to the customer."""

    reason: str = Field(examples=["financing_failed"], description="A code of the branch's cancellation reasons.")
    reason_name: str | None = Field(None, examples=["贷款未获批准"], description="The reason as people read it "
                                    "(the branch's word for the code), for reports' 换房/退房一览表.")
    refund: int = Field(0, description=FEN, examples=[5000000])
    paid_total: int = Field(0, description=FEN, examples=[5000000])
    previous_status: DealStatus | None = Field(None, description="The deal's status before the cancellation.")


@event("deal.unit_changed", SOURCE)
class DealUnitChanged(_DealChange):
    """换房: the deal moved to `unit_id` from `previous_unit_id`, keeping its history and attribution."""

    previous_unit_id: str = Field(description="The unit the deal moved away from.")
    previous_agreed_price: int | None = Field(None, description=FEN, examples=[276000000])
    previous_product_type: ProductType | None = Field(None, description="That unit's product type.")
    previous_unit_label: str | None = Field(None, examples=["湾区壹号 2栋 0801"], description="The unit moved away "
                                            "from, as people name it.")
    reason: str | None = Field(None, examples=["customer_request"], description="Why the unit changed: a code of the "
                               "branch's reasons, or free text.")
    reason_name: str | None = Field(None, description="The reason as people read it, when `reason` is a code.")


@event("deal.attribution_changed", SOURCE)
class DealAttributionChanged(_DealChange):
    """A dispute decided after subscription moved the credit (`attribution.decided`)."""

    previous_attribution: Attribution = Field(default_factory=Attribution, description="Who was credited before.")
    dispute_id: str | None = Field(None, description="The decided dispute (`attribution.decided`).")


class Beneficiary(BaseModel):
    """Who a payout goes to."""

    type: Literal["partner", "referrer"] = Field(description="A channel partner (commission) or a referrer (reward).")
    id: str = Field(description="The partner's or the referrer's id.")
    name: str | None = Field(None, examples=["链家深圳湾店"], description="Their name.")


class _PayoutChange(EventData):
    payout_id: str = Field(description="The payout's id (deals service).")
    kind: PayoutKind = Field(description="A channel commission (渠道结佣) or a referral reward (全民营销奖励).")
    beneficiary: Beneficiary = Field(description="Who is paid.")
    deal_id: str = Field(description="The deal that earned it.")
    amount: int = Field(description=FEN, examples=[2980000])
    status: PayoutStatus = Field(description="The payout's status after this event.")
    reward_form: Literal["cash", "property_fee", "shopping_card"] | None = Field(
        None, description="A referral reward's form: cash, property-fee credit or a shopping card.")
    product_type: ProductType | None = Field(None, description="The sold unit's product type.")
    customer_name: str | None = Field(None, examples=["王先生"], description="The buyer, for notices that name the "
                                      "customer (notify), never the id.")
    unit_id: str | None = Field(None, description="The sold unit.")


@event("payout.pending", SOURCE)
class PayoutPending(_PayoutChange):
    """Signed: the commission or reward exists but nothing is due before the money has arrived."""


@event("payout.due", SOURCE)
class PayoutDue(_PayoutChange):
    """The buyer paid in full: the commission or reward is due for approval."""


@event("payout.approved", SOURCE)
class PayoutApproved(_PayoutChange):
    """Finance approved the payout."""

    approved_by: str | None = Field(None, description=STAFF_ID)


@event("payout.paid", SOURCE)
class PayoutPaid(_PayoutChange):
    """The payout was paid (`reference`: the bank transfer)."""

    reference: str = Field(examples=["银行流水 20261130-0001"], description="The payment's reference, as typed.")
    paid_by: str | None = Field(None, description=STAFF_ID)


@event("payout.voided", SOURCE)
class PayoutVoided(_PayoutChange):
    """Cancelled before payout (`void`), or after it (`clawback`: the amount is to be recovered)."""

    reason: str | None = Field(None, description="Why, as typed or a cancellation's code.")
