"""Route: POST /v1/providers/{name}/receipts — delivery receipts; all parts delivered -> delivered."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from crm_shared.errors import Invalid, NotFound
from crm_shared.events.notify import NotificationDelivered, NotificationFailed
from crm_shared.http.problems import Problem
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext
from crm_notify.dispatch.service import PROVIDER_REFS
from crm_notify.messages.service import MESSAGES, message_event
from crm_notify.providers.base import Receipt
from crm_notify.providers.receipts import BadReceipt, SmsReport, StatusReport, request_schema
from crm_notify.providers.registry import receipt_provider
from crm_notify.runtime import Ctx

router = APIRouter(tags=["providers"])
MAX_BODY = 256 * 1024


def _part_token(r: Receipt) -> str:
    return f"{r.provider_message_id}#{r.part or 0}"


def _complete(doc: dict, parts: dict[str, int]) -> bool:
    """Every provider id has all its parts: a receipt without a part number stands for the whole."""
    delivered = set(doc.get("delivered_parts") or [])
    for ref in doc.get("provider_message_ids") or []:
        if f"{ref}#0" in delivered:
            continue
        expected = parts.get(ref) or doc.get("segments") or 1
        if sum(1 for t in delivered if t.startswith(f"{ref}#") and t != f"{ref}#0") < expected:
            return False
    return True


async def apply_receipt(ctx: ServiceContext, provider: str, r: Receipt) -> str:
    ref = await ctx.db[PROVIDER_REFS].find_one({"_id": f"{provider}:{r.provider_message_id}"})
    if ref is None:
        return "unknown"
    mid, now = ref["message_id"], utcnow()
    doc = await ctx.db[MESSAGES].find_one_and_update(
        {"_id": mid, "status": "sent"},
        {"$addToSet": {"delivered_parts": _part_token(r)} if r.status == "delivered" else {"receipt_errors": r.error or "failed"},
         "$set": {"updated_at": now}},
        return_document=True,
    )
    if doc is None:
        return "ignored"
    if r.status == "failed":
        event = NotificationFailed(message_id=mid, channel=doc["channel"], template=doc.get("template"),
                                   attempts=doc["attempts"], error=r.error or "provider reported failure")
        fields = {"status": "failed", "error": r.error or "provider reported failure"}
    elif _complete(doc, {r.provider_message_id: r.parts} if r.parts else {}):
        event = NotificationDelivered(message_id=mid, channel=doc["channel"], template=doc.get("template"),
                                      attempts=doc["attempts"])
        fields = {"status": "delivered", "delivered_at": now}
    else:
        return "partial"
    await ctx.aggregate(MESSAGES).update({"_id": mid, "status": "sent"}, {"$set": {**fields, "updated_at": now}},
                                         message_event(event, doc))
    return fields["status"]


@router.post("/v1/providers/{name}/receipts", summary="Delivery receipts from a provider",
             description="Generic JSON `{receipts: [{provider_message_id, status, part?, parts?, error?}]}`, or the "
                         "provider's own callback: Aliyun's SmsReport push and Tencent's status callback (JSON arrays; "
                         "answered with the body each expects), Twilio's form. Authenticated by the provider's "
                         "`receipt_token` (header X-Receipt-Token or `?token=` in the URL) or its signature "
                         "(Twilio: X-Twilio-Signature).",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": {"anyOf": [
                     request_schema(),
                     request_schema(SmsReport, many=True) | {"title": "Aliyun SmsReport push"},
                     request_schema(StatusReport, many=True) | {"title": "Tencent SMS status callback"},
                 ]}},
                 "application/x-www-form-urlencoded": {"schema": {"type": "object", "description": "Twilio status callback"}},
             }}})
async def receipts(name: Annotated[str, Path(max_length=40, pattern=r"^[a-z][a-z0-9_-]*$")], request: Request, ctx: Ctx) -> dict[str, Any]:
    provider = await receipt_provider(ctx.config, name, ctx.state.providers, ctx.db)
    if provider is None:
        raise NotFound("provider")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise Problem(413, "payload-too-large", "receipt bodies are limited to 256 KiB")
    headers = {k.lower(): v for k, v in request.headers.items()}
    if not provider.check_receipt_auth(headers, str(request.url), body):
        raise Problem(401, "unauthorized", "receipt signature or token is not valid")
    try:
        parsed = provider.parse_receipts(headers.get("content-type", ""), body)
    except BadReceipt as exc:
        raise Invalid("the receipts are not valid", errors=[{"loc": ["body"], "msg": str(exc)[:500]}]) from None
    results = [await apply_receipt(ctx, provider.name, r) for r in parsed]
    return {**provider.receipt_answer, "accepted": len(parsed), "results": results}
