"""The generic receipt body: `{"receipts": [{provider_message_id, status, part?, parts?, error?}]}`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crm_notify.providers.base import Receipt


class ReceiptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider_message_id: str = Field(min_length=1, max_length=128)
    status: Literal["delivered", "failed"]
    part: int | None = Field(None, ge=1, le=20, description="Part number of a multi-part SMS.")
    parts: int | None = Field(None, ge=1, le=20, description="How many parts the message has.")
    error: str | None = Field(None, max_length=500)


class ReceiptsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    receipts: list[ReceiptIn] = Field(min_length=1, max_length=500)


class BadReceipt(ValueError):
    pass


def parse_generic(body: bytes) -> list[Receipt]:
    try:
        parsed = ReceiptsIn.model_validate_json(body)
    except ValidationError as exc:
        raise BadReceipt(str(exc)[:1000]) from None
    return [Receipt(r.provider_message_id, r.status, r.part, r.parts, r.error) for r in parsed.receipts]
