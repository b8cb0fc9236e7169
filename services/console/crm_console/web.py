"""Rendering: Jinja2 templates, the user's language, branch-time formatting, role guards,
and one place that turns any failure into a readable page instead of a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape

from crm_shared.errors import DomainError
from crm_shared.http.problems import Problem

from crm_console import i18n
from crm_console.api import Api, ApiError
from crm_console.session import BRANCH_COOKIE, LANG_COOKIE, User, current_user
from crm_console.settings import settings_of
from crm_console.state import state_of

log = logging.getLogger("crm.console")
HERE = Path(__file__).parent
PREFIX = "/console"
FLASH_COOKIE = "crm_console_flash"
HOMES = {"reception": "/console/front-desk", "consultant": "/console/my-day", "partner": "/console/partner",
         "manager": "/console/manager", "admin": "/console/manager", "finance": "/console/finance"}

env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)


def locale_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE) or settings_of(request).default_locale
    return lang if lang in i18n.LOCALES else "zh-CN"


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def branch_time(value: Any, tz: str, fmt: str = "%m-%d %H:%M") -> str:
    """An API timestamp shown in the branch's time zone (dates pass through)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    dt = _as_datetime(value)
    if dt is None:
        return str(value or "")
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Asia/Shanghai")
    return dt.astimezone(zone).strftime(fmt)


env.filters["bt"] = branch_time
env.filters["urlq"] = lambda s: quote(str(s or ""), safe="")

async def branch_info(api: Api, branch_id: str) -> dict:
    """The branch (name, timezone, settings)."""
    if not branch_id:
        return {"id": "", "name": "", "timezone": "Asia/Shanghai", "settings": {}}
    path = f"/v1/branches/{quote(branch_id, safe='')}"
    return await state_of(api.request).cached(("branch", branch_id), 60, lambda: api.get(path))


async def person_name(api: Api, user: User) -> str:
    """The staff member's or partner account's name for the header; empty when there is none to
    show (admins and integrators, an unknown account): the role badge says who it is, never an id."""
    if user.role in ("integrator", "admin"):
        return ""
    path = f"/v1/{'partners' if user.role == 'partner' else 'staff'}/{quote(user.id, safe='')}"

    async def load() -> str:
        try:
            return (await api.get(path)).get("name") or ""
        except ApiError:
            return ""

    return await state_of(api.request).cached(("person", user.id), 300, load)


async def branch_choices(api: Api, user: User) -> list[dict]:
    """The header's branch switcher: only for people with more than one branch. Not cached: a
    branch an admin just created must be there on the next page."""
    if len(user.principal.branches) < 2 and "*" not in user.principal.branches:
        return []
    try:
        return [{"id": b["id"], "name": b.get("name") or b["id"]} for b in await api.items("/v1/branches")]
    except ApiError:
        return []


GENERIC_REFUSALS = {401: "error.signin", 403: "error.forbidden", 404: "error.not_found"}


def refusal(status: int, detail: str, locale: str) -> str:
    """An API refusal on a screen: the common ones in the reader's language (the API's own
    details are English), the rest with the API's words after a translated lead-in."""
    if status in GENERIC_REFUSALS:
        return i18n.translate(GENERIC_REFUSALS[status], locale)
    lead = i18n.translate("error.bad_input" if status == 422 else "common.error", locale)
    return f"{lead}：{detail}" if detail else lead


class Screen:
    """What a screen handler gets: the user, their API, their branch and language."""

    def __init__(self, request: Request, user: User, branch: dict) -> None:
        self.request, self.user, self.branch = request, user, branch
        self.api = Api(request, user.token)
        self.locale = locale_of(request)
        self.tz = branch.get("timezone") or "Asia/Shanghai"

    def t(self, key: str) -> str:
        return i18n.translate(key, self.locale)

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return render(self.request, template, status_code=status_code, user=self.user, branch=self.branch, **context)

    def redirect(self, url: str, flash: str | None = None) -> RedirectResponse:
        response = RedirectResponse(url, status_code=303)
        if flash:
            response.set_cookie(FLASH_COOKIE, quote(flash, safe=""), max_age=30, httponly=True, samesite="lax",
                                path=PREFIX)
        return response


def render(request: Request, template: str, *, status_code: int = 200, user: User | None = None,
           branch: dict | None = None, **context: Any) -> HTMLResponse:
    locale = locale_of(request)
    flash = unquote(request.cookies.get(FLASH_COOKIE, ""))[:500]
    html = env.get_template(template).render(
        request=request, user=user, branch=branch or {}, locale=locale, flash=flash,
        t=lambda key: i18n.translate(key, locale), tz=(branch or {}).get("timezone") or "Asia/Shanghai",
        refresh_ms=int(settings_of(request).refresh_seconds * 1000), homes=HOMES,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path=PREFIX)
    return response


class Answer(Exception):
    """Raised instead of a page: ConsoleRoute sends this response (a redirect to sign-in, a 403 page)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def screen(request: Request, *roles: str) -> Screen:
    """The signed-in user on a screen their role may use; otherwise raises Answer with the
    sign-in redirect or a 403 page."""
    user = await current_user(request)
    if user is None:
        raise Answer(RedirectResponse(f"{PREFIX}/signin?next={quote(str(request.url.path), safe='')}", status_code=303))
    if roles and user.role not in roles:
        raise Answer(render(request, "error.html", status_code=403, user=user,
                            message=i18n.translate("error.forbidden", locale_of(request))))
    api = Api(request, user.token)
    branch = await branch_info(api, user.branch_id)
    user.name = await person_name(api, user)
    user.branches = await branch_choices(api, user)
    return Screen(request, user, branch)


class ConsoleRoute(APIRoute):
    """Console routes never answer with a stack trace: an API problem, a malformed form or a
    bug becomes a readable page with the API's own message."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def safe(request: Request) -> Response:
            try:
                return await handler(request)
            except Answer as answer:
                return answer.response
            except ApiError as exc:
                status = exc.status if 400 <= exc.status < 500 else 502
                return render(request, "error.html", status_code=status, user=await current_user(request),
                              message=refusal(exc.status, exc.message, locale_of(request)))
            except RequestValidationError as exc:
                locale = locale_of(request)
                msgs = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', [])[1:])}: {e.get('msg')}" for e in exc.errors()[:5])
                return render(request, "error.html", status_code=422, user=await current_user(request),
                              message=f"{i18n.translate('error.bad_input', locale)}: {msgs}")
            except (Problem, DomainError) as exc:
                return render(request, "error.html", status_code=exc.status, user=await current_user(request),
                              message=exc.detail or exc.kind)
            except Exception:
                log.exception("console page failed")
                return render(request, "error.html", status_code=500, user=await current_user(request),
                              message=i18n.translate("common.error", locale_of(request)))

        return safe


def remember_branch(response: Response, branch_id: str) -> None:
    response.set_cookie(BRANCH_COOKIE, branch_id, httponly=True, samesite="lax", path=PREFIX, max_age=30 * 86400)
