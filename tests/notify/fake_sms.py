"""Local HTTP servers answering like Aliyun SMS, Tencent Cloud SMS and Twilio, checking their signatures,
and pushing delivery receipts in each provider's own callback format.

The signature checks are written here from the providers' API documentation (Aliyun ACS3-HMAC-SHA256,
Tencent TC3-HMAC-SHA256, Twilio Basic auth), independently of the official SDKs the providers use,
so a request the SDK signs differently shows up as a rejected one. Answers are the providers' own
response JSON: `ANSWERS` holds the failures a test scripts into `FakeSmsServer.script`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
import threading
import time
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

import httpx

SECRETS = {"aliyun": ("LTAI5tFakeAccessKey", "ak-secret"), "tencent": ("AKIDfakeSecretId", "tc-secret"),
           "twilio": ("ACtest", "tw-token")}
RECEIPT_TOKENS = {"aliyun": "rt-aliyun-0123456789", "tencent": "rt-tencent-0123456789"}
SKEW_SECONDS = 900


def _request_id() -> str:
    return str(uuid.uuid4()).upper()


def _aliyun_error(code: str, message: str) -> dict:
    return {"RequestId": _request_id(), "Code": code, "Message": message, "HostId": "dysmsapi.aliyuncs.com",
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}&product=Dysmsapi"}


def _tencent_error(code: str, message: str) -> dict:
    return {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": _request_id()}}


def _tencent_status(code: str, message: str) -> dict:
    """A SendSms answer whose one number was refused: the request itself succeeded."""
    return {"Response": {"SendStatusSet": [{"SerialNo": "", "PhoneNumber": "", "Fee": 0, "SessionContext": "",
                                            "Code": code, "Message": message, "IsoCode": "CN"}],
                         "RequestId": _request_id()}}


ANSWERS: dict[str, dict[str, tuple[int, dict | str]]] = {
    "aliyun": {
        "throttled": (400, _aliyun_error("Throttling.User", "Request was denied due to user flow control.")),
        "number_limit": (200, _aliyun_error("isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控Permits:10")),
        "server_error": (500, _aliyun_error("InternalError", "The request processing has failed due to some unknown error.")),
        "bad_number": (200, _aliyun_error("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")),
        "bad_template": (200, _aliyun_error("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")),
        "missing_param": (200, _aliyun_error("isv.TEMPLATE_MISSING_PARAMETERS", "模版缺少变量")),
        "no_permission": (403, _aliyun_error("Forbidden.RAM", "User not authorized to operate on the specified resource.")),
    },
    "tencent": {
        "throttled": (200, _tencent_error("RequestLimitExceeded", "请求的次数超过了频率限制。")),
        "number_limit": (200, _tencent_status("LimitExceeded.PhoneNumberThirtySecondLimit", "单个手机号30秒内下发短信条数超过设定的上限")),
        "server_error": (502, "<html><body>502 Bad Gateway</body></html>"),
        "internal": (200, _tencent_error("InternalError.Timeout", "请求下发短信超时，请参考60s后重试。")),
        "bad_number": (200, _tencent_status("InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误")),
        "bad_template": (200, _tencent_error("FailedOperation.TemplateIncorrectOrUnapproved", "模板未审批或请求的内容与审核通过的模板内容不匹配")),
        "missing_param": (200, _tencent_error("InvalidParameterValue.TemplateParameterFormatError", "验证码模板参数格式错误")),
    },
}


def _enc(value: str) -> str:
    """RFC 3986 percent-encoding, as both providers' canonical requests use it."""
    return quote(value, safe="-_.~")


