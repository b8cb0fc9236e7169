import pytest

from crm_shared import phones

KEY = "k"


@pytest.mark.parametrize("raw", ["13812345678", "138 1234 5678", "+86 138-1234-5678", "8613812345678"])
def test_normalize_chinese_mobile_to_e164(raw):
    assert phones.normalize(raw) == "+8613812345678"


@pytest.mark.parametrize("raw", ["", "abc", "123", "1" * 41, "138****5678"])
def test_normalize_rejects_non_numbers(raw):
    with pytest.raises(phones.InvalidPhone):
        phones.normalize(raw)


def test_foreign_number_keeps_its_country():
    assert phones.normalize("+1 650 253 0000") == "+16502530000"


def test_mask_shows_first_three_and_last_four_national_digits():
    assert phones.mask("+8613812345678") == "138****5678"


@pytest.mark.parametrize("raw", ["138 1234 5678", "+1 650 253 0000", "+44 20 7946 0958", "+852 6123 4567"])
def test_one_parse_gives_the_same_number_and_mask_as_two(raw):
    e164 = phones.normalize(raw)
    assert phones.normalize_masked(raw) == (e164, phones.mask(e164))


def test_parse_and_match_masked_form():
    assert phones.parse_masked("138****5678") == ("138", "5678")
    assert phones.parse_masked("13812345678") is None
    assert phones.matches_mask("+8613812345678", "138", "5678")
    assert not phones.matches_mask("+8613912345678", "138", "5678")


def test_hash_is_keyed_and_stable():
    a = phones.phone_hash("+8613812345678", KEY)
    assert a == phones.phone_hash("+8613812345678", KEY)
    assert a != phones.phone_hash("+8613812345678", "other")
    assert len(a) == 64 and "13812345678" not in a


def test_logs_are_redacted_of_full_phones():
    import logging

    from crm_shared.observability import PhoneRedactionFilter, redact

    assert redact("GET /v1/messages?to=%2B8613812345678&x=1") == "GET /v1/messages?to=138****5678&x=1"
    assert redact("call 13812345678 now, +8613912345678.") == "call 138****5678 now, 139****5678."
    assert redact("order 20261123123456789 at 1795468475.13812345678") == "order 20261123123456789 at 1795468475.13812345678"
    record = logging.LogRecord("x", logging.INFO, "", 0, "to %s", ("13812345678",), None)
    record.to = "+8613812345678"
    PhoneRedactionFilter().filter(record)
    assert record.getMessage() == "to 138****5678" and record.to == "138****5678"


def test_ids_that_contain_phone_like_digits_are_left_alone():
    from crm_shared.observability import redact

    for text in ("01a20a4f-6a65-77de-b004-a13372200204", "id=a13812345678b", "v-13812345678"):
        assert redact(text) == text
    assert redact('"phone": "13812345678"') == '"phone": "138****5678"'
    assert redact("to=+8613812345678&x") == "to=138****5678&x"


def test_a_sealed_number_opens_only_with_the_key_and_shows_no_digits():
    from crm_shared.phones import seal, unseal

    sealed = seal("+8613812345678", "k1")
    assert unseal(sealed, "k1") == "+8613812345678"
    assert unseal(sealed, "k2") is None
    assert seal("+8613812345678", "k1") != sealed  # random nonce: equal numbers do not look equal
    assert "13812345678" not in sealed
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    for bad in (tampered, None, "", "s1.", "s1.!!!", "x1." + sealed[3:], "s1." + "A" * 300):
        assert unseal(bad, "k1") is None
