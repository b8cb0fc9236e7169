"""`tencent`: Tencent Cloud SMS (API 3.0, 2021-01-11 SendSms), TC3-HMAC-SHA256 signing."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import urlparse

from pydantic import BaseModel, Field

from crm_notify.providers.base import Outgoing, PermanentError, ProviderSettings, SendResult, TransientError
from crm_notify.providers.http_sms import HttpSmsProvider, template_params

CONTENT_TYPE = "application/json; charset=utf-8"
TRANSIENT_PREFIXES = ("LimitExceeded", "InternalError", "RequestLimitExceeded")


class TencentTemplate(BaseModel):
    id: str = Field(min_length=1, max_length=40)
    params: list[str] = Field(default_factory=lambda: ["content"], max_length=10,
                              description="Our data variables, in the template's {1}, {2}... order.")


class TencentSettings(ProviderSettings):
    secret_id: str = Field(min_length=1, max_length=128, title="SecretId")
    secret_key: str = Field(min_length=1, max_length=128, title="SecretKey")
    sdk_app_id: str = Field(min_length=1, max_length=40, title="SmsSdkAppId")
    sign_name: str = Field(min_length=1, max_length=40, title="Sign name")
    default_template: TencentTemplate = Field(title="Default template", description="Template with one {1} for the text.")
    templates: dict[str, TencentTemplate] = Field(default_factory=dict, title="Templates", description="Our key -> template.")
    endpoint: str = Field("https://sms.tencentcloudapi.com/", max_length=255, title="Endpoint")
    region: str = Field("ap-guangzhou", max_length=40, title="Region")


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def tc3_authorization(secret_id: str, secret_key: str, host: str, payload: str, timestamp: int, service: str = "sms") -> str:
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = "\n".join([
        "POST", "/", "", f"content-type:{CONTENT_TYPE}\nhost:{host}\n", "content-type;host",
        hashlib.sha256(payload.encode()).hexdigest(),
    ])
    scope = f"{day}/{service}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), day), service), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"


class TencentProvider(HttpSmsProvider):
    name = "tencent"
    Settings = TencentSettings

    def payload(self, message: Outgoing) -> str:
        s: TencentSettings = self.settings
        template = s.templates.get(message.template or "", s.default_template)
        params = template_params(message.data, message.body)
        return json.dumps({
            "PhoneNumberSet": [message.to], "SmsSdkAppId": s.sdk_app_id, "SignName": s.sign_name,
            "TemplateId": template.id, "TemplateParamSet": [params.get(p, "") for p in template.params],
            "SessionContext": message.message_id,
        }, ensure_ascii=False)

    async def send(self, message: Outgoing) -> SendResult:
        s: TencentSettings = self.settings
        payload, ts = self.payload(message), int(datetime.now(UTC).timestamp())
        host = urlparse(s.endpoint).netloc
        headers = {
            "Content-Type": CONTENT_TYPE, "Host": host, "X-TC-Action": "SendSms", "X-TC-Version": "2021-01-11",
            "X-TC-Timestamp": str(ts), "X-TC-Region": s.region,
            "Authorization": tc3_authorization(s.secret_id, s.secret_key, host, payload, ts),
        }
        body = self.json_of(await self.request("POST", s.endpoint, content=payload.encode(), headers=headers))
        result = body.get("Response") or {}
        if err := result.get("Error"):
            code = str(err.get("Code", ""))
            kind = TransientError if code.startswith(TRANSIENT_PREFIXES) else PermanentError
            raise kind(f"tencent {code}: {err.get('Message', '')}"[:500])
        statuses = result.get("SendStatusSet") or []
        if not statuses:
            raise PermanentError("tencent: empty SendStatusSet")
        first = statuses[0]
        if str(first.get("Code")) != "Ok":
            code = str(first.get("Code"))
            kind = TransientError if code.startswith(TRANSIENT_PREFIXES) else PermanentError
            raise kind(f"tencent {code}: {first.get('Message', '')}"[:500])
        return SendResult([str(first["SerialNo"])], parts=int(first.get("Fee") or message.segments))
