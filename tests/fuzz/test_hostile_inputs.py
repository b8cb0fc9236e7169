"""Hostile inputs across every operation (issue 14: D4 chunked bodies, D5 control characters and
extreme dates, D6 year 0): zero 5xx, whatever is sent.

Against a real HTTP server (uvicorn, so chunked transfer encoding is parsed as in production), in a
two-branch world (`tests/security/world.py`), each operation starts from a valid request of a role
allowed to make it; hypothesis then draws mutations of one part of it -- a body field, a query or
path parameter, a header, the raw body, the uploaded sheet -- from pools of control characters,
lone surrogates (as JSON escapes), extreme and malformed dates with offsets, huge and non-finite
numbers, wrong types and operator-shaped objects; each request goes with Content-Length or chunked
(split mid-character). Derandomized: the same requests every run.

Targeted checks beside the random pass: every date field and date parameter at year 1 and 9999
(with offsets) is refused with a 4xx, never stored; every body over its limit is a 413 when sent
chunked; and the exports still work after the storm.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from crm_shared.plugins import discover
from tests.security.world import NOBODY, Call, Case, World, body_schema, operation, operations, resolve
from tests.support.runtime import isolated_settings, served

UPLOAD_LIMITS = {path: size for plugin in discover("all") for path, size in plugin.body_limits.items()}

EXAMPLES_PER_OPERATION = 6
EXAMPLES_PER_CHART = 3  # a chart renders a picture of the report its JSON twin already fuzzes: slow, and the same code
# The role whose valid request is mutated: an admin of branch A can do nearly everything.
ROLE = {("POST", "/v1/channel-reports"): "partner", ("POST", "/v1/leads/{lead_id}/claim"): "consultant",
        ("POST", "/v1/channel-reports/{report_id}/follow-ups"): "partner",
        ("POST", "/v1/channel-reports/{report_id}/renew"): "partner"}
ROOT_ONLY = {("GET", "/v1/reports/rebuild"), ("POST", "/v1/reports/rebuild")}  # an admin of every branch

CONTROL = ["\x00", "a\x00b", "\x01", "名字\x1f", "\x7f", "\u202e", "\u202e\u202dabc", "\u200b", "\u200b\u200b", "\ufeff", "\u2028",
           "\ud800", "x\udfffy", "\U0010ffff", "\ue000", " ", "", "\t\n\r", "\r\n", "\x1b[31m", "\u0085", "\ufffd",
           "e\u0301", "ﬁ", "=cmd|' /C calc'!A0", "{{ 7*7 }}", "{% raw %}", "$where", "a.b$c", "../../etc/passwd",
           "%00", "\\u0000", "'; DROP TABLE x; --", "<script>alert(1)</script>", "x" * 5000, "名" * 3000]
DATES = ["0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00-12:00",
         "9999-12-31T23:59:59+14:00", "9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59.999999-23:59",
         "0000-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-01T00:00:00", "2026-01-01T24:00:00Z",
         "2026-01-01T10:00:00+25:00", "1970-01-01T00:00:00Z", "1999-12-31T23:59:59-14:00", "2201-01-01T00:00:00+14:00",
         "0001-01-01", "9999-12-31", "0000-00-00", "2026-13-01", "99999-01-01", "-0001-01-01", "2026-W01-1",
         "1e10", "9999-12", "0000-01", "2026-00", "00:00:00+14:00", "23:59:60", "25:00", "P1D"]
NUMBERS = [0, -1, 2**31, 2**63, 2**64 + 1, -(2**63) - 1, 10**30, 10**400, 1e308, -1e308, 5e-324, 0.1, -0.0, 1.5]
WRONG = [None, [], {}, [None], {"a": 1}, "true", True, False, [[[[]]]], {"$gt": ""}, {"$where": "sleep(1000)"},
         {"$regex": ".*"}, ["a"] * 300, {f"k{i}": i for i in range(60)}]
RAW = [b"", b"{", b"}", b"null", b"[]", b'"x"', b"NaN", b'{"a": NaN}', b'{"a": Infinity, "b": -Infinity}', b"1e400",
       b"[" * 50_000 + b"]" * 50_000, b'{"a":' * 20_000 + b"1" + b"}" * 20_000, b'{"a": ' + b"9" * 5000 + b"}",
       b"\xff\xfe\xfd", b"\xef\xbb\xbf{}", b'{"\\ud800": "\\udfff"}', '{"a": "b"}'.encode("utf-16"),
       b'{"branch_id": "x", "branch_id": "y"}', b"\x00" * 100, b"a=1&b=2", b"--boundary\r\n\r\n"]
SHEETS = [
    "姓名,电话\n名字\x00,13700000001\n".encode(), "姓名,电话\n\u202e名字,13700000002\n".encode(),
    "姓名,电话,登记日期\n王先生,13700000003,0001-01-01\n".encode(), "姓名,电话,登记日期\n王先生,13700000004,9999-12-31\n".encode(),
    "姓名,电话,生日\n王先生,13700000005,0000-01-01\n".encode(), "姓名,电话\n=cmd|' /C calc'!A0,13700000006\n".encode(),
    "姓名,电话\n王先生,=1+1\n".encode(), b"PK\x03\x04garbage", b"\xff\xfe\x00\x00", b"", "姓名,电话\n".encode(),
    "\ufeff姓名,电话\n王先生,13700000007\n".encode(), "姓名,电话\n王先生,13700000008\n".encode("gbk"),
    ("姓名,电话\n" + "x" * 100_000 + ",13700000009\n").encode(), b"\x00,\x00\n\x00,\x00\n", "a\tb\n\x01\t\x02\n".encode(),
]
FILENAMES = ["../../x.csv", "\x00.csv", "a" * 1000 + ".csv", "\u202evsc.xlsx", "名单.xlsx", "", ".csv", "x.exe"]
HEADERS = ["If-Match", "Idempotency-Key", "X-Correlation-Id", "Content-Type"]
CONTENT_TYPES = ["text/plain", "application/json; charset=latin-1", "application/x-www-form-urlencoded",
                 "multipart/form-data", "multipart/form-data; boundary=", "application/json; charset=utf-16", "*/*"]

text_soup = st.text(st.characters(categories=["Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Lo"]), max_size=12)
values = st.one_of(st.sampled_from(CONTROL), st.sampled_from(DATES), st.sampled_from(NUMBERS), st.sampled_from(WRONG),
                   text_soup, st.integers(-(2**70), 2**70), st.floats(allow_nan=False))


@dataclass(frozen=True)
class Plan:
    where: tuple  # ("json", path) | ("query", name) | ("path", i) | ("header", name) | ("raw",) | ("file", part) | ("drop", path)
    value: object
    chunked: bool


# ---------------------------------------------------------------------------------------------
# the server and the world


@pytest.fixture(scope="module")
def server(urls):
    settings = isolated_settings(*urls)
    with served(settings) as base:
        yield base, settings


@pytest.fixture(scope="module")
async def world(server):
    base, settings = server
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        w = await World(client, settings).build()
        w.spec = (await client.get("/openapi.json")).json()
        yield w


def caller(world: World, op: tuple[str, str]) -> dict[str, str]:
    if op in ROOT_ONLY:
        return world.root
    if op[1] in ("/v1/opt-outs/unsubscribe", "/v1/providers/{name}/receipts"):
        return {}
    return world.as_(ROLE.get(op, "admin"))


def headers_for(world: World, op: tuple[str, str], call: Call) -> dict[str, str]:
    """The caller's headers; a fresh staff member acting as itself when the valid request needs one."""
    return world.as_(ROLE.get(op, "admin"), call.sub) if call.sub else caller(world, op)


