"""`aliyun`: Alibaba Cloud SMS (dysmsapi 2017-05-25 SendSms) through the official async SDK client,
and its SmsReport HTTP batch push as delivery receipts.

Aliyun does not sign the push: it is authenticated by the shared `receipt_token`, put in the URL
configured in the console (`...?token=`) or sent as X-Receipt-Token.
"""

from __future__ import annotations

import json

from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_dysmsapi20170525.models import SendSmsRequest
from alibabacloud_tea_openapi.exceptions import ThrottlingException
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.exceptions import ResponseException, UnretryableException
from pydantic import Field

from crm_notify.providers.base import Outgoing, PermanentError, ProviderError, Receipt, SendResult, TransientError
from crm_notify.providers.receipts import SmsReport, failure, is_array, parse_reports
from crm_notify.providers.templated import TemplatedSmsProvider, TemplatedSmsSettings

TRANSIENT_CODES = {"isv.BUSINESS_LIMIT_CONTROL", "isp.SYSTEM_ERROR", "isp.GATEWAY_ERROR", "InternalError",
                   "ServiceUnavailable", "ServiceUnavailableTemporary"}
"""Besides any `Throttling*` code and HTTP 5xx: per-number flow control and the platform's own faults.
Everything else (bad number, template, signature, access key, RAM permission, balance) is permanent."""


class AliyunSettings(TemplatedSmsSettings):
    access_key_id: str = Field(min_length=1, max_length=128, title="AccessKey ID")
    access_key_secret: str = Field(min_length=1, max_length=128, title="AccessKey secret")
    endpoint: str = Field("https://dysmsapi.aliyuncs.com", max_length=255, title="Endpoint",
                          description="API base URL (scheme and host only).")
    region_id: str = Field("cn-hangzhou", max_length=40, title="Region")


def phone_number(e164: str) -> str:
    """Mainland numbers as 11 digits, others as country code + number (Aliyun's PhoneNumbers format)."""
    return e164[3:] if e164.startswith("+86") else e164.lstrip("+")


def classify(code: str, message: str, status: int | None = None) -> ProviderError:
    transient = code in TRANSIENT_CODES or code.startswith("Throttling") or status == 429 or (status or 0) >= 500
    return (TransientError if transient else PermanentError)(f"aliyun {code}: {message}"[:500])


class AliyunProvider(TemplatedSmsProvider):
    name = "aliyun"
    Settings = AliyunSettings
    settings: AliyunSettings
    receipt_answer = {"code": 0, "msg": "接收成功"}
    client: Client | None = None

    async def start(self) -> None:
        await super().start()
        s = self.settings
        scheme, host = s.scheme_and_host
        timeout_ms = int(s.timeout_seconds * 1000)
        self.client = Client(Config(access_key_id=s.access_key_id, access_key_secret=s.access_key_secret,
                                    endpoint=host, protocol=scheme, region_id=s.region_id,
                                    connect_timeout=timeout_ms, read_timeout=timeout_ms))

    def request(self, message: Outgoing) -> SendSmsRequest:
        template, values = self.template(message)
        params = json.dumps(dict(zip(template.params, values, strict=True)), ensure_ascii=False) if values else None
        return SendSmsRequest(phone_numbers=phone_number(message.to), sign_name=self.settings.sign_name,
                              template_code=template.id, template_param=params, out_id=message.message_id)

    async def send(self, message: Outgoing) -> SendResult:
        request = self.request(message)
        if self.client is None:
            await self.start()
        try:
            response = await self.client.send_sms_async(request)  # type: ignore[union-attr]
        except ThrottlingException as exc:  # the gateway asked to come back later (Retry-After)
            raise TransientError(f"aliyun {exc.code}: {exc.message}"[:500]) from exc
        except ResponseException as exc:  # the gateway refused: signature, access key, throttling, 5xx
            raise classify(str(exc.code), str(exc.message), exc.status_code) from exc
        except UnretryableException as exc:  # connection, timeout, an answer that is not JSON
            raise TransientError(f"aliyun: {type(exc.inner_exception).__name__}: {exc}"[:500]) from exc
        body = response.body
        if body.code == "OK" and body.biz_id:
            return SendResult([body.biz_id], parts=message.segments)
        raise classify(str(body.code), str(body.message))

    def parse_receipts(self, content_type: str, body: bytes) -> list[Receipt]:
        if not is_array(body):
            return super().parse_receipts(content_type, body)
        return [Receipt(r.biz_id, "delivered" if r.success else "failed", parts=r.sms_size or None,
                        error=None if r.success else failure(r.err_code, r.err_msg))
                for r in parse_reports(SmsReport, body)]
