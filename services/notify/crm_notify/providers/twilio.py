"""`twilio`: Twilio Programmable Messaging; Basic auth to send, X-Twilio-Signature on callbacks."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qsl

from pydantic import Field, model_validator

from crm_notify.providers.base import Outgoing, PermanentError, ProviderSettings, Receipt, SendResult, printable
from crm_notify.providers.http_sms import HttpSmsProvider

FINAL = {"delivered": "delivered", "undelivered": "failed", "failed": "failed"}


class TwilioSettings(ProviderSettings):
    account_sid: str = Field(min_length=1, max_length=64, title="Account SID")
    auth_token: str = Field(min_length=1, max_length=128, title="Auth token")
    from_number: str | None = Field(None, max_length=20, title="From", description="Sender number, E.164.")
    messaging_service_sid: str | None = Field(None, max_length=64, title="Messaging service SID")
    base_url: str = Field("https://api.twilio.com", max_length=255, title="API base URL")
    status_callback: str | None = Field(None, max_length=500, title="Status callback",
                                        description="Public URL of POST /v1/providers/twilio/receipts.")

    @model_validator(mode="after")
    def _sender(self) -> "TwilioSettings":
        if not (self.from_number or self.messaging_service_sid):
            raise ValueError("set from_number or messaging_service_sid")
        return self


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """base64(HMAC-SHA1(token, url + each sorted key and value concatenated))."""
    data = url + "".join(k + v for k, v in sorted(params.items()))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


class TwilioProvider(HttpSmsProvider):
    name = "twilio"
    Settings = TwilioSettings

    async def send(self, message: Outgoing) -> SendResult:
        s: TwilioSettings = self.settings
        form = {"To": message.to, "Body": message.body}
        form |= {"From": s.from_number} if s.from_number else {"MessagingServiceSid": s.messaging_service_sid}
        if s.status_callback:
            form["StatusCallback"] = s.status_callback
        url = f"{s.base_url.rstrip('/')}/2010-04-01/Accounts/{s.account_sid}/Messages.json"
        response = await self.request("POST", url, data=form, auth=(s.account_sid, s.auth_token))
        body = self.json_of(response)
        if response.status_code >= 400 or not body.get("sid"):
            raise PermanentError(f"twilio {body.get('code', response.status_code)}: {body.get('message', '')}"[:500])
        return SendResult([str(body["sid"])], parts=int(body.get("num_segments") or message.segments))

    def check_receipt_auth(self, headers: dict[str, str], url: str, body: bytes) -> bool:
        s: TwilioSettings = self.settings
        given = headers.get("x-twilio-signature", "")
        expected = twilio_signature(s.auth_token, s.status_callback or url, dict(parse_qsl(body.decode("utf-8", "replace"))))
        return bool(given) and hmac.compare_digest(expected.encode(), given.encode())

    def parse_receipts(self, content_type: str, body: bytes) -> list[Receipt]:
        if "json" in content_type:
            return super().parse_receipts(content_type, body)
        form = dict(parse_qsl(body.decode("utf-8", "replace")))
        status = FINAL.get(form.get("MessageStatus", ""))
        sid = form.get("MessageSid", "")[:128]
        if not status or not sid:
            return []
        error = form.get("ErrorCode") or None
        return [Receipt(sid, status, error=printable(f"twilio error {error}")[:500] if error else None)]  # type: ignore[arg-type]
