"""Who is using the console: the user's API token and what it says (role, branches).

Development (`CRM_CONSOLE__IDENTITY=dev`): the sign-in page mints a token for the chosen
person and keeps it in an HttpOnly, SameSite=Lax cookie. Production
(`CRM_CONSOLE__IDENTITY=proxy`): the identity-aware proxy in front of the console passes
the IdP's access token in `Authorization: Bearer` or `X-Forwarded-Access-Token`; the
console never mints tokens then, and the API checks them as it checks any other caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from crm_shared.http.auth import Principal, decode_token
from crm_shared.http.problems import Problem
from crm_console.settings import settings_of

TOKEN_COOKIE = "crm_console_token"
BRANCH_COOKIE = "crm_console_branch"
LANG_COOKIE = "crm_console_lang"


@dataclass
class User:
    token: str
    principal: Principal
    branch_id: str  # the branch the screens show; one of the token's branches
    name: str = ""  # filled by web.screen for the header
    branches: list[dict] = field(default_factory=list)  # for the header's switcher, when there is a choice

    @property
    def role(self) -> str:
        return self.principal.role

    @property
    def id(self) -> str:
        return self.principal.sub


def _token(request: Request) -> str | None:
    if settings_of(request).identity == "proxy":
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
        return request.headers.get("x-forwarded-access-token") or None
    return request.cookies.get(TOKEN_COOKIE) or None


def current_user(request: Request) -> User | None:
    """The signed-in user, or None (no token, expired, or not one this deployment accepts)."""
    token = _token(request)
    if not token:
        return None
    try:
        principal = decode_token(request.app.state.settings, token)
    except Problem:
        return None
    chosen = request.cookies.get(BRANCH_COOKIE, "")
    if chosen and principal.sees_branch(chosen):
        return User(token, principal, chosen)
    named = [b for b in principal.branches if b != "*"]
    return User(token, principal, named[0] if named else "")
