"""`wecom`: WeCom (企业微信) app messages to staff, from the office's self-built app (自建应用).

Two calls of the server API: `GET /cgi-bin/gettoken?corpid=&corpsecret=` for an access token (valid
`expires_in` seconds, 7200), `POST /cgi-bin/message/send?access_token=` with a text message to one
userid. The token is cached per provider and shared by every send in flight: one fetch at a time,
renewed `token_margin_seconds` before it runs out, and renewed once more when WeCom calls it invalid
or expired (40014, 42001, 40001), the send then retried once.

Receipts where WeCom gives them: it gives none for app messages. The send's answer is the receipt:
the userid listed in `invaliduser` or `unlicenseduser` (or errcode 81013) is a failed delivery, a
`msgid` is an accepted one (the message is `sent`); nothing arrives later.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import Field

from crm_notify.providers.base import (
    Outgoing, PermanentError, Provider, ProviderSettings, SendResult, TransientError, printable,
)

DEFAULT_BASE_URL = "https://qyapi.weixin.qq.com"
TOKEN_CODES = frozenset({40014, 42001, 40001})  # invalid or expired access token (40001 also: a bad secret)
BUSY_CODES = frozenset({-1, 45009, 45033})  # system busy, call frequency, concurrent calls: later
NO_SUCH_USER = 81013  # user, party and tag all invalid: not a member, or outside the app's visible range
UNTRUSTED_IP = 60020  # the server's address is not among the app's trusted IPs (企业可信IP)
DUPLICATE_CHECK_SECONDS = 1800  # WeCom drops the same text to the same member inside this (a resend after a lost answer)


class WeComSettings(ProviderSettings):
    corp_id: str = Field(min_length=1, max_length=64, title="Corp ID",
                         description="企业ID: admin console, 我的企业 → 企业信息.")
    agent_id: int = Field(gt=0, title="Agent ID", description="AgentId of the self-built app (应用管理 → the app).")
    secret: str = Field(min_length=1, max_length=128, title="Secret", description="The app's Secret (shown in WeCom).")
    base_url: str = Field(DEFAULT_BASE_URL, max_length=255, title="API base URL",
                          description="WeCom's server API; tests point it at a local fake.")
    token_margin_seconds: float = Field(300, ge=0, le=3600, title="Token renewal margin",
                                        description="The cached access token is renewed this long before it expires.")


@dataclass(frozen=True)
class _Token:
    value: str
    renew_at: float  # time.monotonic()


def _listed(answer: dict, field: str) -> set[str]:
    return {name for name in str(answer.get(field) or "").split("|") if name}


class WeComProvider(Provider):
    """Text app messages to one member each; the member's userid is the message's `to`."""

    name = "wecom"
    channels = ("wecom",)
    Settings = WeComSettings
    client: httpx.AsyncClient | None = None

    def __init__(self, settings: WeComSettings, db: Any) -> None:
        super().__init__(settings, db)
        self._token: _Token | None = None
        self._token_lock = asyncio.Lock()

    async def start(self) -> None:
        self.client = httpx.AsyncClient(timeout=self.settings.timeout_seconds, base_url=self.settings.base_url.rstrip("/"))

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()

    async def send(self, message: Outgoing) -> SendResult:
        token = await self.access_token()
        answer = await self._post_text(token, message)
        if answer.get("errcode") in TOKEN_CODES:
            answer = await self._post_text(await self.access_token(stale=token), message)
            if answer.get("errcode") in TOKEN_CODES:
                raise TransientError(f"wecom {answer['errcode']}: a fresh access token was refused too: "
                                     f"{self._said(answer)}")
        return self._result(message.to, answer)

    async def access_token(self, stale: str | None = None) -> str:
        """The cached token, fetched when missing, near its end, or the one a send was refused with (`stale`).
        Concurrent callers wait for the one fetch under way and share its token."""
        async with self._token_lock:
            held = self._token
            if held is None or held.value == stale or time.monotonic() >= held.renew_at:
                held = self._token = await self._fetch_token()
            return held.value

    async def _fetch_token(self) -> _Token:
        s: WeComSettings = self.settings
        answer = await self._call("GET", "/cgi-bin/gettoken", params={"corpid": s.corp_id, "corpsecret": s.secret})
        code = answer.get("errcode", 0)
        if code in BUSY_CODES:
            raise TransientError(f"wecom gettoken {code}: {self._said(answer)}")
        if code == UNTRUSTED_IP:
            raise PermanentError(f"wecom gettoken {code}: this server's address is not among the app's trusted IPs "
                                 f"(app settings, trusted IPs): {self._said(answer)}")
        if code != 0 or not answer.get("access_token"):
            raise PermanentError(f"wecom gettoken {code}: check corp_id and the app's secret: {self._said(answer)}")
        lifetime = float(answer.get("expires_in") or 7200)
        renew_in = max(lifetime - s.token_margin_seconds, lifetime / 2)
        return _Token(str(answer["access_token"]), time.monotonic() + renew_in)

    async def _post_text(self, token: str, message: Outgoing) -> dict:
        body = {"touser": message.to, "msgtype": "text", "agentid": self.settings.agent_id,
                "text": {"content": message.body}, "safe": 0, "enable_duplicate_check": 1,
                "duplicate_check_interval": DUPLICATE_CHECK_SECONDS}
        return await self._call("POST", "/cgi-bin/message/send", params={"access_token": token}, json=body)

    def _result(self, to: str, answer: dict) -> SendResult:
        """The send's answer as the delivery outcome: WeCom sends no receipt later."""
        code = answer.get("errcode", 0)
        if code in BUSY_CODES:
            raise TransientError(f"wecom {code}: {self._said(answer)}")
        if code == NO_SUCH_USER or to in _listed(answer, "invaliduser"):
            raise PermanentError(f"wecom {code}: userid {to!r} is not a member of the corp or is outside the app's "
                                 f"visible range: {self._said(answer)}")
        if to in _listed(answer, "unlicenseduser"):
            raise PermanentError(f"wecom {code}: userid {to!r} has no active WeCom interface licence: "
                                 f"{self._said(answer)}")
        if code != 0 or not answer.get("msgid"):
            raise PermanentError(f"wecom {code}: {self._said(answer)}")
        return SendResult([str(answer["msgid"])[:128]])

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict:
        """One API call; transport errors, 429 and 5xx are transient. The URL (secret, token) never enters an error."""
        if self.client is None:
            await self.start()
        try:
            response = await self.client.request(method, path, **kwargs)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise TransientError(f"wecom {path}: {type(exc).__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientError(f"wecom {path}: HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code >= 400 or not isinstance(answer, dict):
            raise PermanentError(f"wecom {path}: HTTP {response.status_code}, not a WeCom answer")
        return answer

    @staticmethod
    def _said(answer: dict) -> str:
        return printable(str(answer.get("errmsg") or ""))[:300]

    def check_receipt_auth(self, headers: dict[str, str], url: str, body: bytes) -> bool:
        """WeCom posts no delivery receipts for app messages: nothing may claim to be one."""
        return False
