"""The auth callout service (NATS ≥ 2.10): turns an integrator's CRM token into a NATS user.

nats-server sends every connection that is not one of its `auth_users` (the services) to
`$SYS.REQ.USER.AUTH` as an authorization-request JWT signed by the server; this service
answers with an authorization-response JWT signed by the account nkey the server trusts
(`auth_callout.issuer`), holding either a user JWT (the permissions of `permissions.py`) or an
error. The CRM token comes as the connect `token` (or as the password, with any user name) and
is verified exactly as the HTTP API verifies a bearer token (`crm_shared.http.auth.verify_token`:
HS256 with CRM_JWT_SECRET, or the identity provider's keys through CRM_JWT_JWKS_URL). The NATS
user expires with the token, so the server closes the connection when the token runs out.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from pathlib import Path

import jwt as pyjwt
from nats.aio.client import Client
from nats.aio.msg import Msg

from crm_shared.bus.connection import drain
from crm_shared.config import Settings
from crm_shared.http.problems import Problem
from crm_shared.nats_auth import nkeys_jwt
from crm_shared.nats_auth.permissions import NotAllowed, decide

AUTH_SUBJECT = "$SYS.REQ.USER.AUTH"
QUEUE = "crm-nats-auth"
CONNECTION_NAME = "crm-nats-auth"  # what deploy/compose.yaml's healthcheck looks for in the server's connz
log = logging.getLogger("crm.nats_auth")


class AuthCallout:
    """Answers the server's authorization requests; one or several replicas (a queue group)."""

    def __init__(self, settings: Settings, issuer_seed: str | None = None, account: str | None = None,
                 numbered_consumers: int | None = None) -> None:
        seed = issuer_seed or settings.nats_auth_issuer_seed
        if not seed:
            raise ValueError("CRM_NATS_AUTH_ISSUER_SEED is not set: the auth callout needs the account nkey seed it signs with")
        try:
            kind = nkeys_jwt.seed_kind(seed)
        except nkeys_jwt.NatsJwtError:
            kind = "none"
        if kind != "account":
            raise ValueError("CRM_NATS_AUTH_ISSUER_SEED must be an account nkey seed (SA...)")
        self.settings = settings
        self.issuer = nkeys_jwt.keypair(seed)
        self.account = account or settings.nats_auth_account
        self.numbered = settings.nats_auth_consumers if numbered_consumers is None else numbered_consumers
        self.nc: Client | None = None
        self._own_connection = False

    @property
    def issuer_public_key(self) -> str:
        return self.issuer.public_key.decode()

    async def start(self, nc: Client | None = None) -> None:
        """Subscribe (on `nc`, or on a connection of its own with the services' credentials, named
        CONNECTION_NAME), reached as `crm serve` reaches NATS (`crm_shared.app.reach_nats`): while the
        server is down, one line per attempt with growing pauses; once connected, nats.py reconnects and
        subscribes again by itself."""
        if nc is None:
            from crm_shared.app import reach_nats  # the platform's app module: only when connecting on our own

            nc = await reach_nats(self.settings, CONNECTION_NAME, what="auth callout: NATS")
            self._own_connection = True
        self.nc = nc
        await nc.subscribe(AUTH_SUBJECT, queue=QUEUE, cb=self._handle)
        await nc.flush()
        log.info("auth callout ready", extra={"issuer": self.issuer_public_key, "account": self.account})

    async def stop(self) -> None:
        """Drain the subscription (requests in hand are answered) and close the connection of its own."""
        if self.nc is not None and self._own_connection:
            await drain(self.nc)
        self.nc = None

    async def _handle(self, msg: Msg) -> None:
        try:
            answer = await self.answer(msg.data)
        except Exception:  # never leave the server waiting: it would time out the client anyway
            log.exception("auth callout failed on a request")
            return
        if msg.reply:
            await msg.respond(answer)

    async def answer(self, request: bytes) -> bytes:
        """The signed authorization response to one request JWT."""
        try:
            claims = nkeys_jwt.decode(request.decode("utf-8", errors="replace"))
        except nkeys_jwt.NatsJwtError as exc:
            log.warning("auth callout: unreadable request (%s)", exc)
            return b""  # an empty answer: not authorized
        body = claims.get("nats") or {}
        server_id = str((body.get("server_id") or {}).get("id", ""))
        user_nkey = str(body.get("user_nkey", ""))
        if claims.get("iss") != server_id or body.get("type") != "authorization_request" or not user_nkey:
            log.warning("auth callout: request not signed by the server it names")
            return b""
        opts = body.get("connect_opts") or {}
        token = (opts.get("auth_token") or opts.get("pass") or "").strip()
        client = (body.get("client_info") or {}).get("host", "")
        try:
            grant, expires = await self._grant(token)
        except NotAllowed as exc:
            log.info("nats connection refused", extra={"client": client, "reason": str(exc)})
            return self._response(user_nkey, server_id, error=str(exc))
        user = {"sub": user_nkey, "aud": self.account, "name": grant.name, "nats": grant.nats_claims()}
        if expires:
            user["exp"] = expires
        log.info("nats connection authorized", extra={"client": client, "user": grant.name})
        return self._response(user_nkey, server_id, jwt=nkeys_jwt.encode(user, self.issuer))

    async def _grant(self, token: str):
        if not token:
            return decide(self.settings, None, None, None, self.numbered), None
        from crm_shared.http.auth import verify_token

        try:
            principal = await verify_token(self.settings, token)
        except Problem:
            raise NotAllowed("invalid or expired CRM token") from None
        exp = pyjwt.decode(token, options={"verify_signature": False}).get("exp")  # verified above
        expires = int(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None
        if expires is not None and expires <= time.time():
            raise NotAllowed("expired CRM token")
        return decide(self.settings, principal.role, principal.sub, principal.branches, self.numbered), expires

    def _response(self, user_nkey: str, server_id: str, *, jwt: str = "", error: str = "") -> bytes:
        nats_part = {"type": "authorization_response", "version": 2}
        if jwt:
            nats_part["jwt"] = jwt
        else:
            nats_part["error"] = error or "not authorized"
        return nkeys_jwt.encode({"sub": user_nkey, "aud": server_id, "nats": nats_part}, self.issuer).encode()


async def serve(callout: AuthCallout, ready_file: str | None = None) -> None:
    """`crm nats-auth`: start `callout` on a connection of its own and answer until SIGTERM or SIGINT,
    which drain the subscription; a signal while NATS is still being reached stops at once. `ready_file`
    gets the issuer's public key once the subscription is in place (the local stack waits for it). An error
    once NATS is reached (not a retried connection failure) propagates."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    starting = asyncio.create_task(callout.start(), name="nats-auth:start")
    stopping = asyncio.create_task(stop.wait(), name="nats-auth:signal")
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            starting.result()
            if ready_file:
                Path(ready_file).write_text(callout.issuer_public_key)
            await stopping
        log.info("auth callout stopping")
    finally:
        for task in (starting, stopping):
            task.cancel()
        await asyncio.gather(starting, stopping, return_exceptions=True)
        await callout.stop()
