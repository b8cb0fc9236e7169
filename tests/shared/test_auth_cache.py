"""Verified tokens are remembered until they expire, never past it, and never across keys."""

import time

import jwt
import pytest

from crm_shared.config import Settings
from crm_shared.http.auth import decode_token, mint_token
from crm_shared.http.problems import Problem


def test_a_remembered_token_gives_the_same_principal_and_a_private_copy():
    settings = Settings(environment="test")
    token = mint_token(settings, "c1", "consultant", ["b1"])
    first = decode_token(settings, token)
    first.branches.append("b2")  # a caller changing its copy changes nobody else's
    again = decode_token(settings, token)
    assert (again.sub, again.role, again.branches) == ("c1", "consultant", ["b1"])


def test_a_remembered_token_is_refused_once_expired():
    settings = Settings(environment="test")
    token = jwt.encode({"sub": "c1", "role": "consultant", "branches": ["b1"], "exp": int(time.time()) + 1},
                       settings.jwt_secret, algorithm="HS256")
    assert decode_token(settings, token).sub == "c1"
    time.sleep(2.1)
    with pytest.raises(Problem) as refused:
        decode_token(settings, token)
    assert refused.value.status == 401


def test_a_token_verified_under_one_key_is_checked_again_under_another():
    settings = Settings(environment="test")
    token = mint_token(settings, "c1", "consultant", ["b1"])
    assert decode_token(settings, token).sub == "c1"
    with pytest.raises(Problem) as refused:
        decode_token(settings.model_copy(update={"jwt_secret": "another-secret-" + "x" * 32}), token)
    assert refused.value.status == 401