async def valid_call(world: World, op: tuple[str, str], fresh: bool) -> Call:
    return await Case(world, world.spec, op, ROLE.get(op, "admin"), "own", fresh=fresh and op[0] != "GET").call()


# ---------------------------------------------------------------------------------------------
# requests as bytes


def _leaves(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, i))


def _set(doc, path, value):
    if not path:
        return value
    doc = json.loads(json.dumps(doc))
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


def _drop(doc, path):
    doc = json.loads(json.dumps(doc))
    node = doc
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return doc


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _q(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


@dataclass
class Wire:
    method: str
    url: str
    headers: dict
    body: bytes | None


def encode(call: Call, op: tuple[str, str], headers: dict) -> Wire:
    """The valid request as method, URL (percent-encoded by hand) and body bytes."""
    headers = dict(headers)
    body = None
    if call.files is not None:
        request = httpx.Request("POST", "http://x/", files=call.files, data=call.data)
        body = request.read()
        headers["Content-Type"] = request.headers["content-type"]
    elif call.json is not NOBODY and call.json is not None:
        body = json.dumps(call.json, ensure_ascii=True).encode()
        headers["Content-Type"] = "application/json"
    query = "&".join(f"{_q(k)}={_q(_text(v))}" for k, v in call.params.items())
    return Wire(call.method, call.path + (f"?{query}" if query else ""), headers, body)


def mutate(call: Call, op: tuple[str, str], headers: dict, plan: Plan) -> Wire:
    where, value = plan.where, plan.value
    if where[0] == "file":
        files = dict(call.files or {})
        name, content, media = files["file"]
        if where[1] == "content":
            content = value
        else:
            name = value
        call.files = {"file": (name, content, media)}
    elif where[0] == "json" and call.json is not NOBODY:
        call.json = _set(call.json, where[1], value)
    elif where[0] == "drop" and call.json is not NOBODY:
        call.json = _drop(call.json, where[1])
    elif where[0] == "query":
        call.params = {**call.params, where[1]: value}
    wire = encode(call, op, headers)
    if where[0] == "raw":
        wire.body = value
        wire.headers.setdefault("Content-Type", "application/json")
    elif where[0] == "path":
        path, sep, query = wire.url.partition("?")
        parts = path.split("/")
        parts[where[1]] = _q(_text(value)) or "%20"
        wire.url = "/".join(parts) + sep + query
    elif where[0] == "header":
        wire.headers[where[1]] = _text(value)
    return wire


async def _pieces(body: bytes):
    """Chunks of 1, 2, 3 and 5 bytes first (so multi-byte characters are split), then the rest."""
    at = 0
    for size in (1, 2, 3, 5):
        if at < len(body):
            yield body[at:at + size]
            at += size
    if at < len(body):
        yield body[at:]


async def send(client: httpx.AsyncClient, wire: Wire, chunked: bool) -> httpx.Response | None:
    content = None if wire.body is None else (_pieces(wire.body) if chunked else wire.body)
    try:
        return await client.request(wire.method, wire.url, headers=wire.headers, content=content)
    except (httpx.LocalProtocolError, httpx.InvalidURL, UnicodeEncodeError, ValueError):
        return None  # the client will not put it on the wire (a newline in a header, say): nothing to judge


# ---------------------------------------------------------------------------------------------
# plans


def _enums(spec: dict, op: tuple[str, str]) -> list:
    out = []
    for p in operation(spec, op).get("parameters", []):
        schema = resolve(spec, p.get("schema", {}))
        out += schema.get("enum", [])
    return out


def examples(op: tuple[str, str]) -> int:
    return EXAMPLES_PER_CHART if re.search(r"/chart\.(png|svg)$", op[1]) else EXAMPLES_PER_OPERATION


def plans_for(call: Call, op: tuple[str, str], spec: dict) -> list[Plan]:
    places: list[tuple] = []
    if call.files is not None:
        places += [("file", "content"), ("file", "name")]
    elif call.json is not NOBODY and call.json is not None:
        places += [("json", p) for p in _leaves(call.json)] + [("json", ("zz_unknown",))]
        places += [("drop", p) for p in _leaves(call.json) if p]
    if op[0] != "GET":
        places += [("raw",), ("header", "Content-Type")]
    places += [("query", p["name"]) for p in operation(spec, op).get("parameters", []) if p["in"] == "query"]
    places += [("query", "zz_unknown")]
    places += [("path", i) for i, part in enumerate(op[1].split("/")) if part.startswith("{")]
    places += [("header", h) for h in HEADERS[:3]]
    enums = _enums(spec, op)
    found: list[Plan] = []

    @st.composite
    def plan(draw):
        where = draw(st.sampled_from(places))
        if where[0] == "file":
            value = draw(st.sampled_from(SHEETS if where[1] == "content" else FILENAMES))
        elif where[0] == "raw":
            value = draw(st.sampled_from(RAW))
        elif where == ("header", "Content-Type"):
            value = draw(st.sampled_from(CONTENT_TYPES))
        elif enums and where[0] == "query":
            value = draw(st.one_of(st.sampled_from(enums), values))
        else:
            value = draw(values)
        return Plan(where, value, draw(st.booleans()))

    @hsettings(max_examples=examples(op), derandomize=True, database=None, deadline=None,
               suppress_health_check=list(HealthCheck))
    @given(plan())
    def collect(p):
        found.append(p)

    collect()
    return found


# ---------------------------------------------------------------------------------------------
# the tests


async def test_no_5xx_for_hostile_inputs_on_any_operation(world):
    """Every operation (the public ones too), EXAMPLES_PER_OPERATION mutations each, Content-Length or chunked."""
    spec, client = world.spec, world.client
    errors, sent, skipped = [], 0, 0
    ops = operations(spec, public=True)
    for op in ops:
        sample = await valid_call(world, op, fresh=False)
        for plan in plans_for(sample, op, spec):
            call = await valid_call(world, op, fresh=True)
            wire = mutate(call, op, headers_for(world, op, call), plan)
            r = await send(client, wire, plan.chunked)
            if r is None:
                skipped += 1
                continue
            sent += 1
            if r.status_code >= 500:
                errors.append(f"{op[0]} {op[1]} <- {plan.where} = {str(plan.value)[:80]!r} "
                              f"({'chunked' if plan.chunked else 'length'}): {r.status_code} {r.text[:200]}")
    assert len(ops) >= 85 and sent > sum(map(examples, ops)) * 0.7, (len(ops), sent, skipped)
    assert not errors, f"{len(errors)} of {sent} requests answered 5xx:\n" + "\n".join(errors)
    assert (await client.get("/readyz")).status_code == 200


def _date_places(spec: dict, schema: dict, path=()) -> list[tuple[tuple, str]]:
    """Paths to every date or date-time field of a body schema (nested objects and first list items)."""
    out = []
    schema = resolve(spec, schema)
    if schema.get("format") in ("date", "date-time"):
        return [(path, schema["format"])]
    for alt in schema.get("anyOf", []):
        out += _date_places(spec, alt, path)
    for name, sub in schema.get("properties", {}).items():
        out += _date_places(spec, sub, (*path, name))
    if "items" in schema:
        out += _date_places(spec, schema["items"], (*path, 0))
    return out


EXTREME = {"date-time": ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00-12:00", "9999-12-31T23:59:59-14:00",
                         "9999-12-31T23:59:59+14:00"],
           "date": ["0001-01-01", "9999-12-31"]}


