"""`aliyun`: Alibaba Cloud SMS (dysmsapi 2017-05-25 SendSms), RPC signature v1 (HMAC-SHA1)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import quote

from pydantic import Field

from crm_shared.ids import uuid7
from crm_notify.providers.base import Outgoing, PermanentError, ProviderSettings, SendResult, TransientError
from crm_notify.providers.http_sms import HttpSmsProvider, national_or_international, template_params

TRANSIENT_CODES = {"isv.BUSINESS_LIMIT_CONTROL", "Throttling.User", "isp.SYSTEM_ERROR", "isp.RAM_PERMISSION_DENY"}


class AliyunSettings(ProviderSettings):
    access_key_id: str = Field(min_length=1, max_length=128, title="AccessKey ID")
    access_key_secret: str = Field(min_length=1, max_length=128, title="AccessKey secret")
    sign_name: str = Field(min_length=1, max_length=40, title="Sign name", description="Approved SMS signature.")
    default_template_code: str = Field(min_length=1, max_length=40, title="Default template",
                                       description="Approved template with a ${content} variable.")
    template_codes: dict[str, str] = Field(default_factory=dict, title="Template codes",
                                           description="Our template key -> approved TemplateCode.")
    endpoint: str = Field("https://dysmsapi.aliyuncs.com/", max_length=255, title="Endpoint")
    region_id: str = Field("cn-hangzhou", max_length=40, title="Region")


def percent_encode(value: str) -> str:
    return quote(value, safe="~")


def sign(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """Signature v1: HMAC-SHA1 over METHOD&%2F&encoded(sorted canonical query), key secret + '&'."""
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunProvider(HttpSmsProvider):
    name = "aliyun"
    Settings = AliyunSettings

    def request_params(self, message: Outgoing, now: datetime) -> dict[str, str]:
        s: AliyunSettings = self.settings
        code = s.template_codes.get(message.template or "", s.default_template_code)
        params = {
            "AccessKeyId": s.access_key_id, "Action": "SendSms", "Format": "JSON", "Version": "2017-05-25",
            "RegionId": s.region_id, "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
            "SignatureNonce": uuid7(), "Timestamp": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "PhoneNumbers": national_or_international(message.to), "SignName": s.sign_name, "TemplateCode": code,
            "TemplateParam": json.dumps(template_params(message.data, message.body), ensure_ascii=False),
            "OutId": message.message_id,
        }
        params["Signature"] = sign(params, s.access_key_secret)
        return params

    async def send(self, message: Outgoing) -> SendResult:
        response = await self.request("POST", self.settings.endpoint, data=self.request_params(message, datetime.now(UTC)))
        body = self.json_of(response)
        code = str(body.get("Code", ""))
        if code == "OK" and body.get("BizId"):
            return SendResult([str(body["BizId"])], parts=message.segments)
        error = f"aliyun {code}: {body.get('Message', '')}"[:500]
        raise (TransientError if code in TRANSIENT_CODES else PermanentError)(error)
