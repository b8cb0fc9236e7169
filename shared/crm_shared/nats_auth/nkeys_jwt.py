"""NATS JWTs (header `{"typ":"JWT","alg":"ed25519-nkey"}`) signed and checked with nkeys.

No Python NATS JWT library is needed for the few claims the auth callout reads and writes:
a JWT is `base64url(header).base64url(claims).base64url(ed25519 signature of the first two)`,
the issuer (`iss`) is the signer's public nkey, and `jti` is the base32 SHA-512/256 of the
claims, as nats-io/jwt (v2) writes it. The server checks our answers with that library.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import time

import nacl.exceptions
import nacl.signing
import nkeys

HEADER = {"typ": "JWT", "alg": "ed25519-nkey"}
PUBLIC_PREFIXES = {
    "account": nkeys.PREFIX_BYTE_ACCOUNT, "user": nkeys.PREFIX_BYTE_USER, "server": nkeys.PREFIX_BYTE_SERVER,
    "operator": nkeys.PREFIX_BYTE_OPERATOR,
}


class NatsJwtError(ValueError):
    """A NATS JWT that does not decode, or whose signature does not verify."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_seed(kind: str = "account") -> str:
    """A fresh nkey seed (`SA...` for an account, `SU...` for a user)."""
    return nkeys.encode_seed(os.urandom(32), PUBLIC_PREFIXES[kind]).decode()


def keypair(seed: str) -> nkeys.KeyPair:
    try:
        return nkeys.from_seed(seed.strip().encode())
    except (nkeys.NkeysError, binascii.Error, ValueError) as exc:
        raise NatsJwtError(f"not an nkey seed: {type(exc).__name__}") from None


def public_key(seed: str) -> str:
    return keypair(seed).public_key.decode()


def seed_kind(seed: str) -> str:
    """`account`, `user`, ... of a seed (an auth callout issuer must be an account seed)."""
    try:
        prefix, _ = nkeys.decode_seed(seed.strip().encode())
    except (nkeys.NkeysError, binascii.Error, ValueError):
        raise NatsJwtError("not an nkey seed") from None
    return next((k for k, v in PUBLIC_PREFIXES.items() if v == prefix), "unknown")


def _verify_key(public: str) -> nacl.signing.VerifyKey:
    """The ed25519 key inside a public nkey (prefix byte, 32 bytes of key, CRC16)."""
    try:
        raw = base64.b32decode(public + "=" * (-len(public) % 8))
    except (binascii.Error, ValueError):
        raise NatsJwtError("issuer is not a public nkey") from None
    if len(raw) != 35 or raw[0] not in PUBLIC_PREFIXES.values():
        raise NatsJwtError("issuer is not a public nkey")
    if nkeys.crc16(bytearray(raw[:33])) != int.from_bytes(raw[33:], "little"):
        raise NatsJwtError("issuer nkey checksum mismatch")
    return nacl.signing.VerifyKey(raw[1:33])


def encode(claims: dict, signer: nkeys.KeyPair) -> str:
    """Sign `claims` (a dict with `sub` and `nats`) as `signer`: sets `iss`, `iat` and `jti`."""
    body = {k: v for k, v in claims.items() if k != "jti"}
    body["iss"] = signer.public_key.decode()
    body.setdefault("iat", int(time.time()))
    digest = hashlib.new("sha512_256", json.dumps(body, separators=(",", ":")).encode()).digest()
    body["jti"] = base64.b32encode(digest).rstrip(b"=").decode()
    signing_input = f"{_b64(json.dumps(HEADER, separators=(',', ':')).encode())}.{_b64(json.dumps(body, separators=(',', ':')).encode())}"
    return f"{signing_input}.{_b64(signer.sign(signing_input.encode()))}"


def decode(token: str, *, verify: bool = True) -> dict:
    """The claims of a NATS JWT, its signature checked against its own `iss` (a public nkey)."""
    try:
        head, body, sig = token.strip().split(".")
        header = json.loads(_unb64(head))
        claims = json.loads(_unb64(body))
        signature = _unb64(sig)
    except (ValueError, binascii.Error):
        raise NatsJwtError("not a JWT") from None
    if not isinstance(header, dict) or not isinstance(claims, dict) or header.get("alg") != HEADER["alg"]:
        raise NatsJwtError("not an ed25519-nkey JWT")
    if verify:
        try:
            _verify_key(str(claims.get("iss", ""))).verify(f"{head}.{body}".encode(), signature)
        except nacl.exceptions.BadSignatureError:
            raise NatsJwtError("bad signature") from None
    return claims