async def test_extreme_dates_are_refused_everywhere(world):
    """Year 1 and 9999 (with offsets) in every date field of a body and every date query parameter: a 4xx,
    never stored and never a 5xx (issue 14 D5: dates within sane bounds everywhere; D6: year 0)."""
    spec, client = world.spec, world.client
    wrong, checked = [], 0
    for op in operations(spec):
        schema = body_schema(spec, op)
        places = [(("json", p), fmt) for p, fmt in _date_places(spec, schema)] if schema and op != ("POST", "/v1/leads/import") else []
        for p in operation(spec, op).get("parameters", []):
            s = resolve(spec, p.get("schema", {}))
            if p["in"] == "query" and (s.get("format") in ("date", "date-time") or p["name"] == "month"):
                fmt = "date-time" if s.get("format") == "date-time" else "date"
                places.append((("query", p["name"]), fmt))
        for (kind, where), fmt in places:
            for extreme in (["0000-01", "9999-12"] if where == "month" else EXTREME[fmt]):
                call = await valid_call(world, op, fresh=True)
                if kind == "json":
                    try:
                        call.json = _set(call.json, where, extreme)
                    except (KeyError, IndexError, TypeError):
                        continue  # inside a list the valid request leaves empty
                else:
                    call.params = {**call.params, where: extreme}
                r = await client.request(call.method, call.path, headers=headers_for(world, op, call), **call.kwargs())
                checked += 1
                if not 400 <= r.status_code < 500:
                    wrong.append(f"{op[0]} {op[1]} {kind} {where} = {extreme}: {r.status_code} {r.text[:160]}")
    assert checked > 40, checked
    assert not wrong, "\n".join(wrong)


