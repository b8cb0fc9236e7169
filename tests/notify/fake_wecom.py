"""A local HTTP server answering like WeCom's server API (企业微信服务端API) for app messages.

`GET /cgi-bin/gettoken?corpid=&corpsecret=` issues access tokens valid `expires_in` seconds; `POST
/cgi-bin/message/send?access_token=` checks the token (expired: 42001, unknown: 40014), the agent id and the
text message's shape, records the send and answers with a msgid, or as scripted: a member it does not know is
81013 with `invaliduser`, an unlicensed one `unlicenseduser`; `script` queues answers (-1, 45009, ...) for the
next sends. Written from WeCom's documentation, independently of the provider under test.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

CORP_ID, SECRET, AGENT_ID = "ww0123456789abcdef", "app-secret-of-the-crm-app", 1000002
SEND_FIELDS = {"touser", "msgtype", "agentid", "text", "safe", "enable_duplicate_check", "duplicate_check_interval"}


def busy(errcode: int = -1, errmsg: str = "system busy") -> dict:
    return {"errcode": errcode, "errmsg": errmsg}


class FakeWeComServer:
    def __init__(self, expires_in: int = 7200, token_delay: float = 0.0) -> None:
        self.expires_in, self.token_delay = expires_in, token_delay
        self.members: set[str] | None = None  # None: everyone is a member
        self.unlicensed: set[str] = set()
        self.tokens: dict[str, float] = {}  # token -> expiry (time.monotonic())
        self.token_requests = 0
        self.sends: list[dict] = []  # sends a member receives: the body as posted
        self.answers: list[dict] = []  # every send's answer, in order
        self.script: list[dict] = []  # answers for the next sends with a valid token
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                self.answer(*fake.route("GET", self.path, b""))

            def do_POST(self):
                self.answer(*fake.route("POST", self.path, self.rfile.read(int(self.headers.get("Content-Length", "0")))))

            def answer(self, status: int, body: dict) -> None:
                raw = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
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

    def settings(self, **extra) -> dict:
        """The `wecom` provider's settings for this server."""
        return {"corp_id": CORP_ID, "agent_id": AGENT_ID, "secret": SECRET, "base_url": self.url, **extra}

    def expire_tokens(self) -> None:
        """Every token issued so far has run out: WeCom answers 42001 for it."""
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)

    def forget_tokens(self) -> None:
        """Every token issued so far is unknown (as after the secret was reset): WeCom answers 40014."""
        with self.lock:
            self.tokens.clear()

    def route(self, method: str, path: str, body: bytes) -> tuple[int, dict]:
        url = urlsplit(path)
        query = dict(parse_qsl(url.query))
        if method == "GET" and url.path == "/cgi-bin/gettoken":
            return 200, self.gettoken(query)
        if method == "POST" and url.path == "/cgi-bin/message/send":
            return 200, self.send(query.get("access_token", ""), body)
        return 404, {"errcode": 404, "errmsg": "not found"}

    def gettoken(self, query: dict) -> dict:
        time.sleep(self.token_delay)  # a slow answer lets concurrent callers pile up
        with self.lock:
            self.token_requests += 1
            if query.get("corpid") != CORP_ID:
                return {"errcode": 40013, "errmsg": "invalid corpid"}
            if query.get("corpsecret") != SECRET:
                return {"errcode": 40001, "errmsg": "invalid credential"}
            token = uuid.uuid4().hex
            self.tokens[token] = time.monotonic() + self.expires_in
            return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.expires_in}

    def send(self, token: str, raw: bytes) -> dict:
        with self.lock:
            answer = self._answer(token, raw)
            self.answers.append(answer)
            return answer

    def _answer(self, token: str, raw: bytes) -> dict:
        if token not in self.tokens:
            return {"errcode": 40014, "errmsg": "invalid access_token"}
        if time.monotonic() >= self.tokens[token]:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        try:
            body = json.loads(raw)
        except ValueError:
            return {"errcode": 47001, "errmsg": "data format error"}
        if set(body) != SEND_FIELDS or body["msgtype"] != "text" or not isinstance(body["text"], dict) \
                or not body["text"].get("content"):
            return {"errcode": 40008, "errmsg": f"invalid message: {sorted(body)}"}
        if body["agentid"] != AGENT_ID:
            return {"errcode": 40056, "errmsg": "invalid agentid"}
        if self.script:
            return self.script.pop(0)
        to = body["touser"]
        if self.members is not None and to not in self.members:
            return {"errcode": 81013, "errmsg": "user & party & tag all invalid", "invaliduser": to}
        if to not in self.unlicensed:  # accepted, but an unlicensed member never sees it
            self.sends.append(body)
        msgid = f"msg-{uuid.uuid4().hex}"
        return {"errcode": 0, "errmsg": "ok", "invaliduser": "", "invalidparty": "", "invalidtag": "",
                "unlicenseduser": to if to in self.unlicensed else "", "msgid": msgid, "response_code": "rc-" + msgid[4:]}
