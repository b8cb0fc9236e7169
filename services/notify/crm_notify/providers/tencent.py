"""`tencent`: Tencent Cloud SMS (API 3.0, SendSms 2021-01-11) through the official async SDK client,
and its status callback (短信下发状态回调) as delivery receipts.

Tencent does not sign the callback: it is authenticated by the shared `receipt_token`, put in the URL
configured in the console (`...?token=`) or sent as X-Receipt-Token.
"""

from __future__ import annotations

import httpx
from pydantic import Field
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111.models import SendSmsRequest
from tencentcloud.sms.v20210111.sms_client_async import SmsClient

from crm_notify.providers.base import Outgoing, PermanentError, ProviderError, Receipt, SendResult, TransientError
from crm_notify.providers.receipts import StatusReport, failure, is_array, parse_reports
from crm_notify.providers.templated import TemplatedSmsProvider, TemplatedSmsSettings

TRANSIENT_PREFIXES = ("LimitExceeded", "RequestLimitExceeded", "InternalError", "ResourceUnavailable",
                      "ServerNetworkError", "ClientNetworkError")
"""Throttling (per request or per number), the platform's faults, HTTP errors and the network. Everything
else (AuthFailure, a bad number, an unapproved template or signature, FailedOperation) is permanent."""


class TencentSettings(TemplatedSmsSettings):
    secret_id: str = Field(min_length=1, max_length=128, title="SecretId")
    secret_key: str = Field(min_length=1, max_length=128, title="SecretKey")
    sdk_app_id: str = Field(min_length=1, max_length=40, title="SmsSdkAppId")
    endpoint: str = Field("https://sms.tencentcloudapi.com", max_length=255, title="Endpoint",
                          description="API base URL (scheme and host only).")
    region: str = Field("ap-guangzhou", max_length=40, title="Region")


def classify(code: str, message: str) -> ProviderError:
    return (TransientError if code.startswith(TRANSIENT_PREFIXES) else PermanentError)(f"tencent {code}: {message}"[:500])


class TencentProvider(TemplatedSmsProvider):
    name = "tencent"
    Settings = TencentSettings
    settings: TencentSettings
    receipt_answer = {"result": 0, "errmsg": "OK"}
    client: SmsClient | None = None

    async def start(self) -> None:
        await super().start()
        s = self.settings
        scheme, host = s.scheme_and_host
        profile = ClientProfile(httpProfile=HttpProfile(protocol=scheme, endpoint=host, reqTimeout=s.timeout_seconds))
        self.client = SmsClient(Credential(s.secret_id, s.secret_key), s.region, profile)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()

    def request(self, message: Outgoing) -> SendSmsRequest:
        template, values = self.template(message)
        request = SendSmsRequest()
        request.PhoneNumberSet = [message.to]
        request.SmsSdkAppId = self.settings.sdk_app_id
        request.SignName = self.settings.sign_name
        request.TemplateId = template.id
        request.TemplateParamSet = values
        request.SessionContext = message.message_id
        return request

    async def send(self, message: Outgoing) -> SendResult:
        request = self.request(message)
        if self.client is None:
            await self.start()
        try:
            response = await self.client.SendSms(request)  # type: ignore[union-attr]
        except TencentCloudSDKException as exc:  # an Error answer, or HTTP not 200 (ServerNetworkError)
            said = exc.get_message()  # the body of an HTTP error, as bytes
            raise classify(str(exc.get_code()), said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)) from exc
        except (httpx.TransportError, ValueError) as exc:  # connection, timeout, an answer that is not JSON
            raise TransientError(f"tencent: {type(exc).__name__}: {exc}"[:500]) from exc
        statuses = response.SendStatusSet or []
        if not statuses:
            raise PermanentError("tencent: empty SendStatusSet")
        status = statuses[0]
        if status.Code != "Ok":
            raise classify(str(status.Code), str(status.Message))
        return SendResult([status.SerialNo], parts=int(status.Fee or message.segments))

    def parse_receipts(self, content_type: str, body: bytes) -> list[Receipt]:
        if not is_array(body):
            return super().parse_receipts(content_type, body)
        return [Receipt(r.sid, "delivered" if r.report_status == "SUCCESS" else "failed",
                        error=None if r.report_status == "SUCCESS" else failure(r.errmsg, r.description))
                for r in parse_reports(StatusReport, body)]
