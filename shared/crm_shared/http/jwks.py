"""The identity provider's signing keys (JWKS), fetched with httpx and cached.

Keys are fetched on first use and again once `CRM_JWT_JWKS_CACHE_SECONDS` have passed; a token
whose `kid` is not among the cached keys triggers one re-fetch, so a key the provider has just
rotated in is picked up without a restart, and a key it has dropped is dropped here too. Fetches
are never closer together than `CRM_JWT_JWKS_REFETCH_SECONDS` (a flood of made-up `kid`s costs the
provider one request per period), only one runs at a time, and they never block the event loop.
A failed re-fetch keeps the cached keys; with no keys at all the caller answers 401.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from dataclasses import dataclass, field

import httpx
import jwt

log = logging.getLogger("crm.auth")

MAX_JWKS_BYTES = 1 << 20
ASYMMETRIC_KTY = {"RSA", "EC", "OKP"}


class JwksUnavailable(Exception):
    """No keys: the JWKS URL could not be fetched or held no usable signing key."""


class UnknownKey(Exception):
    """The token names a `kid` the identity provider does not publish (or names none among several keys)."""


@dataclass
class SigningKey:
    key: jwt.PyJWK
    alg: str | None  # the JWK's own `alg`, when it declares one


@dataclass
class JwksCache:
    url: str
    ttl: float
    refetch_interval: float
    timeout: float
    keys: dict[str | None, SigningKey] = field(default_factory=dict)
    generation: int = 0  # raised whenever the published key set changes
    fetched_at: float | None = None  # last successful fetch (monotonic)
    attempted_at: float | None = None  # last fetch, successful or not
    fetches: int = 0
    last_error: str = ""
    _fingerprint: str = ""
    _locks: weakref.WeakKeyDictionary = field(default_factory=weakref.WeakKeyDictionary)

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if (lock := self._locks.get(loop)) is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    def _stale(self, now: float) -> bool:
        return self.fetched_at is None or now - self.fetched_at >= self.ttl

    def _may_fetch(self, now: float) -> bool:
        return self.attempted_at is None or now - self.attempted_at >= self.refetch_interval

    async def key_for(self, kid: str | None) -> SigningKey:
        """The key for a token's `kid`, fetching the key set when stale or when the `kid` is new."""
        now = time.monotonic()
        if (self._stale(now) or self._pick(kid) is None) and self._may_fetch(now):
            seen = self.attempted_at
            async with self._lock():
                if self.attempted_at == seen:  # nobody fetched while this one waited
                    await self._fetch()
        if (key := self._pick(kid)) is not None:
            return key
        if not self.keys:
            raise JwksUnavailable(self.last_error or "no signing keys")
        raise UnknownKey(kid)

    def _pick(self, kid: str | None) -> SigningKey | None:
        if kid is not None:
            return self.keys.get(kid)
        return next(iter(self.keys.values())) if len(self.keys) == 1 else None  # no `kid`: only a lone key fits

    async def _fetch(self) -> None:
        self.attempted_at = time.monotonic()
        self.fetches += 1
        try:
            async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
                r = await client.get(self.url, headers={"Accept": "application/json"})
            r.raise_for_status()
            if len(r.content) > MAX_JWKS_BYTES:
                raise ValueError(f"JWKS larger than {MAX_JWKS_BYTES} bytes")
            keys = parse_jwks(r.json())
        except Exception as exc:  # noqa: BLE001 - any failure (network, status, JSON, keys) keeps the cached keys
            self.last_error = f"{type(exc).__name__}: {exc}"[:300]
            level = logging.WARNING if self.keys else logging.ERROR
            log.log(level, "JWKS fetch from %s failed (%s); %s", self.url, self.last_error,
                    f"keeping {len(self.keys)} cached keys" if self.keys else "no keys to verify tokens with")
            return
        fingerprint = json.dumps(sorted((str(k), v.key._jwk_data) for k, v in keys.items()), sort_keys=True, default=str)
        if fingerprint != self._fingerprint:
            if self.fetched_at is not None:
                log.info("JWKS at %s changed: kids %s -> %s", self.url, sorted(map(str, self.keys)), sorted(map(str, keys)))
            self.keys, self._fingerprint = keys, fingerprint
            self.generation += 1
        self.fetched_at, self.last_error = time.monotonic(), ""


def parse_jwks(document: object) -> dict[str | None, SigningKey]:
    """The usable signing keys of a JWKS document by `kid`; raises ValueError when there is none.

    Symmetric (`oct`) keys and keys published for encryption are ignored: a JWKS key only ever
    checks an asymmetric signature, so an HS256 token cannot be checked with a public key.
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document (no `keys` list)")
    keys: dict[str | None, SigningKey] = {}
    for jwk in document["keys"]:
        if not isinstance(jwk, dict) or jwk.get("kty") not in ASYMMETRIC_KTY or jwk.get("use", "sig") != "sig":
            continue
        alg = jwk.get("alg")
        if alg is not None and (not isinstance(alg, str) or alg.startswith("HS") or alg == "none"):
            continue
        kid = jwk.get("kid")
        if kid is not None and not isinstance(kid, str):
            continue
        try:
            key = jwt.PyJWK(jwk)
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            continue  # an unsupported curve or a malformed key: the others still count
        keys[kid] = SigningKey(key, alg)
    if not keys:
        raise ValueError("the JWKS holds no usable signing key")
    return keys


_CACHES: dict[tuple, JwksCache] = {}


def jwks_cache(url: str, ttl: float, refetch_interval: float, timeout: float) -> JwksCache:
    """The process's cache for this JWKS URL (shared by every app and request using it)."""
    key = (url, ttl, refetch_interval, timeout)
    if (cache := _CACHES.get(key)) is None:
        cache = _CACHES[key] = JwksCache(url, ttl, refetch_interval, timeout)
    return cache
