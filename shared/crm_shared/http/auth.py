"""Bearer JWT auth, branch scope (foreign branch -> 404) and roles (-> 403).

Tokens come from the identity provider (RS256/ES256, keys from `CRM_JWT_JWKS_URL`, issuer and
audience checked, role/branches/subject from configurable claims) or, in development and tests,
are minted with `CRM_JWT_SECRET` (HS256, the contract's claims). `verify_token` takes both.
"""

from __future__ import annotations

import time
import warnings
from typing import Annotated, Literal

import jwt
from fastapi import Depends, Request
from jwt.warnings import InsecureKeyLengthWarning
from pydantic import BaseModel, Field, ValidationError

from crm_shared.config import ROLES, Settings
from crm_shared.errors import NotFound
from crm_shared.http.jwks import JwksUnavailable, UnknownKey, jwks_cache
from crm_shared.http.problems import Problem, forbidden

# The contract's development secret is short; production refuses any secret under 32 bytes
# (config.Settings), so this warning could only ever repeat what start-up already enforces.
warnings.filterwarnings("ignore", category=InsecureKeyLengthWarning)

Role = Literal["admin", "manager", "consultant", "reception", "finance", "partner", "integrator"]


class Principal(BaseModel):
    """Who calls: staff, partner or integrator id, role and branches (`*` = all)."""

    sub: str = Field(min_length=1, max_length=200, pattern=r"\S")
    role: Role
    branches: list[str] = Field(max_length=1000)

    def sees_branch(self, branch_id: str) -> bool:
        return "*" in self.branches or branch_id in self.branches

    def require_branch(self, branch_id: str, what: str = "branch") -> None:
        """Another branch's id is reported as missing, never as forbidden."""
        if not self.sees_branch(branch_id):
            raise NotFound(what)

    def branch_filter(self, branch_id: str | None) -> dict:
        """The store filter for a list: the asked branch (404 if foreign), else all the caller's branches."""
        if branch_id:
            self.require_branch(branch_id)
            return {"branch_id": branch_id}
        return {} if "*" in self.branches else {"branch_id": {"$in": self.branches}}

    def require_role(self, *roles: Role) -> None:
        if self.role not in roles:
            raise forbidden(f"role {self.role!r} may not do this; needs one of {', '.join(roles)}")


def mint_token(settings: Settings, sub: str, role: Role, branches: list[str], ttl_seconds: int = 3600) -> str:
    """For development, tests and the console's dev sign-in."""
    claims = {"sub": sub, "role": role, "branches": branches, "exp": int(time.time()) + ttl_seconds}
    return jwt.encode(claims, settings.jwt_secret, algorithm=settings.jwt_algorithm)


_VERIFIED: dict[tuple, tuple[float, Principal]] = {}
VERIFIED_MAX = 4096
UNAUTHORIZED = "missing, expired or invalid bearer token"


def hs256_accepted(settings: Settings) -> bool:
    """Tokens signed with `CRM_JWT_SECRET`: always outside production; in production only while no
    JWKS URL is set (the secret is then a real one, config.Settings)."""
    return settings.environment != "production" or not settings.jwt_jwks_url


def _remember(key: tuple, exp: float, principal: Principal) -> None:
    if len(_VERIFIED) >= VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[key] = (exp, principal.model_copy(deep=True))


def _recall(key: tuple) -> Principal | None:
    if (hit := _VERIFIED.get(key)) is not None and hit[0] > time.time():
        return hit[1].model_copy(deep=True)
    return None


def _check_lifetime(settings: Settings, claims: dict, unauthorized: Problem) -> float:
    exp = claims["exp"]
    if not isinstance(exp, int | float) or isinstance(exp, bool) or exp - time.time() > settings.jwt_max_lifetime_seconds:
        raise unauthorized  # a string `exp`, or a token that lives longer than any we issue
    return float(exp)


def decode_token(settings: Settings, token: str) -> Principal:
    """The principal of a token signed with `CRM_JWT_SECRET` (HS256, the contract's claims);
    served from memory until `exp` once verified with this key.

    Clients send the same token on every request, and verifying it (HMAC, base64, JSON, model)
    is a visible share of a small request's CPU (bench/NOTES.md). The cache key holds the secret and the algorithm, so a
    key change verifies afresh; an expired entry is never served. Identity-provider tokens need
    `verify_token` (their keys are fetched).
    """
    if not hs256_accepted(settings):
        raise Problem(401, "unauthorized", "tokens signed with the shared secret are not accepted here; "
                      "sign in through the identity provider")
    key = (settings.jwt_secret, settings.jwt_algorithm, token)
    if (hit := _recall(key)) is not None:
        return hit
    unauthorized = Problem(401, "unauthorized", UNAUTHORIZED)
    try:
        claims = jwt.decode(token, settings.jwt_secret, algorithms=[settings.jwt_algorithm], options={"require": ["exp", "sub"]})
        principal = Principal.model_validate(claims)
    except (jwt.PyJWTError, ValidationError, TypeError):
        raise unauthorized from None
    _remember(key, _check_lifetime(settings, claims, unauthorized), principal)
    return principal


