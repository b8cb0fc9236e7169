"""Bearer JWT auth, branch scope (foreign branch -> 404) and roles (-> 403)."""

from __future__ import annotations

import time
import warnings
from typing import Annotated, Literal

import jwt
from fastapi import Depends, Request
from jwt.warnings import InsecureKeyLengthWarning
from pydantic import BaseModel, Field, ValidationError

from crm_shared.config import Settings
from crm_shared.errors import NotFound
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


_VERIFIED: dict[tuple[str, str, str], tuple[float, Principal]] = {}
VERIFIED_MAX = 4096


def decode_token(settings: Settings, token: str) -> Principal:
    """The token's principal; a token already verified with this key is served from memory until `exp`.

    Clients send the same token on every request, and verifying it (HMAC, base64, JSON, model)
    is a visible share of a small request's CPU (bench/NOTES.md). The cache key holds the secret and the algorithm, so a
    key change verifies afresh; an expired entry is never served.
    """
    key = (settings.jwt_secret, settings.jwt_algorithm, token)
    if (hit := _VERIFIED.get(key)) is not None and hit[0] > time.time():
        return hit[1].model_copy(deep=True)
    unauthorized = Problem(401, "unauthorized", "missing, expired or invalid bearer token")
    try:
        claims = jwt.decode(token, settings.jwt_secret, algorithms=[settings.jwt_algorithm], options={"require": ["exp", "sub"]})
        principal = Principal.model_validate(claims)
    except (jwt.PyJWTError, ValidationError, TypeError):
        raise unauthorized from None
    exp = claims["exp"]
    if not isinstance(exp, int | float) or isinstance(exp, bool) or exp - time.time() > settings.jwt_max_lifetime_seconds:
        raise unauthorized  # a string `exp`, or a token that lives longer than any we issue
    if len(_VERIFIED) >= VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[key] = (float(claims["exp"]), principal.model_copy(deep=True))
    return principal


async def current_principal(request: Request) -> Principal:
    """Async although it awaits nothing: FastAPI would run a plain `def` in a worker thread."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "unauthorized", "missing bearer token")
    return decode_token(request.app.state.settings, token.strip())


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
