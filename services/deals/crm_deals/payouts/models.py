"""Payout (结佣, 全民营销奖励) and reward-rule shapes. Money: a JSON number or a decimal string in, a
decimal string with two places out."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_shared.events.deals import PayoutKind, PayoutStatus, ProductType
from crm_shared.text import Line, Moment, Paragraph

BRANCH_FIELD = dict(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", max_length=63)
ID_FIELD = dict(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
MAX_YUAN = Decimal("100000000000")

Amount = Annotated[Decimal, Field(ge=0, lt=MAX_YUAN, decimal_places=2, allow_inf_nan=False, examples=["3000.00"],
                                  description="CNY: a JSON number or a decimal string, at most two decimal places.")]
Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=4, allow_inf_nan=False, examples=["1.5"],
                                   description="Percent of the agreed price, 0–100, at most four decimal places.")]
RewardForm = Literal["cash", "property_fee", "shopping_card"]
FORM_NAMES = {"cash": "现金", "property_fee": "物业费抵扣", "shopping_card": "购物卡"}
KIND_NAMES = {"commission": "渠道佣金", "referral_reward": "全民营销奖励"}
STATUS_NAMES = {"pending": "待回款", "due": "待审批", "approved": "待支付", "paid": "已支付", "void": "已作废",
                "clawback": "待追回"}
REFERRER_KIND_NAMES = {"employee": "员工推荐", "owner": "老带新", "public": "全民经纪人"}


class EmployeeRewards(BaseModel):
    """Per product type, what a group employee (outside sales) earns per unit; a type left out earns 0."""

    model_config = ConfigDict(extra="forbid")
    apartment: Amount = Decimal(0)
    high_rise: Amount = Decimal(0)
    garden_house: Amount = Decimal(0)
    villa: Amount = Decimal(0)
    shop: Amount = Decimal(0)
    parking: Amount = Decimal(0)
    other: Amount = Decimal(0)


class Tier(BaseModel):
    """One price band of one product type: the public referrer's reward for its 1st, 2nd, 3rd+ paid deal."""

    model_config = ConfigDict(extra="forbid")
    product_type: ProductType
    min_price: Amount = Field(description="Included.", examples=["3000000"])
    max_price: Amount | None = Field(None, description="Excluded; none = no upper bound.")
    rewards: list[Amount] = Field(min_length=1, max_length=10, examples=[["10000", "12000", "15000"]],
                                  description="For the referrer's 1st, 2nd, ... paid deal; the last holds beyond.")


class RewardForms(BaseModel):
    model_config = ConfigDict(extra="forbid")
    employee: RewardForm = "cash"
    owner: RewardForm = "cash"
    public: RewardForm = "cash"


class RewardRulesIn(BaseModel):
    """A branch's rules; a section left out keeps its current value (the seed office's until saved)."""

    model_config = ConfigDict(extra="forbid")
    commission_percent: Percent | None = None
    employee_rewards: EmployeeRewards | None = None
    owner_reward: Amount | None = Field(None, description="老带新: a fixed reward per deal an owner refers.")
    public_tiers: list[Tier] | None = Field(None, max_length=100)
    reward_forms: RewardForms | None = None


class TierOut(BaseModel):
    product_type: ProductType
    product_type_name: str
    min_price: str
    max_price: str | None
    rewards: list[str]


class RewardRulesOut(BaseModel):
    branch_id: str
    commission_percent: str = Field(examples=["1.5"])
    employee_rewards: dict[str, str]
    owner_reward: str
    public_tiers: list[TierOut]
    reward_forms: dict[str, RewardForm]
    reward_form_names: dict[str, str]
    configured: bool = Field(description="False: the branch has the seed office's defaults.")
    updated_by: str | None = None
    updated_at: datetime | None = None
    version: int = Field(description="0 until the branch saves its own rules.")


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Paragraph(500) | None = None


class PayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reference: Line(200) = Field(examples=["银行流水 20261130-0001"], description="The payment's reference (流水号).")
    paid_at: Moment | None = None
    note: Paragraph(500) | None = None


class BeneficiaryOut(BaseModel):
    type: Literal["partner", "referrer"]
    id: str
    name: str | None = Field(None, examples=["链家深圳湾店", "李业主"])
    referrer_kind: Literal["employee", "owner", "public"] | None = None


class PayoutOut(BaseModel):
    id: str
    branch_id: str
    kind: PayoutKind
    kind_name: str
    beneficiary: BeneficiaryOut
    deal_id: str
    unit_id: str | None = None
    customer_name: str | None = None
    amount: str = Field(examples=["44700.00"])
    status: PayoutStatus
    status_name: str
    reward_form: RewardForm
    reward_form_name: str
    product_type: ProductType | None = None
    agreed_price: str | None = None
    commission_percent: str | None = None
    nth_paid_deal: int | None = Field(None, description="A public referrer's tier: its nth paid deal.")
    reason: str | None = Field(None, description="Why it was voided or is clawed back.")
    reference: str | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    paid_by: str | None = None
    paid_at: datetime | None = None
    due_at: datetime | None = None
    created_at: datetime
    updated_at: datetime | None = None
    version: int


class PayoutFilters(BaseModel):
    branch_id: str | None = None
    kind: PayoutKind | None = None
    status: PayoutStatus | None = None
    beneficiary_id: str | None = None
    deal_id: str | None = None
