"""What people type, made safe: printable, normalised, trimmed, not blank; times in a sane range (D5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationError

from crm_shared.text import Day, Line, Moment, Paragraph, clean_line


class Form(BaseModel):
    name: Line(20)
    note: Paragraph(100) | None = None
    at: Moment | None = None
    day: Day | None = None


@pytest.mark.parametrize("raw,stored", [
    ("  王小明 ", "王小明"),
    ("\u200b张三\ufeff", "张三"),
    ("Cafe\u0301", "Café"),  # NFC
    ("李\u3000四", "李\u3000四"),  # an ideographic space inside a name stays
])
def test_names_are_normalised_and_trimmed(raw, stored):
    assert Form(name=raw).name == stored


@pytest.mark.parametrize("raw", ["", "   ", "\u200b\u200b", "\u3000", "a\u0001b", "a\u0000b", "a\nb", "a\u2028b",
                                 "x" * 21, "a\ud800b"])
def test_blank_invisible_control_or_long_names_are_refused(raw):
    with pytest.raises(ValidationError):
        Form(name=raw)


def test_paragraphs_keep_line_breaks_but_not_other_controls():
    assert Form(name="a", note="第一行\r\n第二行\t完").note == "第一行\n第二行\t完"
    with pytest.raises(ValidationError):
        Form(name="a", note="bad\u0007bell")


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59Z", "1999-12-31T23:59:59Z",
                                "2026-11-30T10:00:00"])
def test_times_outside_the_range_or_without_offset_are_refused(at):
    with pytest.raises(ValidationError):
        Form(name="a", at=at)


def test_times_are_stored_as_utc():
    at = Form(name="a", at="2026-11-30T18:00:00+08:00").at
    assert at == datetime(2026, 11, 30, 10, tzinfo=UTC) and at.utcoffset() == timedelta(0)
    assert Form(name="a", at=datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=-5)))).at.tzinfo == UTC


def test_days_in_range():
    assert Form(name="a", day="2026-11-30").day == date(2026, 11, 30)
    with pytest.raises(ValidationError):
        Form(name="a", day="0001-01-01")


def test_the_plain_function_serves_importers():
    assert clean_line(" 赵六 ") == "赵六"
    with pytest.raises(ValueError):
        clean_line("\x00")
