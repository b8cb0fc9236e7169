"""Sealed personal data under per-customer keys (crypto-shredding), docs/architecture.md
"Personal data and erasure".

Every customer (a phone number) has its own random 256-bit data key, kept in the JetStream
key-value bucket `CRM_KEYS` (`CRM_KEYS_BUCKET`; history 1; created by the platform at start) under
the customer's phone hash (`crm_shared.phones.phone_hash`, the HMAC every event already carries).
The stored value is the data key *wrapped* (AES-256-GCM) with a key derived from the root key
`CRM_PHONE_SEAL_KEY`, so a dump of the bucket alone opens nothing. Only the services' NATS user
can reach the bucket (`$KV.CRM_KEYS.>` and `$JS.API.*.KV_CRM_KEYS` are outside every integrator's
grant, crm_shared.nats_auth.permissions).

A seal (what travels as `phone_sealed`):

- `s2.<phone hash>.<base64url(nonce | ciphertext | tag)>`: the number under the customer's data key,
  the hash as associated data. Erasing the customer purges the key (and its history) from the
  bucket, so every copy of the seal -- in the stream, in a backup, in a service's store -- stays
  shut for good.
- `s1.<...>` (before issue 19): the number under the root key itself (`crm_shared.phones.seal`);
  still opened, never written by a service any more.

`DataKeys` is one per process (`ctx.keys`, made by the platform): it caches data keys for
`CRM_DATA_KEY_CACHE_SECONDS` (default 30 s), so a busy registration desk does not ask NATS for
every seal; erasing forgets the key at once in this process, and in the others on `customer.erased`
(each service's handler calls `forget`) or at the latest when the cache entry runs out.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import os
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import nats.errors
import nats.js.errors
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from nats.js.api import KeyValueConfig, StorageType

from crm_shared.config import Settings
from crm_shared.errors import Busy
from crm_shared.phones import SEAL_VERSION as V1, phone_hash, unseal as unseal_v1

V2 = "s2"
WRAP = "w1"
HASH_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_SEAL = 600  # an email sealed (appointment events) runs to about 450
MAX_CACHED = 50_000
_SEAL_AAD = b"crm-seal-v2:"
_WRAP_AAD = b"crm-data-key:"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def wrapping_key(root: str) -> bytes:
    """The key that wraps data keys, derived from the root key (not the v1 seal key itself)."""
    return hmac.new(root.encode(), b"crm-data-key-wrap/v1", hashlib.sha256).digest()


def wrap(data_key: bytes, kid: str, root: str) -> bytes:
    nonce = os.urandom(12)
    return f"{WRAP}.{_b64(nonce + AESGCM(wrapping_key(root)).encrypt(nonce, data_key, _WRAP_AAD + kid.encode()))}".encode()


def unwrap(value: bytes, kid: str, root: str) -> bytes | None:
    """The data key inside a bucket value, or None (another root key, a damaged value)."""
    try:
        text = value.decode()
        if not text.startswith(WRAP + "."):
            return None
        blob = _unb64(text[len(WRAP) + 1:])
        key = AESGCM(wrapping_key(root)).decrypt(blob[:12], blob[12:], _WRAP_AAD + kid.encode())
    except (InvalidTag, ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return key if len(key) == 32 else None


def seal_with(data_key: bytes, kid: str, text: str) -> str:
    nonce = os.urandom(12)
    return f"{V2}.{kid}.{_b64(nonce + AESGCM(data_key).encrypt(nonce, text.encode(), _SEAL_AAD + kid.encode()))}"


def seal_parts(sealed: Any) -> tuple[str, bytes] | None:
    """(key id, nonce|ciphertext) of a v2 seal, or None when the text is not one."""
    if not isinstance(sealed, str) or len(sealed) > MAX_SEAL or not sealed.startswith(V2 + "."):
        return None
    kid, _, body = sealed[len(V2) + 1:].partition(".")
    if not HASH_RE.match(kid) or not body:
        return None
    try:
        blob = _unb64(body)
    except (ValueError, binascii.Error):
        return None
    return (kid, blob) if len(blob) > 28 else None


def key_id(sealed: Any) -> str | None:
    """The phone hash a v2 seal names (its data key), None for anything else."""
    parts = seal_parts(sealed)
    return parts[0] if parts else None


def open_with(data_key: bytes, kid: str, blob: bytes) -> str | None:
    try:
        return AESGCM(data_key).decrypt(blob[:12], blob[12:], _SEAL_AAD + kid.encode()).decode()
    except (InvalidTag, ValueError, UnicodeDecodeError):
        return None


def bucket_config(settings: Settings) -> KeyValueConfig:
    return KeyValueConfig(bucket=settings.keys_bucket, history=1, storage=StorageType.FILE,
                          replicas=settings.stream_replicas,
                          description="Per-customer data keys (wrapped), by phone hash; services only. "
                                      "An erasure purges a key: its seals never open again.")


async def ensure_bucket(js: Any, settings: Settings) -> Any:
    """The key bucket, created when missing (every start, every replica: idempotent)."""
    try:
        return await js.key_value(settings.keys_bucket)
    except nats.js.errors.BucketNotFoundError:
        try:
            return await js.create_key_value(bucket_config(settings))
        except nats.js.errors.APIError:  # created concurrently by another replica
            return await js.key_value(settings.keys_bucket)


class DataKeys:
    """Seal and open personal data with per-customer keys; one per process (`ctx.keys`)."""

    def __init__(self, kv: Any, settings: Settings, ttl: float | None = None) -> None:
        self.kv, self.settings = kv, settings
        self.ttl = settings.data_key_cache_seconds if ttl is None else ttl
        self._cache: dict[str, tuple[bytes, float]] = {}

    def kid(self, e164: str) -> str:
        return phone_hash(e164, self.settings.phone_hash_key)

    def _cached(self, kid: str) -> bytes | None:
        hit = self._cache.get(kid)
        if hit is None:
            return None
        if hit[1] < time.monotonic():
            self._cache.pop(kid, None)
            return None
        return hit[0]

    def _keep(self, kid: str, key: bytes) -> bytes:
        if self.ttl > 0:
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            self._cache[kid] = (key, time.monotonic() + self.ttl)
        return key

    def forget(self, kid: str) -> None:
        """Drop a cached key (an erasure, here or in another process)."""
        self._cache.pop(kid, None)

    async def _read(self, kid: str) -> bytes | None:
        try:
            entry = await self.kv.get(kid)
        except nats.js.errors.KeyNotFoundError:
            return None
        except (nats.errors.Error, asyncio.TimeoutError) as exc:
            raise Busy("key-store-unavailable", f"the customers' key store did not answer: {type(exc).__name__}") from None
        return unwrap(entry.value or b"", kid, self.settings.phone_seal_key)

    async def key(self, kid: str, create: bool = False) -> bytes | None:
        """A customer's data key: cached, read from the bucket, or (`create`) made and stored."""
        if (found := self._cached(kid)) is not None:
            return found
        if (found := await self._read(kid)) is not None:
            return self._keep(kid, found)
        if not create:
            return None
        fresh = os.urandom(32)
        try:
            await self.kv.create(kid, wrap(fresh, kid, self.settings.phone_seal_key))
        except nats.js.errors.KeyWrongLastSequenceError:  # another seal made it first: use that one
            if (found := await self._read(kid)) is None:
                raise Busy("key-store-unavailable", "a customer's key could not be read back") from None
            return self._keep(kid, found)
        except (nats.errors.Error, asyncio.TimeoutError) as exc:
            raise Busy("key-store-unavailable", f"the customers' key store did not answer: {type(exc).__name__}") from None
        return self._keep(kid, fresh)

    async def seal(self, e164: str) -> str:
        """A full number sealed under its customer's key (the key made on first use)."""
        kid = self.kid(e164)
        return seal_with(await self.key(kid, create=True), kid, e164)

    async def seal_for(self, kid: str, text: str) -> str:
        """Another personal value (an email, a birthday) of the customer `kid` (its phone hash)."""
        if not HASH_RE.match(kid):
            raise ValueError("a key id is a phone hash (64 hex digits)")
        return seal_with(await self.key(kid, create=True), kid, text)

    async def unseal(self, sealed: str | None) -> str | None:
        """What a seal holds; None for no seal, a damaged one, or one whose customer was erased.
        Reads both forms: v2 (per-customer key) and v1 (the root key, before issue 19)."""
        if not sealed or not isinstance(sealed, str):
            return None
        if sealed.startswith(V1 + "."):
            return unseal_v1(sealed, self.settings.phone_seal_key)
        parts = seal_parts(sealed)
        if parts is None:
            return None
        kid, blob = parts
        key = await self.key(kid)
        return open_with(key, kid, blob) if key is not None else None

    async def exists(self, kid: str) -> bool:
        return self._cached(kid) is not None or await self._read(kid) is not None

    async def erase(self, kid: str) -> bool:
        """Purge the customer's key and every revision of it from the bucket (crypto-shredding);
        True when there was one. Idempotent."""
        if not HASH_RE.match(kid):
            raise ValueError("a key id is a phone hash (64 hex digits)")
        self.forget(kid)
        try:
            had = await self._read(kid) is not None
            await self.kv.purge(kid)
        except (nats.errors.Error, asyncio.TimeoutError) as exc:
            raise Busy("key-store-unavailable", f"the customers' key store did not answer: {type(exc).__name__}") from None
        self.forget(kid)
        return had


async def open_keys(js: Any, settings: Settings) -> DataKeys:
    return DataKeys(await ensure_bucket(js, settings), settings)


@asynccontextmanager
async def connected(settings: Settings) -> AsyncIterator[DataKeys]:
    """`DataKeys` on a connection of its own, with the services' credentials (tools and tests)."""
    from crm_shared.bus.connection import connect

    nc = await connect(settings)
    try:
        yield await open_keys(nc.jetstream(), settings)
    finally:
        await nc.close()


async def unseal_with(settings: Settings, sealed: str | None) -> str | None:
    """Open one seal on a connection of its own, no cache (tools and tests)."""
    async with connected(settings) as keys:
        return await DataKeys(keys.kv, settings, ttl=0).unseal(sealed)
