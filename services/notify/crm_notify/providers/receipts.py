"""Receipt bodies: our generic `{"receipts": [{provider_message_id, status, part?, parts?, error?}]}`, and the
one parser of the providers' own JSON arrays (Aliyun SmsReport, Tencent status callback)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

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


class ProviderReport(BaseModel):
    """Base of one entry of a provider's status push: fields it may add later are ignored, never refused
    (a refused push is retried by the provider for days)."""

    model_config = ConfigDict(extra="ignore")


class SmsReport(ProviderReport):
    """One entry of Aliyun's SmsReport HTTP batch push."""

    biz_id: str = Field(min_length=1, max_length=128, description="SendSms's BizId.")
    success: bool
    err_code: ProviderText | None = None
    err_msg: ProviderText | None = None
    sms_size: int | None = Field(None, ge=0, le=1000, description="Billed parts; the report stands for all of them.")
    out_id: str | None = Field(None, max_length=128, description="Our message id (OutId).")
    phone_number: str | None = Field(None, max_length=32)
    send_time: str | None = Field(None, max_length=32)
    report_time: str | None = Field(None, max_length=32)


class StatusReport(ProviderReport):
    """One entry of Tencent's SMS status callback."""

    sid: str = Field(min_length=1, max_length=128, description="SendSms's SerialNo.")
    report_status: Literal["SUCCESS", "FAIL"]
    errmsg: ProviderText | None = None
    description: ProviderText | None = None
    user_receive_time: str | None = Field(None, max_length=32)
    nationcode: str | None = Field(None, max_length=8)
    mobile: str | None = Field(None, max_length=32)


Report = TypeVar("Report", bound=ProviderReport)
MAX_REPORTS = 500


def request_schema(model: type[BaseModel] = ReceiptsIn, many: bool = False) -> dict[str, Any]:
    """A body's JSON schema (`many`: an array of `model`) with its definitions inlined: an operation's schema
    in the OpenAPI document cannot refer to `#/$defs/...` (that points at the document's root, where there is none)."""
    schema = TypeAdapter(list[model] if many else model).json_schema()  # type: ignore[valid-type]
    if many:
        schema |= {"minItems": 1, "maxItems": MAX_REPORTS}
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


def parse_reports(model: type[Report], body: bytes) -> list[Report]:
    """A provider's push: a JSON array of 1 to 500 reports, each valid, or BadReceipt (nothing is applied)."""
    try:
        reports = TypeAdapter(list[model]).validate_json(body)  # type: ignore[valid-type]
    except ValidationError as exc:
        raise BadReceipt(str(exc)[:1000]) from None
    if not 1 <= len(reports) <= MAX_REPORTS:
        raise BadReceipt(f"a push holds 1 to {MAX_REPORTS} reports")
    return reports


def is_array(body: bytes) -> bool:
    """A provider's own push is a JSON array; our generic body an object."""
    return body.lstrip()[:1] == b"["


def failure(*words: str | None) -> str | None:
    """A failed report's code and description as one error text."""
    return " ".join(w for w in words if w) or None