async def test_chunked_bodies_past_the_limit_are_413(world):
    """D4: the size limit holds on the bytes read, chunked or not: 1 MiB (20 MiB for the import) plus a little."""
    spec, client = world.spec, world.client
    wrong, checked = [], 0
    for op in operations(spec, public=True):
        if op[0] == "GET":
            continue
        limit = UPLOAD_LIMITS.get(op[1], 1024 * 1024)  # a plugin's `body_limits` (sheet uploads), else 1 MiB
        pad = b" " * (limit + 10)
        call = await valid_call(world, op, fresh=False)
        if call.files is not None:  # the sheet upload: a multipart body whose file is too big
            body = (b'--b\r\nContent-Disposition: form-data; name="branch_id"\r\n\r\n' + world.a.id.encode() +
                    b'\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n'
                    b'Content-Type: text/csv\r\n\r\n' + pad + b'\r\n--b--\r\n')
            headers = {**caller(world, op), "Content-Type": "multipart/form-data; boundary=b"}
        else:
            body = b'{"branch_id": "' + world.a.id.encode() + b'", "pad": "' + pad + b'"}'
            headers = {**caller(world, op), "Content-Type": "application/json"}

        async def stream(data=body):
            for i in range(0, len(data), 64 * 1024):
                yield data[i:i + 64 * 1024]

        r = await client.request(op[0], call.path, params=call.params, headers=headers, content=stream())
        takes_a_body = "requestBody" in operation(spec, op)
        if r.status_code >= 500 or (takes_a_body and r.status_code != 413):
            wrong.append(f"{op[0]} {op[1]}: {r.status_code} {r.text[:120]}")
        checked += takes_a_body
    assert checked > 30 and not wrong, "\n".join(wrong)


