"""Phone numbers: E.164 normalisation, the partner mask and the group-keyed hash."""

from __future__ import annotations

import hashlib
import hmac
import re

import phonenumbers

MASKED_RE = re.compile(r"^\s*(\d{3})\*{4}(\d{4})\s*$")


class InvalidPhone(ValueError):
    """The text is not a dialable phone number."""


def normalize(raw: str, region: str = "CN") -> str:
    """Return the E.164 form (+8613812345678) or raise InvalidPhone."""
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 40:
        raise InvalidPhone("phone is empty or too long")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national_digits(e164: str) -> str:
    return str(phonenumbers.parse(e164, None).national_number)


def mask(e164: str) -> str:
    """First 3 and last 4 digits of the national number: 138****5678."""
    digits = national_digits(e164)
    if len(digits) < 8:
        return digits[:1] + "*" * (len(digits) - 1)
    return f"{digits[:3]}****{digits[-4:]}"


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
