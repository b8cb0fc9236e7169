"""The API docs pages, `/docs` (Swagger UI), `/redoc` (ReDoc) and `/asyncapi` (AsyncAPI), served
with every script, style and icon from the app itself.

FastAPI's and FastStream's stock pages load them from public CDNs (and ReDoc a Google font), so
they stay blank without internet access. Here the files come from the installed packages and are
mounted under `/docs-static/`:

- `/docs-static/openapi/`: Swagger UI and ReDoc from the `fastapi-offline` wheel (a PyPI
  dependency of crm-shared; only its static files are used);
- `/docs-static/asyncapi/`: the standalone bundle and stylesheet of `@asyncapi/react-component`,
  vendored in `static/asyncapi-react-component/` (its README.md says from where, and how to update).

The app is created with `docs_url=None, redoc_url=None`; `install_docs` then adds the pages the
way FastAPI would (root path, Swagger UI parameters, OAuth2 redirect) with local asset URLs.

The pages also carry a Content-Security-Policy that keeps the browser on this origin: ReDoc 2.x
shows the Redocly logo from Redocly's CDN whatever its options, and with the policy the browser
refuses it without asking the network (the image hides itself on error).
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_URL = "/docs-static"
# Same origin only. The renderers need inline scripts and styles (the pages' start-up code, styled
# components), `eval` (the AsyncAPI parser's JSON-schema validators) and blob: workers (ReDoc's search).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'"
)
ASYNCAPI_ASSETS = Path(__file__).resolve().parent / "static" / "asyncapi-react-component"

# The configuration of FastStream's AsyncAPI page (faststream.specification.get_asyncapi_html), without "try it out".
ASYNCAPI_CONFIG: dict[str, Any] = {
    "show": {"sidebar": True, "info": True, "servers": True, "operations": True, "messages": True,
             "schemas": True, "errors": True},
    "expand": {"messageExamples": True},
    "sidebar": {"showServers": "byDefault", "showOperations": "byDefault"},
}


def install_docs(app: FastAPI, asyncapi_spec: Callable[[], dict[str, Any]], *, docs_url: str | None = "/docs",
                 redoc_url: str | None = "/redoc", asyncapi_url: str | None = "/asyncapi",
                 static_url: str = STATIC_URL) -> None:
    """Mount the assets and add the three pages (a `None` url leaves that page out).

    Create the app with `docs_url=None, redoc_url=None` first, or FastAPI's CDN pages win the route.
    `asyncapi_spec` is called per request for the document the page renders (an AsyncAPI document as a dict,
    `crm_shared.asyncapi`).
    """
    openapi_assets, asyncapi_assets = f"{static_url}/openapi", f"{static_url}/asyncapi"
    app.mount(openapi_assets, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-static-openapi")
    app.mount(asyncapi_assets, StaticFiles(directory=ASYNCAPI_ASSETS), name="docs-static-asyncapi")
    favicon = f"{openapi_assets}/favicon.png"

    if app.openapi_url and docs_url:
        async def swagger_ui_html(request: Request) -> HTMLResponse:
            root = _root_path(request)
            redirect = app.swagger_ui_oauth2_redirect_url
            return _confined(get_swagger_ui_html(
                openapi_url=root + app.openapi_url, title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{root}{openapi_assets}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{openapi_assets}/swagger-ui.css",
                swagger_favicon_url=root + favicon,
                oauth2_redirect_url=root + redirect if redirect else None,
                init_oauth=app.swagger_ui_init_oauth, swagger_ui_parameters=app.swagger_ui_parameters,
            ))

        app.add_route(docs_url, swagger_ui_html, include_in_schema=False)
        if app.swagger_ui_oauth2_redirect_url:
            async def swagger_ui_redirect(request: Request) -> HTMLResponse:
                return get_swagger_ui_oauth2_redirect_html()

            app.add_route(app.swagger_ui_oauth2_redirect_url, swagger_ui_redirect, include_in_schema=False)

    if app.openapi_url and redoc_url:
        async def redoc_html(request: Request) -> HTMLResponse:
            root = _root_path(request)
            return _confined(get_redoc_html(
                openapi_url=root + app.openapi_url, title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root}{openapi_assets}/redoc.standalone.js",
                redoc_favicon_url=root + favicon, with_google_fonts=False,
            ))

        app.add_route(redoc_url, redoc_html, include_in_schema=False)

    if asyncapi_url:
        @app.get(asyncapi_url, tags=["ops"], summary="AsyncAPI document, rendered", response_class=HTMLResponse)
        async def asyncapi_html(request: Request) -> HTMLResponse:
            root = _root_path(request)
            return _confined(HTMLResponse(asyncapi_page(
                asyncapi_spec(), js_url=f"{root}{asyncapi_assets}/index.js",
                css_url=f"{root}{asyncapi_assets}/default.min.css", favicon_url=root + favicon,
            )))


def asyncapi_page(spec: dict[str, Any], *, js_url: str, css_url: str, favicon_url: str) -> str:
    """The AsyncAPI React component's standalone page for the document `spec`, loading only the given URLs."""
    props = _script_json({"schema": spec, "config": ASYNCAPI_CONFIG})
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(f"{spec['info']['title']} AsyncAPI")}</title>
<link rel="icon" href="{html.escape(favicon_url)}">
<link rel="stylesheet" href="{html.escape(css_url)}">
<style>
html {{
    font-family: ui-sans-serif, system-ui, -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue",
        Arial, "Noto Sans", sans-serif, "Apple Color Emoji", "Segoe UI Emoji", "Segoe UI Symbol", "Noto Color Emoji";
    line-height: 1.5;
}}
</style>
</head>
<body>
<div id="asyncapi"></div>
<script src="{html.escape(js_url)}"></script>
<script>
window.AsyncApiStandalone.render({props}, document.getElementById("asyncapi"));
</script>
</body>
</html>
"""


def _confined(response: HTMLResponse) -> HTMLResponse:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def _root_path(request: Request) -> str:
    return request.scope.get("root_path", "").rstrip("/")


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element (no `</script>` or `<!--` can close it)."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
