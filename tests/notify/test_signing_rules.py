"""Provider request signing against the vectors published in the providers' own documentation."""

import pytest

from crm_notify.providers.aliyun import sign
from crm_notify.providers.tencent import tc3_authorization
from crm_notify.providers.twilio import twilio_signature

pytestmark = pytest.mark.unit


def test_aliyun_signature_v1_matches_the_documented_example():
    params = {"AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
              "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
              "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
              "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
              "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25"}
    assert sign(params, "testSecret", "GET") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_twilio_callback_signature_matches_the_documented_example():
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
              "From": "+14158675309", "To": "+18005551212"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert twilio_signature("12345", url, params | {"Digits": "1235"}) != "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_tc3_authorization_has_the_documented_shape_and_depends_on_every_input():
    base = tc3_authorization("AKIDx", "secret", "sms.tencentcloudapi.com", '{"a":1}', 1_700_000_000)
    assert base.startswith("TC3-HMAC-SHA256 Credential=AKIDx/2023-11-14/sms/tc3_request, SignedHeaders=content-type;host, Signature=")
    assert len(base.rsplit("=", 1)[1]) == 64
    for changed in (("AKIDx", "other", "sms.tencentcloudapi.com", '{"a":1}', 1_700_000_000),
                    ("AKIDx", "secret", "sms.tencentcloudapi.com", '{"a":2}', 1_700_000_000),
                    ("AKIDx", "secret", "sms.tencentcloudapi.com", '{"a":1}', 1_700_000_001)):
        assert tc3_authorization(*changed).rsplit("=", 1)[1] != base.rsplit("=", 1)[1]
