"""Who is using the console: the user's API token and what it says (role, branches).

Development (`CRM_CONSOLE__IDENTITY=dev`): the sign-in page mints a token for the chosen
person and keeps it in an HttpOnly, SameSite=Lax cookie. Production
(`CRM_CONSOLE__IDENTITY=proxy`): the identity-aware proxy in front of the console passes
the IdP's token in `X-Forwarded-Access-Token` or `Authorization: Bearer`; the console never
mints tokens then, checks the token as the API does (RS256/ES256 against the JWKS, claims
mapped by `CRM_JWT_*_CLAIM`) and forwards it to the API, which checks it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from crm_shared.http.auth import Principal, verify_token
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


def _tokens(request: Request) -> list[str]:
    """The tokens the request carries, in the order they are tried: in proxy mode
    `X-Forwarded-Access-Token` (oauth2-proxy's `--pass-access-token`, the IdP's access token),
    then `Authorization: Bearer` (`--pass-authorization-header` puts the ID token there); in
    dev mode the sign-in cookie."""
    if settings_of(request).identity == "proxy":
        found = []
        if forwarded := request.headers.get("x-forwarded-access-token", "").strip():
            found.append(forwarded)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip() and token.strip() not in found:
            found.append(token.strip())
        return found
    token = request.cookies.get(TOKEN_COOKIE)
    return [token] if token else []


async def current_user(request: Request) -> User | None:
    """The signed-in user, or None (no token, expired, or not one this deployment accepts).

    Checked like the API checks it (`verify_token`: the identity provider's keys in production,
    the shared secret in development), so a proxy's RS256/ES256 token signs the user in; the
    first token that verifies is the one forwarded to the API. Remembered for the request."""
    if "console_user" in request.scope:
        return request.scope["console_user"]
    user = None
    for token in _tokens(request):
        try:
            principal = await verify_token(request.app.state.settings, token)
        except Problem as refused:
            request.scope.setdefault("console_refusal", refused.detail)  # why a proxy's token is not accepted
            continue
        chosen = request.cookies.get(BRANCH_COOKIE, "")
        if chosen and principal.sees_branch(chosen):
            user = User(token, principal, chosen)
        else:
            named = [b for b in principal.branches if b != "*"]
            user = User(token, principal, named[0] if named else "")
        break
    request.scope["console_user"] = user
    return user


def refusal(request: Request) -> str:
    """Why the token the request carried was refused (after `current_user`), or ""."""
    return request.scope.get("console_refusal", "")
