"""Sandboxed, strict rendering; built-in templates for every trigger; signed unsubscribe links."""

import pytest

from crm_notify.optouts.links import BadToken, sign, unsubscribe_url, verify
from crm_notify.templates.defaults import DEFAULTS, VARIABLES
from crm_notify.templates.engine import RenderError, check_syntax, render
from crm_notify.templates.segments import count_segments

pytestmark = pytest.mark.unit
TRIGGERS = ["appointment_confirmation", "appointment_reminder", "appointment_rescheduled", "appointment_cancelled",
            "lead_assigned", "follow_up_overdue", "follow_up_escalation", "reclaim_warning", "reception_approved",
            "feedback_overdue", "dispute_overdue", "daily_digest", "import_finished", "birthday_greeting", "holiday_greeting",
            "important_date_greeting", "greeting_gift", "complaint_received", "complaint_major", "complaint_overdue", "complaint_assigned",
            "revisit_due", "price_approval_pending", "payout_due"]
STAFF_NOTICES = ["lead_assigned", "follow_up_overdue", "follow_up_escalation", "reclaim_warning", "reception_approved",
                 "feedback_overdue", "dispute_overdue", "import_finished", "complaint_major", "complaint_overdue",
                 "complaint_assigned", "revisit_due", "price_approval_pending", "payout_due"]


@pytest.mark.parametrize("key", TRIGGERS)
def test_every_trigger_has_a_chinese_default_that_renders_with_its_data(key):
    zh = [(k, c) for (k, c, loc) in DEFAULTS if k == key and loc == "zh-CN"]
    assert zh, f"no zh-CN default for {key}"
    for (k, channel, locale), (subject, body) in DEFAULTS.items():
        if k == key:
            text = render(body, VARIABLES[key])
            assert text and "{{" not in text
            if subject:
                assert render(subject, VARIABLES[key])
            if channel == "sms":
                assert count_segments(text, "【售楼处】").segments <= 3


def test_every_template_has_its_chinese_text_first_and_both_languages():
    keys = list(dict.fromkeys(k for k, _, _ in DEFAULTS))
    assert set(keys) == set(TRIGGERS) == set(VARIABLES)
    for key in keys:
        locales = [loc for (k, _, loc) in DEFAULTS if k == key]
        assert locales[0] == "zh-CN" and "en" in locales, key
        assert {c for (k, c, loc) in DEFAULTS if k == key and loc == "zh-CN"} == {c for (k, c, loc) in DEFAULTS if k == key and loc == "en"}


@pytest.mark.parametrize("key", STAFF_NOTICES)
def test_a_staff_notice_reaches_staff_by_sms_or_email(key):
    """A member of staff is reached by whichever contact they have: every notice has both texts."""
    assert all((key, channel, locale) in DEFAULTS for channel in ("sms", "email") for locale in ("zh-CN", "en"))


def test_showing_confirmation_carries_the_site_checklist():
    text = render(DEFAULTS[("appointment_confirmation", "sms", "zh-CN")][1], VARIABLES["appointment_confirmation"])
    assert "安全帽" in text
    other = VARIABLES["appointment_confirmation"] | {"kind": "signing"}
    assert "安全帽" not in render(DEFAULTS[("appointment_confirmation", "sms", "zh-CN")][1], other)


def test_missing_variable_is_an_error_not_an_empty_string():
    with pytest.raises(RenderError, match="name"):
        render("您好 {{ name }}", {})


def test_syntax_error_is_reported():
    with pytest.raises(RenderError, match="syntax"):
        check_syntax("{% if %}")


def test_sandbox_blocks_attribute_escapes_and_huge_output():
    with pytest.raises(RenderError):
        render("{{ ''.__class__.__mro__ }}", {})
    with pytest.raises(RenderError):
        render("{{ 'x' * 100000000 }}", {})


def test_unsubscribe_link_round_trips_and_rejects_tampering():
    token = sign("k", "sms", "+8613800138000", "marketing", "sz-bay")
    assert verify("k", token) == ("sms", "+8613800138000", "marketing", "sz-bay")
    assert verify("k", sign("k", "sms", "+8613800138000", "marketing")).branch_id == "*", "a link without a branch"
    with pytest.raises(BadToken):
        verify("other-key", token)
    payload, mac = token.split(".")
    with pytest.raises(BadToken):
        verify("k", payload[:-2] + "xx." + mac)
    assert unsubscribe_url("https://crm.test/", "k", "email", "a@b.cn").startswith("https://crm.test/v1/opt-outs/unsubscribe?token=")


def test_a_non_ascii_token_is_refused_not_a_crash():
    token = sign("k", "sms", "+8613800138000", "marketing")
    with pytest.raises(BadToken):
        verify("k", token.split(".")[0] + ".签名")
