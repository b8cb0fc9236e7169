"""Sign-in, sign-out, language, branch switch, the home redirect and static files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from crm_shared.http.auth import mint_token

from crm_console import i18n
from crm_console.api import Api, ApiError
from crm_console.session import BRANCH_COOKIE, LANG_COOKIE, TOKEN_COOKIE, current_user, refusal
from crm_console.web import HOMES, PREFIX, ConsoleRoute, locale_of, remember_branch, render
from crm_console.settings import settings_of

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
PARTNER = "partner:"
"""A partner account picked on the sign-in page: `partner:<account id>`."""

i18n.register({
    "signin.partners": {"zh-CN": "渠道账号", "en": "Partner accounts"},
    "signin.no_partners": {"zh-CN": "本案场还没有渠道账号（由销售经理在“渠道管理”中登记）。",
                           "en": "No partner accounts in this branch yet (a manager registers them under Partners)."},
    "signin.proxy_refused": {"zh-CN": "单点登录令牌未被本系统接受，请联系管理员核对角色与案场的声明配置。原因：",
                             "en": "Your single sign-on token was not accepted; ask an administrator to check the role "
                                   "and branch claims. Reason: "},
    "signin.unknown_partner": {"zh-CN": "请选择本案场已登记的渠道账号。", "en": "Pick a partner account registered in this branch."},
})
STATIC = Path(__file__).resolve().parent.parent / "static"
STATIC_FILES = {p.name: p for p in STATIC.iterdir() if p.is_file()}
MEDIA = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml", ".png": "image/png"}


def _dev_signin_allowed(request: Request) -> bool:
    """The picker mints tokens: only with `identity=dev`, never in production (`CRM_ENVIRONMENT`)."""
    config = settings_of(request)
    return config.identity == "dev" and config.environment != "production"


def _signin_api(request: Request) -> Api:
    """Dev sign-in only: a short-lived admin token to list branches and people to pick from."""
    return Api(request, mint_token(request.app.state.settings, "console-signin", "admin", ["*"], ttl_seconds=60))


def _safe_next(target: str | None) -> str | None:
    return target if target and target.startswith(PREFIX + "/") and "//" not in target and "\\" not in target else None


@router.get("")
@router.get("/")
async def home(request: Request) -> Response:
    user = await current_user(request)
    if user is None:
        return RedirectResponse(f"{PREFIX}/signin", status_code=303)
    return RedirectResponse(HOMES.get(user.role, f"{PREFIX}/signin"), status_code=303)


@router.get("/signin")
async def signin_page(request: Request, branch: str = "", next: str = "") -> Response:
    if not _dev_signin_allowed(request):
        await current_user(request)
        return render(request, "signin.html", proxy=True, status_code=401, error=refusal(request))
    api = _signin_api(request)
    branches = await api.items("/v1/branches")
    chosen = branch if any(b["id"] == branch for b in branches) else (branches[0]["id"] if branches else "")
    staff = [s for s in await api.items("/v1/staff", branch_id=chosen) if s.get("active", True)] if chosen else []
    partners = [p for p in await api.items("/v1/partners", branch_id=chosen) if p.get("active", True)] if chosen else []
    return render(request, "signin.html", branches=branches, chosen=chosen, staff=staff, partners=partners,
                  next=_safe_next(next) or "", error=request.query_params.get("error", "")[:200])


@router.post("/signin")
async def signin(
    request: Request, branch_id: Annotated[str, Form(max_length=100)] = "",
    who: Annotated[str, Form(max_length=120)] = "", next: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    if not _dev_signin_allowed(request):
        return render(request, "signin.html", proxy=True, status_code=403)
    settings = request.app.state.settings
    hours = settings_of(request).session_hours
    locale = locale_of(request)
    api = _signin_api(request)
    if who == "admin":
        sub, role, branches = "admin", "admin", ["*"]
    elif who.startswith(PARTNER):  # a registered partner account: an agency's manager or an agent
        try:
            account = await api.get(f"/v1/partners/{quote(who.removeprefix(PARTNER), safe='')}")
        except ApiError:
            return render(request, "signin.html", status_code=422, branches=await api.items("/v1/branches"),
                          chosen=branch_id, staff=[], partners=[], next="",
                          error=i18n.translate("signin.unknown_partner", locale))
        sub, role, branches = account["id"], "partner", [account["branch_id"]]
        branch_id = account["branch_id"]
    else:
        try:
            person = await api.get(f"/v1/staff/{quote(who, safe='')}")
        except ApiError as exc:
            return RedirectResponse(f"{PREFIX}/signin?branch={branch_id}&error={exc.status}", status_code=303)
        sub, role, branches = person["id"], person["role"], [person["branch_id"]]
        branch_id = person["branch_id"]
    token = mint_token(settings, sub, role, branches, ttl_seconds=hours * 3600)
    response = RedirectResponse(_safe_next(next) or HOMES.get(role, PREFIX), status_code=303)
    response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="lax", path=PREFIX, max_age=hours * 3600)
    if branch_id:
        remember_branch(response, branch_id)
    return response


@router.post("/signout")
async def signout(request: Request) -> Response:
    config = settings_of(request)
    away = config.signout_url if config.identity == "proxy" and config.signout_url else f"{PREFIX}/signin"
    response = RedirectResponse(away, status_code=303)
    response.delete_cookie(TOKEN_COOKIE, path=PREFIX)
    response.delete_cookie(BRANCH_COOKIE, path=PREFIX)
    return response


@router.get("/lang/{locale}")
async def language(request: Request, locale: str, back: str = "") -> Response:
    response = RedirectResponse(_safe_next(back) or PREFIX, status_code=303)
    if locale in i18n.LOCALES:
        response.set_cookie(LANG_COOKIE, locale, samesite="lax", path=PREFIX, max_age=365 * 86400)
    return response


@router.post("/branch")
async def switch_branch(request: Request, branch_id: Annotated[str, Form(max_length=100)] = "") -> Response:
    user = await current_user(request)
    back = _safe_next(urlparse(request.headers.get("referer", "")).path)  # stay on the screen, now for that branch
    response = RedirectResponse((back or HOMES.get(user.role, PREFIX)) if user else f"{PREFIX}/signin", status_code=303)
    if user and user.principal.sees_branch(branch_id):
        remember_branch(response, branch_id)
    return response


@router.get("/static/{name}")
async def static(name: str) -> Response:
    path = STATIC_FILES.get(name)
    if path is None:
        return Response(status_code=404)
    return FileResponse(path, media_type=MEDIA.get(path.suffix, "application/octet-stream"),
                        headers={"Cache-Control": "public, max-age=300"})
