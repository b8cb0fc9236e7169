"""No request content produces a 500: valid bodies with one field replaced by arbitrary JSON
(control characters and extreme dates among it), sent whole and chunked."""

import json
import random

from tests.notify.support import BRANCH, notify_running
from tests.support.runtime import bearer

VALID = {
    ("POST", "/v1/messages"): {"branch_id": BRANCH, "channel": "sms", "to": "+8613800138000", "template": "birthday_greeting",
                               "data": {"customer_name": "王"}, "category": "marketing", "locale": "en",
                               "send_at": "2030-01-01T00:00:00+08:00"},
    ("POST", "/v1/campaigns"): {"branch_id": BRANCH, "template": "holiday_greeting", "data": {"holiday": "春节"},
                                "audience": {"to": ["+8613800138000"]}, "send_at": "2030-01-01T00:00:00Z", "channel": "sms"},
    ("POST", "/v1/opt-outs"): {"branch_id": BRANCH, "channel": "email", "to": "a@example.com", "category": "marketing",
                               "note": "客户来电"},
    ("DELETE", "/v1/opt-outs"): {"branch_id": BRANCH, "channel": "email", "to": "a@example.com", "category": "marketing"},
    ("POST", "/v1/contacts"): {"branch_id": BRANCH, "name": "王", "phone": "+8613800138000", "birthday": "1990-01-02",
                               "consent": {"sms": True}},
    ("PUT", "/v1/templates/holiday_greeting"): {"channel": "sms", "locale": "zh-CN", "body": "{{ holiday }}", "branch_id": BRANCH},
    ("POST", "/v1/providers/console/receipts"): {"receipts": [{"provider_message_id": "x", "status": "delivered"}]},
}


def arbitrary(rng: random.Random, depth: int = 0):
    kinds = ["str", "date", "int", "float", "bool", "null", "op", "long", "unicode"] + (["list", "dict"] if depth < 3 else [])
    kind = rng.choice(kinds)
    return {
        "str": lambda: rng.choice(["", " ", "x", "{{", "{% if %}", "+86", "@", "../", "\x00", "2030-13-40", "a\u0001b",
                                   "\u200b", "\u2028", "\ud800", "{{ 'x'|truncate(1, leeway=-5) }}", "{{ 'x'.ljust(99999999) }}"]),
        "date": lambda: rng.choice(["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-14:00", "2199-12-31T23:59:59-14:00",
                                    "1999-12-31T23:00:00Z", "0000-01-01", "9999-12-31", "2030-02-30T00:00:00Z"]),
        "int": lambda: rng.choice([0, -1, 2**63, 10**30]),
        "float": lambda: rng.choice([1.5, -0.0, 1e308]),
        "bool": lambda: rng.choice([True, False]),
        "null": lambda: None,
        "op": lambda: {"$ne": rng.choice(["", None, 1])},
        "long": lambda: "好" * rng.choice([300, 5001, 100_000]),
        "unicode": lambda: rng.choice(["😀", "\ud7ff", "名字", "\u202e"]),
        "list": lambda: [arbitrary(rng, depth + 1) for _ in range(rng.randint(0, 3))],
        "dict": lambda: {rng.choice(["a", "$gt", "to", ""]): arbitrary(rng, depth + 1) for _ in range(rng.randint(0, 3))},
    }[kind]()


def mutate(rng: random.Random, body: dict) -> dict:
    out = dict(body)
    key = rng.choice(list(out) + ["unexpected"])
    if isinstance(out.get(key), dict) and rng.random() < 0.5:
        out[key] = mutate(rng, out[key])
    else:
        out[key] = arbitrary(rng)
    return out


async def test_mutated_bodies_never_produce_a_500(urls):
    rng = random.Random(20261123)
    async with notify_running(urls) as (settings, ctx, client):
        h = bearer(settings, "admin", ["*"]) | {"X-Receipt-Token": "t"}
        for (method, path), body in VALID.items():
            for i in range(40):
                raw = json.dumps(mutate(rng, body), ensure_ascii=True).encode()  # lone surrogates stay escapes
                content = raw if i % 2 else _chunks(raw)  # every other one with Transfer-Encoding: chunked
                r = await client.request(method, path, content=content, headers=h | {"content-type": "application/json"})
                assert r.status_code < 500, (path, raw, r.status_code, r.text)
                assert r.headers["content-type"].startswith(("application/json", "application/problem+json"))


async def _chunks(raw: bytes):
    for start in range(0, len(raw), 7):
        yield raw[start:start + 7]
