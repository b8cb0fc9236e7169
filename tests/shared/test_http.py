"""HTTP conventions: auth, branch scope, roles, problem+json for every error,
If-Match, Idempotency-Key and cursor pagination, on a real app with the real stack."""

import asyncio

import pytest

from crm_shared.http.auth import mint_token
from crm_shared.plugins import discover
from tests.support.ledger import LedgerService
from tests.support.runtime import bearer, isolated_settings, running

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
async def api(urls):
    settings = isolated_settings(*urls)
    async with running([LedgerService()], settings) as (app, client):
        yield settings, client


def assert_problem(r, status: int, kind: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"].startswith("https://")
    if kind:
        assert body["type"].endswith("/" + kind)
    return body


async def test_missing_and_invalid_tokens_are_401(api):
    settings, client = api
    body = {"branch_id": "b1", "name": "x"}
    assert_problem(await client.post("/v1/ledger/accounts", json=body), 401, "unauthorized")
    assert_problem(await client.post("/v1/ledger/accounts", json=body, headers={"Authorization": "Bearer junk"}), 401)
    assert_problem(await client.post("/v1/ledger/accounts", json=body, headers={"Authorization": "Basic abc"}), 401)
    forged = mint_token(settings.model_copy(update={"jwt_secret": "x" * 40}), "u", "admin", ["*"])
    assert_problem(await client.post("/v1/ledger/accounts", json=body, headers={"Authorization": f"Bearer {forged}"}), 401)
    expired = mint_token(settings, "u", "admin", ["*"], ttl_seconds=-5)
    r = await client.get("/v1/ledger/accounts/x", headers={"Authorization": f"Bearer {expired}"})
    assert_problem(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"


async def test_wrong_role_is_403_and_foreign_branch_is_404(api):
    settings, client = api
    body = {"branch_id": "b1", "name": "x"}
    assert_problem(await client.post("/v1/ledger/accounts", json=body, headers=bearer(settings, "consultant", ["b1"])), 403, "forbidden")
    assert_problem(await client.post("/v1/ledger/accounts", json=body, headers=bearer(settings, "manager", ["b2"])), 404, "not-found")
    r = await client.post("/v1/ledger/accounts", json=body, headers=bearer(settings, "manager", ["b1"]))
    assert r.status_code == 201
    acc = r.json()["id"]
    assert_problem(await client.get(f"/v1/ledger/accounts/{acc}", headers=bearer(settings, "manager", ["b2"])), 404)
    assert (await client.get(f"/v1/ledger/accounts/{acc}", headers=bearer(settings, "admin", ["*"]))).status_code == 200


@pytest.mark.parametrize(
    "content,status,kind",
    [
        (b"{not json", 400, "malformed-json"),
        (b'{"branch_id": "b1", "name": 5, "balance": "many"}', 422, "validation"),
        (b'{"branch_id": "B 1!", "name": "x"}', 422, "validation"),
        (b'{"branch_id": "b1", "name": "' + b"x" * 5000 + b'"}', 422, "validation"),
        (b"[]", 422, "validation"),
        (b"", 422, "validation"),
        (b'{"branch_id": "b1", "name": "x", "balance": 1e400}', 422, "validation"),
    ],
)
async def test_bad_bodies_get_4xx_problem_and_change_nothing(api, content, status, kind):
    settings, client = api
    h = bearer(settings, "manager", ["b1"], sub="bad-bodies") | {"content-type": "application/json"}
    before = (await client.get("/v1/ledger/accounts?branch_id=b1&limit=500", headers=h)).json()["items"]
    body = assert_problem(await client.post("/v1/ledger/accounts", content=content, headers=h), status, kind)
    if status == 422:
        assert body["errors"] and all({"loc", "msg"} <= set(e) for e in body["errors"])
    after = (await client.get("/v1/ledger/accounts?branch_id=b1&limit=500", headers=h)).json()["items"]
    assert after == before


async def test_oversized_body_is_413(api):
    settings, client = api
    r = await client.post("/v1/ledger/accounts", content=b"x" * 2_000_000, headers=bearer(settings, "manager", ["b1"]) | {"content-type": "application/json"})
    assert_problem(r, 413)


async def _chunks(total: int, size: int = 65536):
    sent = 0
    body = b'{"branch_id": "b1", "name": "' + b"x" * total + b'"}'
    while sent < len(body):
        yield body[sent:sent + size]
        sent += size


async def test_a_chunked_body_past_the_limit_is_413_and_stores_nothing(api):
    """D4: without Content-Length the limit holds on the bytes actually read."""
    settings, client = api
    h = bearer(settings, "manager", ["b1"]) | {"content-type": "application/json"}
    before = (await client.get("/v1/ledger/accounts?branch_id=b1&limit=500", headers=h)).json()["items"]
    r = await client.post("/v1/ledger/accounts", content=_chunks(30 * 1024 * 1024), headers=h)
    assert "content-length" not in r.request.headers and r.request.headers["transfer-encoding"] == "chunked"
    body = assert_problem(r, 413, "payload-too-large")
    assert "1048576" in body["detail"]
    assert (await client.get("/v1/ledger/accounts?branch_id=b1&limit=500", headers=h)).json()["items"] == before


async def test_a_small_chunked_body_is_read_as_usual(api):
    settings, client = api
    h = bearer(settings, "manager", ["b1"]) | {"content-type": "application/json"}

    async def small():
        yield b'{"branch_id": "b1", '
        yield '"name": "王小明"}'.encode()

    r = await client.post("/v1/ledger/accounts", content=small(), headers=h)
    assert r.status_code == 201 and r.json()["name"] == "王小明"


async def test_unknown_path_and_method_are_problems(api):
    settings, client = api
    assert_problem(await client.get("/v1/nothing-here"), 404)
    assert_problem(await client.delete("/v1/ledger/accounts"), 405)


async def test_domain_problem_carries_extra_fields(api):
    _, client = api
    body = assert_problem(await client.post("/v1/ledger/fail"), 409, "conflict-demo")
    assert body["existing_id"] == "x"


async def test_if_match_stale_version_is_412(api):
    settings, client = api
    h = bearer(settings, "manager", ["b1"])
    acc = (await client.post("/v1/ledger/accounts", json={"branch_id": "b1", "name": "a"}, headers=h)).json()
    r = await client.patch(f"/v1/ledger/accounts/{acc['id']}", json={"name": "b"}, headers=h | {"If-Match": "1"})
    assert r.status_code == 200 and r.json()["version"] == 2
    body = assert_problem(await client.patch(f"/v1/ledger/accounts/{acc['id']}", json={"name": "c"}, headers=h | {"If-Match": "1"}), 412, "stale-version")
    assert body["current_version"] == 2
    assert_problem(await client.patch(f"/v1/ledger/accounts/{acc['id']}", json={"name": "c"}, headers=h | {"If-Match": "abc"}), 400)
    assert (await client.get(f"/v1/ledger/accounts/{acc['id']}", headers=h)).json()["name"] == "b"


async def test_concurrent_if_match_writes_let_one_through(api):
    settings, client = api
    h = bearer(settings, "manager", ["b1"])
    acc = (await client.post("/v1/ledger/accounts", json={"branch_id": "b1", "name": "a"}, headers=h)).json()
    rs = await asyncio.gather(*(client.patch(f"/v1/ledger/accounts/{acc['id']}", json={"name": f"n{i}"}, headers=h | {"If-Match": "1"}) for i in range(8)))
    assert sorted(r.status_code for r in rs) == [200] + [412] * 7


async def test_idempotency_key_replays_the_first_result(api):
    settings, client = api
    h = bearer(settings, "manager", ["b1"], sub="idem") | {"Idempotency-Key": "k-1"}
    first = await client.post("/v1/ledger/accounts", json={"branch_id": "b1", "name": "once"}, headers=h)
    again = await client.post("/v1/ledger/accounts", json={"branch_id": "b1", "name": "once"}, headers=h)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert_problem(await client.post("/v1/ledger/accounts", json={"branch_id": "b1", "name": "other"}, headers=h), 422, "idempotency-key-reused")
    items = (await client.get("/v1/ledger/accounts?branch_id=b1&limit=500", headers=h)).json()["items"]
    assert sum(i["name"] == "once" for i in items) == 1


async def test_cursor_pagination_walks_every_item_once(urls):
    settings = isolated_settings(*urls)
    async with running([LedgerService()], settings) as (_, client):
        h = bearer(settings, "manager", ["p1"])
        made = [(await client.post("/v1/ledger/accounts", json={"branch_id": "p1", "name": f"a{i}"}, headers=h)).json()["id"] for i in range(7)]
        seen, cursor = [], None
        while True:
            r = await client.get("/v1/ledger/accounts", params={"branch_id": "p1", "limit": 3} | ({"cursor": cursor} if cursor else {}), headers=h)
            page = r.json()
            seen += [i["id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == made
        assert_problem(await client.get("/v1/ledger/accounts", params={"branch_id": "p1", "cursor": "!!"}, headers=h), 400, "bad-cursor")
        assert_problem(await client.get("/v1/ledger/accounts", params={"branch_id": "p1", "limit": 501}, headers=h), 422)


async def test_ops_endpoints_with_all_four_services(urls):
    settings = isolated_settings(*urls)
    async with running(discover("all"), settings) as (app, client):
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"] == {"store": "ok", "nats": "ok"}
        metrics = await client.get("/metrics")
        assert "crm_http_request_seconds" in metrics.text
        spec = (await client.get("/asyncapi.json")).json()
        assert {"lead.registered", "appointment.scheduled", "deal.signed", "customer.erased"} <= set(spec["channels"])
        assert (await client.get("/asyncapi")).status_code == 200
        assert (await client.get("/openapi.json")).status_code == 200


async def test_a_dead_requests_idempotency_key_is_taken_over(urls):
    settings = isolated_settings(*urls)
    async with running([LedgerService()], settings) as (app, _):
        from crm_shared.http.concurrency import IdempotencyStore
        from crm_shared.http.problems import Problem

        store = IdempotencyStore(app.state.contexts["ledger"].db, stale_after=0.2)
        assert await store.begin("u", "k", {"a": 1}) is None  # reserved, then the request dies
        with pytest.raises(Problem) as busy:
            await store.begin("u", "k", {"a": 1})
        assert busy.value.status == 409
        await asyncio.sleep(0.3)
        assert await store.begin("u", "k", {"a": 1}) is None, "the retry takes the stale reservation over"
        await store.finish("u", "k", 201, {"id": "x"})
        assert await store.begin("u", "k", {"a": 1}) == (201, {"id": "x"})


async def test_a_foreign_branch_is_404_even_for_a_role_that_may_not_ask(api):
    """D7: the branch scope is judged before the role."""
    settings, client = api
    consultant = bearer(settings, "consultant", ["b1"])
    assert_problem(await client.post("/v1/ledger/accounts?branch_id=b2", json={"branch_id": "b2", "name": "x"},
                                     headers=consultant), 404, "not-found")
    assert_problem(await client.post("/v1/ledger/accounts?branch_id=b1", json={"branch_id": "b1", "name": "x"},
                                     headers=consultant), 403, "forbidden")