async def test_text_with_control_characters_never_reaches_an_export(world):
    """D5: a lost reason with a control character is refused; the exports answer afterwards."""
    client, side = world.client, world.a
    manager = world.as_("manager")
    for reason in ("a\x01b", "a\x00b", "\u202e", "\ud800", " \u200b "):
        lead = await world.new_lead(side, "c1")
        body = json.dumps({"outcome": "lost", "reason": reason}, ensure_ascii=True).encode()
        r = await client.post(f"/v1/leads/{lead}/close", content=body, headers={**manager, "Content-Type": "application/json"})
        assert r.status_code == 422, (reason, r.status_code, r.text)
    since, today = (world.today - timedelta(days=30)).isoformat(), world.today.isoformat()
    for fmt in ("csv", "xlsx", "json"):
        r = await client.get("/v1/reports/lost-reasons", headers=manager,
                             params={"branch_id": side.id, "from": since, "to": today, "format": fmt})
        assert r.status_code == 200, (fmt, r.text[:200])


async def test_a_birthday_before_2000_is_a_birthday(world):
    r = await world.client.post("/v1/leads", headers=world.as_("manager"), json={
        "branch_id": world.a.id, "source": {"channel": "walk_in"},
        "customer": {"name": "王先生", "phone": "13699990000", "birthday": "1988-08-08"}})
    assert r.status_code == 201, r.text
    r = await world.client.post("/v1/leads", headers=world.as_("manager"), json={
        "branch_id": world.a.id, "source": {"channel": "walk_in"},
        "customer": {"name": "王先生", "phone": "13699990001", "birthday": "1899-12-31"}})
    assert r.status_code == 422, r.text


