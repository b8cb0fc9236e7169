"""A stand-in identity provider for tests: signing keys made with `cryptography`, a JWKS served
over real HTTP (`http.server` in a thread), tokens signed like the provider signs them.

The published key set can be changed while it runs (rotation), made to fail (500) or to hang
(longer than the client's timeout); every fetch is counted.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://sso.example-group.cn/realms/crm"
AUDIENCE = "crm-api"


@dataclass
class Key:
    kid: str
    alg: str
    private: object

    @classmethod
    def rsa(cls, kid: str | None = None) -> "Key":
        return cls(kid or f"rsa-{uuid.uuid4().hex[:8]}", "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def ec(cls, kid: str | None = None) -> "Key":
        return cls(kid or f"ec-{uuid.uuid4().hex[:8]}", "ES256", ec.generate_private_key(ec.SECP256R1()))

    def jwk(self) -> dict:
        algorithm = RSAAlgorithm if self.alg.startswith("RS") else ECAlgorithm
        public = algorithm.to_jwk(self.private.public_key(), as_dict=True)  # type: ignore[attr-defined]
        return {**public, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def sign(self, claims: dict, *, kid: str | None = None, ttl: int = 600, **header) -> str:
        body = {"iss": ISSUER, "aud": AUDIENCE, "iat": int(time.time()), "exp": int(time.time()) + ttl, **claims}
        body = {k: v for k, v in body.items() if v is not None}  # a claim given as None is left out
        return jwt.encode(body, self.private, algorithm=self.alg, headers={"kid": kid or self.kid, **header})


class JwksServer:
    """Serves `{"keys": [...]}` at /jwks on a free port of 127.0.0.1."""

    def __init__(self, *keys: Key) -> None:
        self.keys = list(keys)
        self.fetches = 0
        self.mode = "ok"  # "ok", "fail" (HTTP 500), "hang" (answers after `hang_seconds`)
        self.hang_seconds = 3.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.fetches += 1
                if self.path != "/jwks":
                    self.send_error(404)
                    return
                if server.mode == "hang":
                    time.sleep(server.hang_seconds)
                if server.mode == "fail":
                    self.send_error(500)
                    return
                body = json.dumps({"keys": [k.jwk() for k in server.keys]}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the "hang" mode)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "JwksServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def publish(self, *keys: Key) -> None:
        """Rotate: from now on the provider publishes exactly these keys."""
        self.keys = list(keys)


def idp_settings(server: JwksServer, **overrides) -> dict:
    """The `CRM_JWT_*` values pointing at this provider (merge into Settings/isolated_settings)."""
    return {"jwt_jwks_url": server.url, "jwt_issuer": ISSUER, "jwt_audience": AUDIENCE,
            "jwt_jwks_refetch_seconds": 0, **overrides}
