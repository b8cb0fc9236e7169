"""Callback signing against the vectors published in the providers' own documentation (Aliyun and Tencent
sign through their SDKs, checked by the fakes in fake_sms.py)."""

import pytest

from crm_notify.providers.twilio import twilio_signature

pytestmark = pytest.mark.unit


def test_twilio_callback_signature_matches_the_documented_example():
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
              "From": "+14158675309", "To": "+18005551212"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert twilio_signature("12345", url, params | {"Digits": "1235"}) != "RSOYDt4T1cUTdK1PDd93/VVr8B8="