def test_the_pools_hold_what_the_issue_names():
    assert {"\x00", "\x01", "\u202e", "\ud800"} <= set(CONTROL) and any(re.match(r"^0001|^9999", d) for d in DATES)
    assert any(isinstance(n, int) and n > 2**64 for n in NUMBERS) and None in WRONG


async def test_every_body_survives_raw_garbage(world):
    """The raw bodies of RAW (truncated, non-finite, 50,000-deep, 5,000-digit, invalid UTF-8, UTF-16, BOM...)
    to every operation that takes a body (half of them each, in turn), chunked or with Content-Length: never a 5xx."""
    spec, client = world.spec, world.client
    errors, sent = [], 0
    for k, op in enumerate(operations(spec, public=True)):
        if "requestBody" not in operation(spec, op):
            continue
        call = await valid_call(world, op, fresh=False)
        for i, raw in enumerate(RAW):
            if (i + k) % 2:
                continue  # every other garbage body per operation: each body still reaches half the operations
            wire = mutate(call, op, headers_for(world, op, call), Plan(("raw",), raw, i % 4 < 2))
            r = await send(client, wire, i % 4 < 2)
            sent += 1
            if r is not None and r.status_code >= 500:
                errors.append(f"{op[0]} {op[1]} <- {raw[:40]!r}: {r.status_code} {r.text[:160]}")
    assert sent > 300 and not errors, "\n".join(errors)


async def test_control_characters_in_every_field_and_parameter(world):
    """NUL, a right-to-left override and a lone surrogate in every string of every valid request (body fields,
    query parameters, path ids), chunked: never a 5xx, and never accepted and stored (no 2xx answer carries it back)."""
    spec, client = world.spec, world.client
    errors, kept, sent = [], [], 0
    for op in operations(spec, public=True):
        call = await valid_call(world, op, fresh=False)
        places = []
        if call.json is not NOBODY and call.json is not None:
            places += [("json", p) for p in _leaves(call.json) if p and isinstance(_get(call.json, p), str)]
        places += [("query", k) for k in call.params]
        places += [("path", i) for i, part in enumerate(op[1].split("/")) if part.startswith("{")]
        for where in places:
            for value in ("a\x00b", "\u202e", "x\ud800y"):
                fresh = await valid_call(world, op, fresh=False)
                wire = mutate(fresh, op, headers_for(world, op, fresh), Plan(where, value, True))
                r = await send(client, wire, True)
                sent += 1
                if r is not None and r.status_code >= 500:
                    errors.append(f"{op[0]} {op[1]} <- {where} = {value!r}: {r.status_code} {r.text[:160]}")
                elif r is not None and r.status_code < 300 and ("\\u0000" in r.text or "\\ud800" in r.text or "\x00" in r.text):
                    kept.append(f"{op[0]} {op[1]} <- {where} = {value!r}: {r.status_code} {r.text[:200]}")
    assert sent > 300 and not errors, "\n".join(errors)
    assert not kept, "a control character or lone surrogate came back in a 2xx answer:\n" + "\n".join(kept)


def _get(doc, path):
    for key in path:
        doc = doc[key]
    return doc
