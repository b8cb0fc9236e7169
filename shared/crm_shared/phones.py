"""Phone numbers: E.164 normalisation, the partner masks, the group-keyed hash, and the seal
that lets one service hand a full number to another through an event without showing it
to anyone else on the bus.

Masks (渠道报备隐号): the trade writes a mainland mobile number in one of two masked forms,
first 3 + last 4 digits (`138****5678`) or first 4 + last 5 (`1381**45678`, the seed office's
前4位及后5位); `1381****5678` style is not a mask. A mask is kept as its *pattern*: the 11
positions, digits where shown and `*` where hidden. Two patterns agree when every position both
show holds the same digit, so a full number agrees with a mask of either form that it fits, and
a 3+4 mask with a 4+5 mask whose first 3 and last 4 digits are its own. Every pattern has a
*core*, its 3+4 form, the coarsest thing every form shows: what keys and indexes use.
"""

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
MASK_FORMS_RE = re.compile(r"^\s*(?:\d{3}\*{4}\d{4}|\d{4}\*{2}\d{5})\s*$")
"""The two masked forms of an 11-digit mobile number: 3+4 (`138****5678`) and 4+5 (`1381**45678`)."""
MOBILE_DIGITS = 11


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


def parse_mask(text: str) -> str | None:
    """The pattern of a masked number in either form (`138****5678`, `1381**45678`), else None."""
    return text.strip() if isinstance(text, str) and MASK_FORMS_RE.match(text) else None


def pattern_of(e164: str) -> str | None:
    """What a full mobile number shows in the widest mask (first 4 + last 5): every digit either form
    shows. None for a number that is not 11 national digits (no mask form fits it; its core still does)."""
    digits = national_digits(e164)
    return f"{digits[:4]}**{digits[-5:]}" if len(digits) == MOBILE_DIGITS else None


def core_of(pattern: str) -> str:
    """A pattern's 3+4 form (`1381**45678` -> `138****5678`), the key both forms share."""
    return f"{pattern[:3]}****{pattern[-4:]}" if len(pattern) == MOBILE_DIGITS else pattern


def patterns_agree(a: str | None, b: str | None) -> bool:
    """Do two patterns name possibly the same number? Every position both show holds the same digit.
    A missing pattern, or patterns of different lengths, agree (only their cores are compared, by key)."""
    if not a or not b or len(a) != len(b):
        return True
    return all(x == y or "*" in (x, y) for x, y in zip(a, b, strict=True))


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
