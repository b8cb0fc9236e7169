"""Identity-provider tokens: RS256 and ES256 checked against a JWKS served over HTTP by a local
stand-in provider, rotated keys picked up without a restart and dropped keys refused, issuer and
audience checked, claims mapped; every refusal a 401 problem+json, a JWKS outage included."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from pydantic import ValidationError

from crm_shared.config import Settings
from crm_shared.http.auth import decode_token, mint_token, principal_from_claims, verify_token
from crm_shared.http.problems import Problem
from tests.support.idp import AUDIENCE, ISSUER, JwksServer, Key, idp_settings
from tests.support.ledger import LedgerService
from tests.support.runtime import bearer, isolated_settings, running

PROBLEM = "application/problem+json"
STRONG = {"phone_hash_key": "h" * 40, "phone_seal_key": "s" * 40}
MANAGER = {"sub": "m-1", "role": "manager", "branches": ["b1"]}


@pytest.fixture(scope="module")
def rsa_key() -> Key:
    return Key.rsa()


@pytest.fixture(scope="module")
def ec_key() -> Key:
    return Key.ec()


@pytest.fixture(scope="module")
def idp(rsa_key, ec_key):
    with JwksServer(rsa_key, ec_key) as server:
        yield server


@pytest.fixture(scope="module")
async def api(urls, idp):
    settings = isolated_settings(*urls, **idp_settings(idp))
    async with running([LedgerService()], settings) as (app, client):
        yield settings, client


def hand_signed(header: dict, claims: dict, secret: bytes | None) -> str:
    """A token PyJWT itself refuses to make (a public key as HMAC secret, `alg: none`)."""
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    signing_input = f"{part(header)}.{part(claims | {'exp': int(time.time()) + 60})}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest() if secret else b""
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def refused(client, token: str) -> str:
    """The detail of the 401 problem+json the API answers this token with."""
    r = await client.get("/v1/ledger/accounts", params={"branch_id": "b1"}, headers=auth(token))
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith(PROBLEM) and r.headers["www-authenticate"] == "Bearer"
    body = r.json()
    assert body["type"].endswith("/unauthorized") and body["detail"]
    return body["detail"]


@pytest.mark.parametrize("key_name", ["rsa_key", "ec_key"])
async def test_rs256_and_es256_tokens_reach_the_api(api, key_name, request):
    settings, client = api
    key: Key = request.getfixturevalue(key_name)
    token = key.sign(MANAGER)
    assert jwt.get_unverified_header(token)["alg"] == key.alg
    r = await client.post("/v1/ledger/accounts", json={"branch_id": "b1", "name": "现金"}, headers=auth(token))
    assert r.status_code == 201, r.text
    r = await client.get("/v1/ledger/accounts", params={"branch_id": "b2"}, headers=auth(token))
    assert r.status_code == 404  # scope comes from the token's branches, as with any token
    consultant = key.sign({"sub": "c-1", "role": "consultant", "branches": ["b1"]})
    r = await client.post("/v1/ledger/accounts", json={"branch_id": "b1", "name": "x"}, headers=auth(consultant))
    assert r.status_code == 403


async def test_development_still_takes_the_shared_secret_alongside(api):
    settings, client = api
    r = await client.get("/v1/ledger/accounts", params={"branch_id": "b1"}, headers=bearer(settings, "manager", ["b1"]))
    assert r.status_code == 200, r.text


async def test_wrong_issuer_audience_expiry_and_forgeries_are_401(api, rsa_key, ec_key):
    settings, client = api
    assert "issuer" in await refused(client, rsa_key.sign(MANAGER | {"iss": "https://evil.example/realms/crm"}))
    assert "audience" in await refused(client, rsa_key.sign(MANAGER | {"aud": "another-app"}))
    assert "aud" in await refused(client, rsa_key.sign(MANAGER | {"aud": None}))
    assert "expired" in await refused(client, ec_key.sign(MANAGER, ttl=-30))
    impostor = Key.rsa(kid=rsa_key.kid)  # a key of its own under the published key's id
    assert "signature" in await refused(client, impostor.sign(MANAGER))
    assert "unknown" in await refused(client, Key.ec().sign(MANAGER))  # a key the provider never published
    # the published RSA key's public half used as an HS256 secret (algorithm confusion)
    public_pem = rsa_key.private.public_key().public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    await refused(client, hand_signed({"alg": "HS256", "kid": rsa_key.kid}, MANAGER, public_pem))
    await refused(client, hand_signed({"alg": "none", "kid": rsa_key.kid}, MANAGER, None))
    assert "role" in await refused(client, rsa_key.sign({"sub": "m-1", "role": "root", "branches": ["b1"]}))
    assert "far ahead" in await refused(client, rsa_key.sign(MANAGER, ttl=30 * 86400))


async def test_a_rotated_key_is_picked_up_without_restart_and_the_old_one_dropped(urls):
    old, new = Key.rsa(), Key.ec()
    with JwksServer(old) as idp:
        settings = isolated_settings(*urls, **idp_settings(idp))
        async with running([LedgerService()], settings) as (_, client):
            before = old.sign(MANAGER)
            ok = await client.get("/v1/ledger/accounts", params={"branch_id": "b1"}, headers=auth(before))
            assert ok.status_code == 200, ok.text
            idp.publish(new)  # the provider replaces its key (and another algorithm with it)
            fetches = idp.fetches
            for _ in range(2):
                r = await client.get("/v1/ledger/accounts", params={"branch_id": "b1"}, headers=auth(new.sign(MANAGER)))
                assert r.status_code == 200, r.text
            assert idp.fetches == fetches + 1  # the new kid cost one fetch, then the key is cached
            assert "unknown" in await refused(client, before)  # remembered as verified, yet refused: its key is gone
            assert "unknown" in await refused(client, old.sign(MANAGER))


async def test_unknown_kids_refetch_at_most_once_per_period(rsa_key):
    with JwksServer(rsa_key) as idp:
        settings = Settings(environment="test", **idp_settings(idp, jwt_jwks_refetch_seconds=60))
        assert (await verify_token(settings, rsa_key.sign(MANAGER))).sub == "m-1"
        assert idp.fetches == 1
        strangers = [Key.ec().sign(MANAGER) for _ in range(3)]
        results = await asyncio.gather(*(verify_token(settings, t) for t in strangers * 5), return_exceptions=True)
        assert all(isinstance(r, Problem) and r.status == 401 for r in results)
        assert idp.fetches == 1  # inside the period: no fetch at all for made-up kids


async def test_keys_are_refreshed_after_their_ttl(rsa_key):
    new = Key.rsa()
    with JwksServer(rsa_key) as idp:
        settings = Settings(environment="test", **idp_settings(idp, jwt_jwks_cache_seconds=0.3, jwt_jwks_refetch_seconds=0.3))
        token = rsa_key.sign(MANAGER)
        await verify_token(settings, token)
        idp.publish(new)
        await asyncio.sleep(0.4)
        with pytest.raises(Problem) as err:  # the periodic refresh dropped the key, though no new kid came by
            await verify_token(settings, token)
        assert "unknown" in err.value.detail
        assert (await verify_token(settings, new.sign(MANAGER))).role == "manager"


async def test_an_outage_is_a_clear_401_and_cached_keys_keep_serving(rsa_key, urls):
    with JwksServer(rsa_key) as idp:
        idp.mode = "fail"
        settings = isolated_settings(*urls, **idp_settings(idp, jwt_jwks_cache_seconds=0.2))
        async with running([LedgerService()], settings) as (_, client):
            assert "cannot be fetched" in await refused(client, rsa_key.sign(MANAGER))
            idp.mode = "ok"
            token = rsa_key.sign(MANAGER)
            r = await client.get("/v1/ledger/accounts", params={"branch_id": "b1"}, headers=auth(token))
            assert r.status_code == 200, r.text
            idp.mode = "fail"
            await asyncio.sleep(0.3)  # the keys are stale now and the provider is down
            for fresh in (token, rsa_key.sign(MANAGER | {"sub": "m-2"})):
                r = await client.get("/v1/ledger/accounts", params={"branch_id": "b1"}, headers=auth(fresh))
                assert r.status_code == 200, r.text


async def test_a_hanging_provider_never_blocks_the_event_loop(rsa_key):
    with JwksServer(rsa_key) as idp:
        idp.mode, idp.hang_seconds = "hang", 2.0
        settings = Settings(environment="test", **idp_settings(idp, jwt_jwks_timeout_seconds=0.5))
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.02)
                ticks += 1

        task = asyncio.create_task(ticker())
        started = time.monotonic()
        with pytest.raises(Problem) as err:
            await verify_token(settings, rsa_key.sign(MANAGER))
        task.cancel()
        assert err.value.status == 401 and "cannot be fetched" in err.value.detail
        assert time.monotonic() - started < 1.5
        assert ticks >= 10  # the loop kept running other work while the fetch waited


async def test_claims_are_read_from_configured_paths_and_roles_mapped(rsa_key, idp):
    settings = Settings(environment="test", **idp_settings(
        idp, jwt_subject_claim="crm.staff_id", jwt_role_claim="realm_access.roles",
        jwt_branches_claim="https://crm.example/branches", jwt_role_map={"crm-sales": "consultant", "crm-desk": "reception"}))
    claims = {"sub": "5f0c-idp-uuid", "crm": {"staff_id": "s-42"}, "realm_access": {"roles": ["offline_access", "crm-sales"]},
              "https://crm.example/branches": "sz-bay, gz-1"}
    who = await verify_token(settings, rsa_key.sign(claims))
    assert (who.sub, who.role, who.branches) == ("s-42", "consultant", ["sz-bay", "gz-1"])

    def detail(extra: dict) -> str:
        with pytest.raises(Problem) as err:
            principal_from_claims(settings, claims | extra)
        assert err.value.status == 401
        return err.value.detail

    assert "several CRM roles" in detail({"realm_access": {"roles": ["crm-sales", "crm-desk"]}})
    assert "no CRM role" in detail({"realm_access": {"roles": ["manager"]}})  # with a map, only mapped names count
    assert "no CRM role" in detail({"realm_access": {}})
    assert "no branches" in detail({"https://crm.example/branches": []})
    assert "no subject" in detail({"crm": {"staff_id": ""}})
    plain = Settings(environment="test")
    assert principal_from_claims(plain, {"sub": "i-1", "role": ["integrator"], "branches": ["*"]}).branches == ["*"]


async def test_production_takes_no_shared_secret_token_once_a_jwks_url_is_set(rsa_key):
    production = Settings(environment="production", jwt_jwks_url="https://sso.example-group.cn/jwks",
                          jwt_issuer=ISSUER, jwt_audience=AUDIENCE, **STRONG)
    dev = Settings(environment="test")
    token = mint_token(dev, "admin", "admin", ["*"])
    forged = jwt.encode({"sub": "a", "role": "admin", "branches": ["*"], "exp": int(time.time()) + 60},
                        production.jwt_secret, algorithm="HS256")  # the default secret, unused in production now
    for t in (token, forged):
        with pytest.raises(Problem) as err:
            await verify_token(production, t)
        assert err.value.status == 401 and "identity provider" in err.value.detail
        with pytest.raises(Problem):
            decode_token(production, t)
    without_jwks = Settings(environment="production", jwt_secret="j" * 40, **STRONG)
    assert (await verify_token(without_jwks, mint_token(without_jwks, "a", "admin", ["*"]))).role == "admin"


@pytest.mark.unit
def test_production_settings_demand_issuer_audience_and_https():
    base = {"environment": "production", "jwt_jwks_url": "https://sso.example-group.cn/jwks", **STRONG}
    Settings(**base, jwt_issuer=ISSUER, jwt_audience=AUDIENCE)  # the shared secret may stay default: it is not used
    with pytest.raises(ValidationError, match="CRM_JWT_ISSUER"):
        Settings(**base, jwt_audience=AUDIENCE)
    with pytest.raises(ValidationError, match="CRM_JWT_AUDIENCE"):
        Settings(**base, jwt_issuer=ISSUER)
    with pytest.raises(ValidationError, match="https"):
        Settings(**(base | {"jwt_jwks_url": "http://sso.internal/jwks"}), jwt_issuer=ISSUER, jwt_audience=AUDIENCE)
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(environment="production", **STRONG)  # no JWKS: the shared secret must be real, as before
    with pytest.raises(ValidationError, match="CRM_JWT_ROLE_MAP"):
        Settings(jwt_role_map={"crm-boss": "root"})
    assert Settings().jwt_algorithm == "HS256" and Settings().jwt_algorithms == ["RS256", "ES256"]
