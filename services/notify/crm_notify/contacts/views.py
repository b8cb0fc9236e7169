"""Route: POST /v1/contacts — customers to greet, with their marketing consent per channel."""

from __future__ import annotations


from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm_shared.events import BRANCH_ID_PATTERN
from crm_shared.http.auth import CurrentPrincipal
from crm_shared.text import Birthday, Line
from crm_notify.access import SENDERS, allow
from crm_notify.contacts import service
from crm_notify.messages.models import normalize_recipient
from crm_notify.runtime import Ctx

router = APIRouter(tags=["contacts"])


class Consent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sms: bool = False
    email: bool = False


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    branch_id: str = Field(pattern=BRANCH_ID_PATTERN)
    name: Line(100)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    birthday: Birthday | None = None
    consent: Consent = Field(default_factory=Consent, description="Marketing consent per channel (birthdays, campaigns).")

    @model_validator(mode="after")
    def _normalize(self) -> "ContactIn":
        if not (self.phone or self.email):
            raise ValueError("give a phone or an email")
        self.phone = normalize_recipient("sms", self.phone) if self.phone else None
        self.email = normalize_recipient("email", self.email) if self.email else None
        return self


@router.post("/v1/contacts", status_code=200, summary="Create or update a contact and its marketing consent")
async def upsert_contact(body: ContactIn, ctx: Ctx, who: CurrentPrincipal) -> dict:
    allow(who, body.branch_id, SENDERS)
    doc = await service.upsert(ctx.db, body.branch_id, body.name, body.phone, body.email, body.birthday,
                               body.consent.model_dump())
    return {"id": doc["id"], "branch_id": body.branch_id, "consent": doc["consent"]}
