"""Staff request and response shapes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm_shared.text import Line

from crm_leads.context import BRANCH_FIELD, ID_FIELD, Email

StaffRole = Literal["consultant", "manager", "reception", "finance"]
"""`finance` (财务): records payments and pays commissions in deals; reads branches and staff, never leads."""
MemberRole = Literal["admin", "consultant", "manager", "reception", "finance"]
"""A member's role as stored: `admin` (a group administrator) only from `crm bootstrap-admin`, never over HTTP."""
WeComUserId = Annotated[str, Field(
    min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$", examples=["LiNa"],
    description="The member's WeCom (企业微信) userid, as the corp's address book shows it (1-64 letters, digits, "
    "`_`, `-`, `.`, `@`): staff notices go to it as WeCom app messages when notify has a WeCom provider.")]


class StaffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    branch_id: str = Field(**BRANCH_FIELD)
    name: Line(100)
    role: StaffRole
    phone: str | None = Field(None, max_length=40, description="Work phone; normalised to E.164; one active staff "
                              "member per phone in a branch (409 `duplicate-staff`).")
    email: Email | None = None
    wecom_user_id: WeComUserId | None = None


class AdminIn(StaffIn):
    """A group administrator (`crm bootstrap-admin`, crm_leads.staff.bootstrap): its home branch, name and contacts."""

    role: Literal["admin"] = "admin"  # type: ignore[assignment]  # narrower than StaffIn's on purpose: never over HTTP


class StaffPatch(BaseModel):
    """Correct a staff member's facts; `phone`, `email` or `wecom_user_id` null clears it. Omitted fields stay."""

    model_config = ConfigDict(extra="forbid")
    name: Line(100) | None = None
    role: StaffRole | None = None
    phone: str | None = Field(None, max_length=40, description="Work phone; normalised to E.164; unique among the "
                              "branch's active staff (409 `duplicate-staff`).")
    email: Email | None = None
    wecom_user_id: WeComUserId | None = None

    @model_validator(mode="after")
    def _no_null_name_or_role(self) -> "StaffPatch":
        for key in ("name", "role"):
            if key in self.model_fields_set and getattr(self, key) is None:
                raise ValueError(f"{key} cannot be cleared")
        return self


class StaffLeave(BaseModel):
    """Where the leaver's open leads go: the pool (default) or one colleague (认养孤儿)."""

    model_config = ConfigDict(extra="forbid")
    owner_id: str | None = Field(None, description="Give every open lead to this consultant.", **ID_FIELD)


class StaffOut(BaseModel):
    id: str
    branch_id: str
    name: str
    role: MemberRole
    phone: str | None = None
    email: str | None = None
    wecom_user_id: str | None = None
    active: bool
    version: int


class LeaveOut(BaseModel):
    staff: StaffOut
    leads_released: int = Field(description="Open leads sent to the public pool.")
    leads_reassigned: int = Field(description="Open leads given to `owner_id`.")
