"""A local HTTP server answering like Aliyun SMS, Tencent Cloud SMS and Twilio, checking their signatures.

The checks are written here from the providers' documentation, independently of the provider
code under test, so a signing bug shows up as a rejected request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote

SECRETS = {"aliyun": ("ak-id", "ak-secret"), "tencent": ("AKIDtest", "tc-secret"), "twilio": ("ACtest", "tw-token")}


def aliyun_expected(params: dict[str, str], secret: str, method: str) -> str:
    enc = lambda s: quote(s, safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")  # noqa: E731
    canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()) if k != "Signature")
    to_sign = method + "&" + enc("/") + "&" + enc(canonical)
    return base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


def tencent_expected(headers, body: bytes, secret_id: str, secret_key: str) -> str:
    ts = int(headers["X-TC-Timestamp"])
    day = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")
    canonical = (f"POST\n/\n\ncontent-type:{headers['Content-Type']}\nhost:{headers['Host']}\n\ncontent-type;host\n"
                 + hashlib.sha256(body).hexdigest())
    scope = f"{day}/sms/tc3_request"
    sts = f"TC3-HMAC-SHA256\n{ts}\n{scope}\n" + hashlib.sha256(canonical.encode()).hexdigest()
    k = hmac.new(("TC3" + secret_key).encode(), day.encode(), hashlib.sha256).digest()
    k = hmac.new(k, b"sms", hashlib.sha256).digest()
    k = hmac.new(k, b"tc3_request", hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={sig}"


class FakeSmsServer:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: dict[str, list[tuple[int, dict]]] = {"aliyun": [], "tencent": [], "twilio": []}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                provider = self.path.strip("/").split("/")[0]
                status, answer = fake.handle(provider, self.path, dict(self.headers), body)
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, provider: str, path: str, headers: dict, body: bytes) -> tuple[int, dict]:
        record = {"provider": provider, "path": path, "headers": headers, "body": body}
        if provider == "aliyun":
            params = dict(parse_qsl(body.decode()))
            record["params"], record["signed"] = params, hmac.compare_digest(
                params.get("Signature", ""), aliyun_expected(params, SECRETS["aliyun"][1], "POST"))
            if not record["signed"]:
                answer = (200, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"})
            else:
                answer = (200, {"Code": "OK", "Message": "OK", "BizId": f"biz-{uuid.uuid4().hex[:12]}", "RequestId": "r"})
        elif provider == "tencent":
            record["params"] = json.loads(body)
            record["signed"] = headers.get("Authorization") == tencent_expected(headers, body, *SECRETS["tencent"])
            if not record["signed"]:
                answer = (200, {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad"}, "RequestId": "r"}})
            else:
                answer = (200, {"Response": {"SendStatusSet": [{"SerialNo": f"serial-{uuid.uuid4().hex[:8]}", "Fee": 1,
                                                               "Code": "Ok", "Message": "send success"}], "RequestId": "r"}})
        else:
            params = dict(parse_qsl(body.decode()))
            sid, token = SECRETS["twilio"]
            expected = "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()
            record["params"], record["signed"] = params, headers.get("Authorization") == expected and f"/Accounts/{sid}/" in path
            if not record["signed"]:
                answer = (401, {"code": 20003, "message": "Authenticate"})
            else:
                answer = (201, {"sid": f"SM{uuid.uuid4().hex}", "status": "queued", "num_segments": "1"})
        self.requests.append(record)
        if record["signed"] and self.script.get(provider):
            return self.script[provider].pop(0)
        return answer


def provider_settings(server: FakeSmsServer) -> dict:
    return {
        "aliyun": {"access_key_id": SECRETS["aliyun"][0], "access_key_secret": SECRETS["aliyun"][1], "sign_name": "售楼处",
                   "default_template_code": "SMS_1", "endpoint": f"{server.url}/aliyun/", "receipt_token": "rt-aliyun"},
        "tencent": {"secret_id": SECRETS["tencent"][0], "secret_key": SECRETS["tencent"][1], "sdk_app_id": "1400000000",
                    "sign_name": "售楼处", "default_template": {"id": "100", "params": ["content"]},
                    "endpoint": f"{server.url}/tencent/"},
        "twilio": {"account_sid": SECRETS["twilio"][0], "auth_token": SECRETS["twilio"][1], "from_number": "+15005550006",
                   "base_url": f"{server.url}/twilio", "status_callback": "https://crm.test/v1/providers/twilio/receipts"},
    }
