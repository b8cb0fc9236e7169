"""Phone numbers: E.164 normalisation, the partner mask, the group-keyed hash, and the seal
that lets one service hand a full number to another through an event without showing it
to anyone else on the bus."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re

import phonenumbers
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MASKED_RE = re.compile(r"^\s*(\d{3})\*{4}(\d{4})\s*$")


class InvalidPhone(ValueError):
    """The text is not a dialable phone number."""


def normalize_masked(raw: str, region: str = "CN") -> tuple[str, str]:
    """(E.164 form, partner mask) from one parse, or raise InvalidPhone."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 40:
        raise InvalidPhone("phone is empty or too long")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), _mask_digits(str(number.national_number))


def normalize(raw: str, region: str = "CN") -> str:
    """Return the E.164 form (+8613812345678) or raise InvalidPhone."""
    return normalize_masked(raw, region)[0]


def national_digits(e164: str) -> str:
    return str(phonenumbers.parse(e164, None).national_number)


def _mask_digits(digits: str) -> str:
    if len(digits) < 8:
        return digits[:1] + "*" * (len(digits) - 1)
    return f"{digits[:3]}****{digits[-4:]}"


def mask(e164: str) -> str:
    """First 3 and last 4 digits of the national number: 138****5678."""
    return _mask_digits(national_digits(e164))


def parse_masked(text: str) -> tuple[str, str] | None:
    """(first3, last4) when the text is a masked number like 138****5678, else None."""
    m = MASKED_RE.match(text or "")
    return (m.group(1), m.group(2)) if m else None


def matches_mask(e164: str, first3: str, last4: str) -> bool:
    digits = national_digits(e164)
    return digits.startswith(first3) and digits.endswith(last4)


def phone_hash(e164: str, key: str) -> str:
    """HMAC-SHA256 of the E.164 number with the group key, hex."""
    return hmac.new(key.encode(), e164.encode(), hashlib.sha256).hexdigest()


SEAL_VERSION = "s1"
_SEAL_AAD = b"crm-phone-seal"


def _seal_cipher(key: str) -> AESGCM:
    return AESGCM(hashlib.sha256(key.encode()).digest())


def seal(e164: str, key: str) -> str:
    """The number encrypted for the services holding `key` (AES-256-GCM, random nonce):
    `s1.<base64url(nonce|ciphertext|tag)>`. Not a phone number to a log grep or an integrator."""
    nonce = os.urandom(12)
    blob = nonce + _seal_cipher(key).encrypt(nonce, e164.encode(), _SEAL_AAD)
    return f"{SEAL_VERSION}.{base64.urlsafe_b64encode(blob).decode().rstrip('=')}"


def unseal(sealed: str | None, key: str) -> str | None:
    """The number inside a seal, or None when there is none or it was not sealed with `key`."""
    if not sealed or not isinstance(sealed, str) or len(sealed) > 200 or not sealed.startswith(SEAL_VERSION + "."):
        return None
    body = sealed[len(SEAL_VERSION) + 1:]
    try:
        blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        return _seal_cipher(key).decrypt(blob[:12], blob[12:], _SEAL_AAD).decode() if len(blob) > 28 else None
    except (InvalidTag, ValueError, binascii.Error, UnicodeDecodeError):
        return None
