"""SMS segment counting: UCS-2 70/67, GSM-7 160/153 (extension chars count twice), signature included."""

import pytest

from crm_notify.templates.segments import count_segments

pytestmark = pytest.mark.unit


def test_chinese_fits_one_part_up_to_70_with_signature():
    sig = "【品牌】"  # 4 UCS-2 units
    assert count_segments("好" * 66, sig).segments == 1
    assert count_segments("好" * 67, sig) .units == 71
    assert count_segments("好" * 67, sig).segments == 2
    assert count_segments("好" * 67, sig).encoding == "UCS-2"


def test_chinese_parts_hold_67_each():
    assert count_segments("好" * 134).segments == 2
    assert count_segments("好" * 135).segments == 3
    assert count_segments("好" * 201).segments == 3


def test_latin_text_is_gsm7_160_then_153():
    assert count_segments("a" * 160).encoding == "GSM-7"
    assert count_segments("a" * 160).segments == 1
    assert count_segments("a" * 161).segments == 2
    assert count_segments("a" * 306).segments == 2
    assert count_segments("a" * 307).segments == 3


def test_gsm7_extension_characters_take_two_septets():
    assert count_segments("€" * 80).units == 160
    assert count_segments("€" * 80).segments == 1
    assert count_segments("€" * 81).segments == 2


def test_one_chinese_signature_turns_latin_text_into_ucs2():
    result = count_segments("a" * 100, "【品牌】")
    assert result.encoding == "UCS-2" and result.segments == 2


def test_emoji_counts_as_two_ucs2_units():
    assert count_segments("😀" * 35).units == 70
    assert count_segments("😀" * 35).segments == 1
    assert count_segments("😀" * 36).segments == 2