def aliyun_signature(method: str, path: str, query: list[tuple[str, str]], headers: dict[str, str],
                     signed: list[str], body: bytes, secret: str) -> str:
    """ACS3-HMAC-SHA256 (Aliyun "V3 request body and signature"): hex HMAC-SHA256 over
    `ACS3-HMAC-SHA256\\n` + hex SHA-256 of the canonical request."""
    canonical_query = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted(query))
    canonical_headers = "".join(f"{h}:{headers.get(h, '').strip()}\n" for h in signed)
    canonical = "\n".join([method, path or "/", canonical_query, canonical_headers, ";".join(signed),
                           hashlib.sha256(body).hexdigest()])
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def tencent_signature(query: str, headers: dict[str, str], signed: list[str], body: bytes, secret_key: str,
                      timestamp: int, service: str = "sms") -> str:
    """TC3-HMAC-SHA256 (Tencent Cloud API 3.0 "Signature v3")."""
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical_headers = "".join(f"{h}:{headers.get(h, '').strip().lower()}\n" for h in signed)
    canonical = "\n".join(["POST", "/", query, canonical_headers, ";".join(signed), hashlib.sha256(body).hexdigest()])
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), f"{day}/{service}/tc3_request",
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = f"TC3{secret_key}".encode()
    for part in (day, service, "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def _auth_fields(value: str, scheme: str) -> dict[str, str]:
    """`SCHEME Credential=...,SignedHeaders=...,Signature=...` (Aliyun) or with ', ' (Tencent) -> its fields."""
    if not value.startswith(scheme + " "):
        return {}
    pairs = (p.strip().split("=", 1) for p in value[len(scheme) + 1:].split(","))
    return {p[0]: p[1] for p in pairs if len(p) == 2}


class FakeSmsServer:
    """One server for the three providers: Aliyun requests carry `x-acs-action`, Tencent ones
    `X-TC-Action`, Twilio's go to `/twilio/...`. `script[provider]` holds answers for the next
    correctly signed requests; `accepted[provider]` what was accepted (for receipts)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: dict[str, list[tuple[int, dict | str]]] = {"aliyun": [], "tencent": [], "twilio": []}
        self.accepted: dict[str, list[dict]] = {"aliyun": [], "tencent": [], "twilio": []}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, answer = fake.handle(self.command, self.path, headers, body)
                raw = answer.encode() if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html" if isinstance(answer, str) else "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        self.url = f"http://{self.host}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, provider: str, *names: str) -> None:
        """Script the next answers from `ANSWERS`."""
        self.script[provider].extend(ANSWERS[provider][n] for n in names)

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict | str]:
        if "x-acs-action" in headers:
            provider = "aliyun"
            record, checked = self._aliyun(method, path, headers, body)
        elif "x-tc-action" in headers:
            provider = "tencent"
            record, checked = self._tencent(path, headers, body)
        else:
            provider = "twilio"
            record, checked = self._twilio(path, headers, body)
        record |= {"provider": provider, "path": path, "headers": headers, "body": body, "signed": checked is None}
        self.requests.append(record)
        if checked is not None:
            return checked
        if self.script[provider]:
            return self.script[provider].pop(0)
        return self._accept(provider, record)

    def _aliyun(self, method: str, path: str, headers: dict, body: bytes) -> tuple[dict, tuple | None]:
        url = urlsplit(path)
        query = parse_qsl(url.query, keep_blank_values=True)
        record: dict = {"params": dict(query)}
        auth = _auth_fields(headers.get("authorization", ""), "ACS3-HMAC-SHA256")
        signed = auth.get("SignedHeaders", "").split(";")
        ak_id, secret = SECRETS["aliyun"]
        if auth.get("Credential") != ak_id:
            return record, (404, _aliyun_error("InvalidAccessKeyId.NotFound", "Specified access key is not found."))
        if not {"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce",
                "x-acs-content-sha256"} <= set(signed) or headers.get("x-acs-content-sha256") != hashlib.sha256(body).hexdigest():
            return record, (400, _aliyun_error("IncompleteSignature", "The request signature does not conform to Aliyun standards."))
        expected = aliyun_signature(method, url.path, query, headers, signed, body, secret)
        if not hmac.compare_digest(expected, auth.get("Signature", "")):
            return record, (400, _aliyun_error("SignatureDoesNotMatch", "Specified signature does not match our calculation."))
        at = datetime.strptime(headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
        if abs(at - time.time()) > SKEW_SECONDS:
            return record, (400, _aliyun_error("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."))
        if (headers["x-acs-action"], headers["x-acs-version"]) != ("SendSms", "2017-05-25"):
            return record, (400, _aliyun_error("InvalidAction.NotFound", "Specified api is not found."))
        return record, None

    def _tencent(self, path: str, headers: dict, body: bytes) -> tuple[dict, tuple | None]:
        record: dict = {"params": json.loads(body or b"{}")}
        auth = _auth_fields(headers.get("authorization", ""), "TC3-HMAC-SHA256")
        secret_id, secret_key = SECRETS["tencent"]
        credential = auth.get("Credential", "").split("/")
        signed = auth.get("SignedHeaders", "").split(";")
        timestamp = int(headers.get("x-tc-timestamp", "0"))
        if credential[0] != secret_id:
            return record, (200, _tencent_error("AuthFailure.SecretIdNotFound", "密钥不存在。"))
        if abs(timestamp - time.time()) > 300:
            return record, (200, _tencent_error("AuthFailure.SignatureExpire", "签名过期。"))
        expected = tencent_signature(urlsplit(path).query, headers, signed, body, secret_key, timestamp)
        if "host" not in signed or not hmac.compare_digest(expected, auth.get("Signature", "")):
            return record, (200, _tencent_error("AuthFailure.SignatureFailure", "签名错误。"))
        if (headers.get("x-tc-action"), headers.get("x-tc-version")) != ("SendSms", "2021-01-11"):
            return record, (200, _tencent_error("InvalidAction", "接口不存在。"))
        return record, None

    def _twilio(self, path: str, headers: dict, body: bytes) -> tuple[dict, tuple | None]:
        record: dict = {"params": dict(parse_qsl(body.decode()))}
        sid, token = SECRETS["twilio"]
        expected = "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()
        if headers.get("authorization") != expected or f"/Accounts/{sid}/" not in path:
            return record, (401, {"code": 20003, "message": "Authenticate"})
        return record, None

    def _accept(self, provider: str, record: dict) -> tuple[int, dict]:
        p = record["params"]
        if provider == "aliyun":
            ref = f"{random.randrange(10**17, 10**18)}^0"
            self.accepted[provider].append({"id": ref, "to": p.get("PhoneNumbers"), "out_id": p.get("OutId")})
            return 200, {"Code": "OK", "Message": "OK", "BizId": ref, "RequestId": _request_id()}
        if provider == "tencent":
            ref = f"2640:{random.randrange(10**27, 10**28)}"
            phone = (p.get("PhoneNumberSet") or [""])[0]
            self.accepted[provider].append({"id": ref, "to": phone, "out_id": p.get("SessionContext")})
            return 200, {"Response": {"SendStatusSet": [
                {"SerialNo": ref, "PhoneNumber": phone, "Fee": 1, "SessionContext": p.get("SessionContext", ""),
                 "Code": "Ok", "Message": "send success", "IsoCode": "CN"}], "RequestId": _request_id()}}
        ref = f"SM{uuid.uuid4().hex}"
        self.accepted[provider].append({"id": ref, "to": p.get("To")})
        return 201, {"sid": ref, "status": "queued", "num_segments": "1"}

    # --- receipts, in each provider's callback format -------------------------------------------

    def report(self, provider: str, sent: dict, delivered: bool = True, sms_size: int = 1) -> dict:
        """One entry of the provider's status push for a message it accepted."""
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        if provider == "aliyun":  # SmsReport, HTTP batch push
            return {"phone_number": sent["to"], "send_time": now, "report_time": now, "success": delivered,
                    "err_code": "DELIVERED" if delivered else "MK:0001", "err_msg": "用户接收成功" if delivered else "空号",
                    "sms_size": str(sms_size), "biz_id": sent["id"], "out_id": sent["out_id"]}
        mobile = sent["to"].removeprefix("+86")  # 短信下发状态回调
        return {"user_receive_time": now, "nationcode": "86", "mobile": mobile,
                "report_status": "SUCCESS" if delivered else "FAIL", "errmsg": "DELIVRD" if delivered else "MK:0001",
                "description": "用户短信送达成功" if delivered else "空号", "sid": sent["id"]}

    async def push(self, base_url: str, provider: str, reports: list | dict | bytes, token: str | None = None,
                   headers: dict | None = None) -> httpx.Response:
        """POST a status push the way the provider does: a JSON array to the URL configured in its console."""
        url = f"{base_url}/v1/providers/{provider}/receipts"
        params = {"token": token} if token is not None else None
        content = reports if isinstance(reports, bytes) else json.dumps(reports, ensure_ascii=False).encode()
        async with httpx.AsyncClient(timeout=10) as client:
            return await client.post(url, params=params, content=content,
                                     headers={"Content-Type": "application/json;charset=utf-8", **(headers or {})})


def provider_settings(server: FakeSmsServer) -> dict:
    """Every SMS provider pointed at the fake, with templates for what the tests send."""
    templates = {"appointment_reminder": {"id": "SMS_475960123", "params": ["customer_name", "start_local"]},
                 "birthday_greeting": {"id": "SMS_475960124", "params": ["customer_name", "branch_name"]}}
    return {
        "aliyun": {"access_key_id": SECRETS["aliyun"][0], "access_key_secret": SECRETS["aliyun"][1], "sign_name": "售楼处",
                   "templates": templates, "endpoint": server.url, "receipt_token": RECEIPT_TOKENS["aliyun"]},
        "tencent": {"secret_id": SECRETS["tencent"][0], "secret_key": SECRETS["tencent"][1], "sdk_app_id": "1400000000",
                    "sign_name": "售楼处", "endpoint": server.url, "receipt_token": RECEIPT_TOKENS["tencent"],
                    "templates": {"appointment_reminder": {"id": "2012345", "params": ["customer_name", "start_local"]},
                                  "birthday_greeting": {"id": "2012346", "params": ["customer_name", "branch_name"]}}},
        "twilio": {"account_sid": SECRETS["twilio"][0], "auth_token": SECRETS["twilio"][1], "from_number": "+15005550006",
                   "base_url": f"{server.url}/twilio", "status_callback": "https://crm.test/v1/providers/twilio/receipts"},
    }


@asynccontextmanager
async def listening(app):
    """The app (already started) also on a real HTTP port of this event loop, for providers' pushes."""
    import uvicorn

    from crm_shared.stack import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="error"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
