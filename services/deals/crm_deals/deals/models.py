"""Deal shapes (认购 → 签约 → 回款, 换房, 退房) and the branch's deal settings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crm_shared.events.deals import DealStatus, PriceApproval, ProductType
from crm_shared.text import Line, Moment, Paragraph

from crm_deals.settings import CancelReason
from crm_deals.units.models import ID_FIELD, Money, MoneyOrZero

PaymentMethod = Literal["bank_transfer", "mortgage", "provident_fund", "pos", "cash", "wechat", "alipay", "cheque",
                        "other"]
METHOD_NAMES = {"bank_transfer": "银行转账", "mortgage": "按揭放款", "provident_fund": "公积金贷款", "pos": "POS刷卡",
                "cash": "现金", "wechat": "微信支付", "alipay": "支付宝", "cheque": "支票", "other": "其他"}
STATUS_NAMES = {"subscribed": "已认购", "signed": "已签约", "paid": "已回款", "cancelled": "已退房"}
APPROVAL_NAMES = {"not_needed": "无需核定", "pending": "待核定", "approved": "已核定", "rejected": "已驳回"}
STAGE_NAMES = {"subscribed": "认购", "price_approved": "价格核定通过", "price_rejected": "价格核定驳回", "signed": "签约",
               "payment": "回款", "paid": "房款结清", "unit_changed": "换房", "attribution_changed": "归属变更",
               "cancelled": "退房"}
Id = Annotated[str, Field(**ID_FIELD)]


class DealIn(BaseModel):
    """认购: sell a unit to the customer of a lead; the unit is reserved for the deal at once."""

    model_config = ConfigDict(extra="forbid")
    lead_id: Id
    unit_id: Id
    agreed_price: Money
    deposit: MoneyOrZero = Field(Decimal(0), description="定金 received at subscription; counts toward the price.")
    note: Paragraph(500) | None = None


class ApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approved", "rejected"]
    reason: Paragraph(500) | None = Field(None, description="Required to reject.", examples=["老业主优惠，同意"])


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contract_no: Line(50) = Field(examples=["HT-2026-0001"])
    signed_at: Moment | None = Field(None, description="When the contract was signed; now if left out.")


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Money
    paid_at: Moment
    method: PaymentMethod
    reference: Line(100) | None = Field(None, examples=["银行流水 20261130-0001"])


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="A code of the branch's cancellation reasons.",
                        examples=["financing_failed"])
    refund: MoneyOrZero = Field(Decimal(0), description="What goes back to the customer; at most what was paid.")
    note: Paragraph(500) | None = None


class ChangeUnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit_id: Id
    agreed_price: Money | None = Field(None, description="The price on the new unit; the current one if left out.")
    reason: Paragraph(500) | None = Field(None, examples=["客户换大户型"])


class DealSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_discount: Annotated[Decimal, Field(ge=0, le=Decimal("0.5"), decimal_places=4, allow_inf_nan=False)] = Field(
        description="A fraction: 0.03 is 3%. A price below list × (1 − max_discount) waits for approval.")
    cancel_reasons: list[CancelReason] = Field(min_length=1, max_length=50)

    @field_validator("cancel_reasons")
    @classmethod
    def _distinct(cls, reasons: list[CancelReason]) -> list[CancelReason]:
        from crm_shared.text import clean_line
        codes = [r.code for r in reasons]
        if len(set(codes)) != len(codes):
            raise ValueError("each cancellation reason code once")
        for r in reasons:
            r.name = clean_line(r.name)
        return reasons


class DealSettingsOut(BaseModel):
    branch_id: str
    max_discount: str = Field(examples=["0.03"])
    cancel_reasons: list[CancelReason]
    version: int = Field(description="0 while the branch uses the service defaults.")
    updated_by: str | None = None
    updated_at: datetime | None = None


class AttributionOut(BaseModel):
    partner_id: str | None = None
    partner_name: str | None = None
    report_id: str | None = None
    referrer_id: str | None = None
    referrer_name: str | None = None
    referrer_kind: Literal["employee", "owner", "public"] | None = None


class PaymentOut(BaseModel):
    id: str
    amount: str
    paid_at: datetime
    method: PaymentMethod
    method_name: str
    reference: str | None = None
    recorded_by: str | None = None
    recorded_by_name: str | None = None
    recorded_at: datetime


class StageOut(BaseModel):
    stage: str
    stage_name: str
    at: datetime
    by: str | None = None
    by_name: str | None = None
    detail: dict = Field(default_factory=dict, description="What the stage changed (amounts as decimal strings).")


class CancellationOut(BaseModel):
    reason: str
    reason_name: str
    refund: str
    note: str | None = None


class DealOut(BaseModel):
    id: str
    branch_id: str
    lead_id: str
    unit_id: str
    unit_label: str | None = Field(None, examples=["湾区壹号 3栋 1201"])
    product_type: ProductType | None = None
    status: DealStatus
    status_name: str
    price_approval: PriceApproval
    price_approval_name: str
    list_price: str
    agreed_price: str
    discount: str = Field(description="list − agreed; negative above list.")
    deposit: str
    paid_total: str = Field(description="Deposit plus payments.")
    remaining: str
    owner_id: str | None = None
    owner_name: str | None = None
    customer_name: str | None = None
    phone_masked: str | None = None
    attribution: AttributionOut
    contract_no: str | None = None
    signed_at: datetime | None = None
    paid_at: datetime | None = None
    cancellation: CancellationOut | None = None
    payments: list[PaymentOut] = Field(default_factory=list)
    history: list[StageOut] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime | None = None
    version: int
