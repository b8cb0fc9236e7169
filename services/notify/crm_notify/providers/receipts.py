"""The generic receipt body: `{"receipts": [{provider_message_id, status, part?, parts?, error?}]}`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from crm_notify.providers.base import Receipt, printable

ProviderText = Annotated[str, Field(max_length=500), AfterValidator(printable)]
"""What a provider says is kept, made printable: a receipt is never lost over a control character."""


class ReceiptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provider_message_id: str = Field(min_length=1, max_length=128)
    status: Literal["delivered", "failed"]
    part: int | None = Field(None, ge=1, le=20, description="Part number of a multi-part SMS.")
    parts: int | None = Field(None, ge=1, le=20, description="How many parts the message has.")
    error: ProviderText | None = None


class ReceiptsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    receipts: list[ReceiptIn] = Field(min_length=1, max_length=500)


def request_schema() -> dict[str, Any]:
    """The body's JSON schema with its definitions inlined: an operation's schema in the OpenAPI
    document cannot refer to `#/$defs/...` (that points at the document's root, where there is none)."""
    schema = ReceiptsIn.model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if (ref := node.get("$ref", "")).startswith("#/$defs/"):
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return inline(definitions[ref.removeprefix("#/$defs/")] | rest)
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return inline(schema)


class BadReceipt(ValueError):
    pass


def parse_generic(body: bytes) -> list[Receipt]:
    try:
        parsed = ReceiptsIn.model_validate_json(body)
    except ValidationError as exc:
        raise BadReceipt(str(exc)[:1000]) from None
    return [Receipt(r.provider_message_id, r.status, r.part, r.parts, r.error) for r in parsed.receipts]