def claim(claims: dict, path: str) -> object:
    """A claim by name, else by dotted path into nested objects (`realm_access.crm_role`); None when absent.
    The whole name is tried first, so namespaced claims (`https://crm.example/role`) work too."""
    if path in claims:
        return claims[path]
    value: object = claims
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def principal_from_claims(settings: Settings, claims: dict) -> Principal:
    """The CRM principal of an identity-provider token: subject, role and branches read from the
    configured claims (`CRM_JWT_SUBJECT_CLAIM`, `CRM_JWT_ROLE_CLAIM`, `CRM_JWT_BRANCHES_CLAIM`), the
    role translated by `CRM_JWT_ROLE_MAP` when set. Raises Problem 401 naming what is missing."""
    def refuse(detail: str) -> Problem:
        return Problem(401, "unauthorized", detail)

    sub = claim(claims, settings.jwt_subject_claim)
    if isinstance(sub, int) and not isinstance(sub, bool):
        sub = str(sub)
    if not isinstance(sub, str) or not sub.strip():
        raise refuse(f"the token has no subject in claim `{settings.jwt_subject_claim}`")
    raw = claim(claims, settings.jwt_role_claim)
    names = [raw] if isinstance(raw, str) else [n for n in raw if isinstance(n, str)] if isinstance(raw, list) else []
    if settings.jwt_role_map:
        roles = {settings.jwt_role_map[n] for n in names if n in settings.jwt_role_map}
    else:
        roles = {n for n in names if n in ROLES}
    if not roles:
        raise refuse(f"the token carries no CRM role in claim `{settings.jwt_role_claim}`")
    if len(roles) > 1:
        raise refuse(f"the token carries several CRM roles ({', '.join(sorted(roles))}) in claim "
                     f"`{settings.jwt_role_claim}`; give the user exactly one")
    branches = claim(claims, settings.jwt_branches_claim)
    if isinstance(branches, str):
        branches = branches.replace(",", " ").split()
    if not isinstance(branches, list) or not branches or not all(isinstance(b, str) and b for b in branches):
        raise refuse(f"the token has no branches in claim `{settings.jwt_branches_claim}`")
    try:
        return Principal.model_validate({"sub": sub, "role": roles.pop(), "branches": branches})
    except ValidationError:
        raise refuse("the token's subject, role or branches are malformed") from None


def _idp_profile(settings: Settings) -> tuple:
    """Everything besides the keys that decides what an identity-provider token means."""
    return (settings.jwt_jwks_url, tuple(settings.jwt_algorithms), settings.jwt_issuer, settings.jwt_audience,
            settings.jwt_subject_claim, settings.jwt_role_claim, settings.jwt_branches_claim,
            tuple(sorted(settings.jwt_role_map.items())), settings.jwt_max_lifetime_seconds)


async def _verify_idp(settings: Settings, token: str, header: dict) -> Principal:
    alg = header.get("alg")
    kid = header.get("kid")
    if alg not in settings.jwt_algorithms:
        raise Problem(401, "unauthorized", f"token algorithm {str(alg)[:20]!r} is not accepted")
    if kid is not None and not isinstance(kid, str):
        raise Problem(401, "unauthorized", "the token's `kid` is malformed")
    cache = jwks_cache(settings.jwt_jwks_url, settings.jwt_jwks_cache_seconds, settings.jwt_jwks_refetch_seconds,
                       settings.jwt_jwks_timeout_seconds)
    try:
        signing = await cache.key_for(kid)
    except JwksUnavailable:
        raise Problem(401, "unauthorized", "the identity provider's signing keys cannot be fetched now; "
                      "try again shortly") from None
    except UnknownKey:
        raise Problem(401, "unauthorized", "the token is signed with a key the identity provider does not "
                      "publish (unknown `kid`)") from None
    memo = ("jwks", _idp_profile(settings), id(cache), cache.generation, token)
    if (hit := _recall(memo)) is not None:
        return hit
    if signing.alg is not None and signing.alg != alg:
        raise Problem(401, "unauthorized", "the token's algorithm does not match its key")
    try:
        claims = jwt.decode(
            token, signing.key.key, algorithms=[alg], issuer=settings.jwt_issuer or None,
            audience=settings.jwt_audience or None,
            options={"require": ["exp"], "verify_aud": bool(settings.jwt_audience),
                     "verify_iss": bool(settings.jwt_issuer)})
    except jwt.ExpiredSignatureError:
        raise Problem(401, "unauthorized", "the token has expired") from None
    except jwt.InvalidIssuerError:
        raise Problem(401, "unauthorized", "the token's issuer is not the one this deployment trusts") from None
    except jwt.InvalidAudienceError:
        raise Problem(401, "unauthorized", "the token is meant for another audience") from None
    except jwt.MissingRequiredClaimError as exc:
        raise Problem(401, "unauthorized", f"the token lacks the `{exc.claim}` claim") from None
    except (jwt.PyJWTError, ValueError, TypeError):
        raise Problem(401, "unauthorized", "invalid token signature or encoding") from None
    exp = _check_lifetime(settings, claims, Problem(401, "unauthorized", "the token's `exp` is malformed or too far ahead"))
    principal = principal_from_claims(settings, claims)
    _remember(memo, exp, principal)
    return principal


async def verify_token(settings: Settings, token: str) -> Principal:
    """The principal of any token this deployment accepts: an identity-provider token
    (RS256/ES256 against `CRM_JWT_JWKS_URL`) or one signed with `CRM_JWT_SECRET` (HS256, see
    `hs256_accepted`). Raises Problem 401 otherwise, never another error (a JWKS outage too)."""
    if settings.jwt_jwks_url:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Problem(401, "unauthorized", UNAUTHORIZED) from None
        if header.get("alg") != settings.jwt_algorithm:
            return await _verify_idp(settings, token, header)
    return decode_token(settings, token)


async def current_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "unauthorized", "missing bearer token")
    return await verify_token(request.app.state.settings, token.strip())


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role):
    """Dependency: the caller must hold one of the roles."""

    async def check(request: Request, principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            # Out of scope is 404 whatever the role: a foreign branch named in the path or query is
            # reported as missing before the role is judged (a 403 would confirm it exists).
            named = request.path_params.get("branch_id") or request.query_params.get("branch_id")
            if named and not principal.sees_branch(named):
                raise NotFound("branch")
        principal.require_role(*roles)
        return principal

    return Depends(check)
