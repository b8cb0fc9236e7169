import pytest
from pydantic import ValidationError

from crm_shared.config import Settings
from crm_shared.http.auth import decode_token, mint_token
from crm_shared.http.concurrency import if_match_version
from crm_shared.http.pagination import decode_cursor, encode_cursor
from crm_shared.errors import NotFound
from crm_shared.http.problems import Problem


def test_production_refuses_default_secrets():
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(environment="production")
    real = {"jwt_secret": "s3cret-real-" + "x" * 32, "phone_hash_key": "real-key-" + "k" * 32,
            "phone_seal_key": "real-seal-" + "s" * 32}
    Settings(environment="production", **real)
    with pytest.raises(ValidationError, match="PHONE_SEAL_KEY"):
        Settings(environment="production", **(real | {"phone_seal_key": "dev-phone-seal-change-me"}))
    with pytest.raises(ValidationError, match="32 bytes"):
        Settings(environment="production", **(real | {"jwt_secret": "short-but-not-default"}))


@pytest.mark.parametrize("key", ["phone_hash_key", "phone_seal_key"])
def test_production_refuses_short_phone_keys(key):
    """D11: a two-character key makes every phone hash guessable."""
    real = {"jwt_secret": "j" * 40, "phone_hash_key": "h" * 40, "phone_seal_key": "s" * 40}
    with pytest.raises(ValidationError, match=f"CRM_{key.upper()} must be at least 32 bytes"):
        Settings(environment="production", **(real | {key: "ab"}))


@pytest.mark.parametrize("claims", [
    {"sub": "", "role": "manager", "branches": ["b1"]},
    {"sub": "   ", "role": "manager", "branches": ["b1"]},
    {"sub": "m1", "role": "manager", "branches": ["b1"], "exp": "9999999999"},
    {"sub": "m1", "role": "manager", "branches": ["b1"], "exp": 253402300799},  # year 9999
    {"sub": "m1", "role": "manager", "branches": ["b1"], "exp": True},
])
def test_loose_tokens_are_401(claims):
    """D11: an empty subject, a string or far-future `exp`."""
    import time

    import jwt

    s = Settings()
    token = jwt.encode({"exp": int(time.time()) + 600, **claims}, s.jwt_secret, algorithm="HS256")
    with pytest.raises(Problem) as err:
        decode_token(s, token)
    assert err.value.status == 401


def test_a_token_within_the_maximum_lifetime_is_accepted():
    s = Settings(jwt_max_lifetime_seconds=3600)
    assert decode_token(s, mint_token(s, "m1", "manager", ["b1"], ttl_seconds=3000)).sub == "m1"
    with pytest.raises(Problem):
        decode_token(s, mint_token(s, "m1", "manager", ["b1"], ttl_seconds=7200))


def test_development_accepts_defaults():
    assert Settings(environment="development").jwt_secret == "dev-secret-change-me"


def test_duplicate_window_must_exceed_relay_lease():
    with pytest.raises(ValidationError):
        Settings(duplicate_window_seconds=10, relay_lease_seconds=30)


def test_token_round_trip_and_tampering():
    s = Settings()
    token = mint_token(s, "u1", "manager", ["sz-bay"])
    p = decode_token(s, token)
    assert (p.sub, p.role, p.branches) == ("u1", "manager", ["sz-bay"])
    assert p.sees_branch("sz-bay") and not p.sees_branch("gz-1")
    with pytest.raises(Problem) as err:
        decode_token(Settings(jwt_secret="other"), token)
    assert err.value.status == 401


def test_expired_token_is_401():
    s = Settings()
    with pytest.raises(Problem) as err:
        decode_token(s, mint_token(s, "u1", "admin", ["*"], ttl_seconds=-10))
    assert err.value.status == 401


def test_cursor_round_trip_and_garbage():
    assert decode_cursor(encode_cursor("0193-abc")) == "0193-abc"
    with pytest.raises(Problem):
        decode_cursor("%%%")


@pytest.mark.parametrize("header,expected", [(None, None), ("3", 3), ('"4"', 4), ('W/"5"', 5)])
def test_if_match_parsing(header, expected):
    assert if_match_version(header) == expected


@pytest.mark.parametrize("header", ["abc", "-1", "1.5", "9" * 20])
def test_if_match_rejects_non_versions(header):
    with pytest.raises(Problem):
        if_match_version(header)


def test_branch_filter_scopes_lists():
    from crm_shared.http.auth import Principal

    p = Principal(sub="u", role="manager", branches=["a", "b"])
    assert p.branch_filter("a") == {"branch_id": "a"}
    assert p.branch_filter(None) == {"branch_id": {"$in": ["a", "b"]}}
    assert Principal(sub="u", role="admin", branches=["*"]).branch_filter(None) == {}
    with pytest.raises(NotFound) as err:
        p.branch_filter("c")
    assert err.value.status == 404


def test_the_app_mounts_every_plugin_route_flat():
    """create_app mounts the leaf routes of each plugin (one matching pass per request); they must
    serve exactly the operations FastAPI's own include would, with the same contract."""
    from fastapi import FastAPI

    from crm_shared.app import create_app
    from crm_shared.plugins import discover

    plugins = discover("all")
    reference = FastAPI()
    for plugin in plugins:
        reference.include_router(plugin.http_router())
    flat = create_app(plugins, Settings())
    expected = reference.openapi()["paths"]
    served = flat.openapi()["paths"]
    assert len(expected) > 40
    assert {path: served.get(path) for path in expected} == expected
    assert not any(hasattr(r, "original_router") for r in flat.router.routes)


@pytest.mark.parametrize("environment,token,header,allowed", [
    ("development", "", "", True),
    ("test", "", "", True),
    ("production", "", "", False),
    ("production", "", "Bearer anything", False),
    ("production", "m" * 32, "Bearer " + "m" * 32, True),
    ("production", "m" * 32, "Bearer wrong", False),
    ("development", "m" * 32, "", False),
])
def test_metrics_are_for_the_scraper_only(environment, token, header, allowed):
    """D13: /metrics is not public in production."""
    from crm_shared.app import metrics_allowed

    secrets = {"jwt_secret": "j" * 40, "phone_hash_key": "h" * 40, "phone_seal_key": "s" * 40}
    settings = Settings(environment=environment, metrics_token=token, **secrets)
    assert metrics_allowed(settings, header) is allowed
