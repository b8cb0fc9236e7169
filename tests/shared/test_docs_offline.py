"""The API docs pages (/docs, /redoc, /asyncapi) load nothing from the internet (issue 13).

Every script, stylesheet, icon, font and CSS import they name is a path on the app itself and
answers with a body; and in Debian's headless Chromium, with every request to another origin
blocked, each page renders its documentation, asks the network for nothing elsewhere, and its
Content-Security-Policy stops nothing of its own (only foreign loads: ReDoc's Redocly logo).
Screenshots go to test-output/docs-offline/.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import uvicorn
from fastapi.responses import HTMLResponse

from crm_shared.app import create_app
from crm_shared.asyncapi import document
from crm_shared.http.docs import CONTENT_SECURITY_POLICY, asyncapi_page
from crm_shared.stack import free_port
from tests.support.ledger import LedgerService
from tests.support.runtime import isolated_settings, running

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "docs-offline"
PAGES = ("/docs", "/redoc", "/asyncapi")
CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)""")
CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""")
CONTENT_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png", ".ico": "image/", ".svg": "image/svg",
                 ".woff": "font/", ".woff2": "font/"}


class _References(HTMLParser):
    """Every URL an HTML page makes the browser load: scripts, link hrefs, images, inline CSS."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src") is not None:
            self.found.append(attrs["src"])
        if tag == "link" and attrs.get("href") is not None:
            self.found.append(attrs["href"])
        if tag in ("img", "iframe", "source", "embed") and attrs.get("src") is not None:
            self.found.append(attrs["src"])
        if attrs.get("style"):
            self.found += css_references(attrs["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag) -> None:
        self._in_style = False

    def handle_data(self, data) -> None:
        if self._in_style:
            self.found += css_references(data)


def css_references(text: str) -> list[str]:
    return [next(g for g in m.groups() if g is not None) for rx in (CSS_URL, CSS_IMPORT) for m in rx.finditer(text)]


def page_references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    # `url(` and `@import` anywhere else in the page (inline scripts building styles) count too.
    return parser.found + [ref for ref in css_references(html) if ref not in parser.found]


def is_same_origin(ref: str) -> bool:
    """A path on this app: no scheme with a host and no protocol-relative `//host`. `data:` is inline."""
    ref = ref.strip()
    if ref.startswith("data:"):
        return True
    return not ref.startswith("//") and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", ref)


def check_type(path: str, content_type: str) -> None:
    suffix = Path(urlsplit(path).path).suffix
    expected = CONTENT_TYPES.get(suffix)
    assert expected is None or expected in content_type, f"{path}: content type {content_type!r}"


async def test_docs_pages_name_only_same_origin_assets_and_each_one_is_served(urls):
    settings = isolated_settings(*urls)
    async with running([LedgerService()], settings) as (_, client):
        assets: set[str] = set()
        for page in PAGES:
            r = await client.get(page)
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), page
            assert "default-src 'self'" in r.headers.get("content-security-policy", ""), page
            refs = page_references(r.text)
            assert any(ref.endswith(".js") for ref in refs), f"{page} loads no script: {refs}"
            foreign = [ref for ref in refs if not is_same_origin(ref)]
            assert not foreign, f"{page} loads from elsewhere: {foreign}"
            assert "googleapis" not in r.text and "unpkg" not in r.text and "jsdelivr" not in r.text, page
            assets |= {urljoin(page, ref) for ref in refs if not ref.startswith("data:")}

        seen: set[str] = set()
        while assets:
            path = assets.pop()
            seen.add(path)
            r = await client.get(path)
            assert r.status_code == 200, f"{path}: {r.status_code}"
            assert r.content, f"{path}: empty body"
            check_type(path, r.headers.get("content-type", ""))
            if path.endswith(".css"):  # what a stylesheet pulls in: fonts, images, other stylesheets
                refs = css_references(r.text)
                foreign = [ref for ref in refs if not is_same_origin(ref)]
                assert not foreign, f"{path} loads from elsewhere: {foreign}"
                assets |= {urljoin(path, ref) for ref in refs if not ref.startswith("data:")} - seen
        assert {"/docs-static/openapi/swagger-ui-bundle.js", "/docs-static/openapi/swagger-ui.css",
                "/docs-static/openapi/redoc.standalone.js", "/docs-static/asyncapi/index.js",
                "/docs-static/asyncapi/default.min.css"} <= seen

        assert (await client.get("/docs/oauth2-redirect")).status_code == 200  # FastAPI's default had it
        spec = (await client.get("/openapi.json")).json()
        assert "/asyncapi" in spec["paths"] and not any(p.startswith(("/docs", "/redoc")) for p in spec["paths"])


def test_the_css_and_html_scanners_see_foreign_assets():
    html = ('<link rel="stylesheet" href="https://cdn.example/x.css"><script src="//cdn.example/x.js"></script>'
            '<style>@import "https://fonts.example/f.css"; body { background: url(/a.png) }</style>'
            '<div style="background: url(\'http://img.example/b.png\')"></div>')
    refs = page_references(html)
    assert [ref for ref in refs if not is_same_origin(ref)] == [
        "https://cdn.example/x.css", "//cdn.example/x.js", "https://fonts.example/f.css", "http://img.example/b.png"]
    assert is_same_origin("/a.png") and is_same_origin("data:image/svg+xml;utf8,<svg/>") and is_same_origin("x.woff2")


# --- in a real browser, with the internet cut off --------------------------------------------------

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def _chromium_path() -> str:
    path = os.environ.get("CRM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
    return path


class _Server:
    """uvicorn in a thread of its own serving the app on a free loopback port."""

    def __init__(self, app) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="on"))
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the docs server did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@pytest.fixture(scope="module")
def offline_browser(urls):
    """(base URL, new_page) with a browser whose requests to any other origin are blocked and recorded.

    The Playwright sync API is opened and closed inside this module's sync tests only."""
    from playwright.sync_api import sync_playwright

    settings = isolated_settings(*urls)
    app = create_app([LedgerService()], settings)
    whole = asyncapi_page(document(settings), js_url="/docs-static/asyncapi/index.js",
                          css_url="/docs-static/asyncapi/default.min.css", favicon_url="/docs-static/openapi/favicon.png")

    @app.get("/asyncapi-all")
    async def whole_document() -> HTMLResponse:  # every public event type, as `crm asyncapi` writes it
        return HTMLResponse(whole, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})

    with _Server(app) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        contexts = []

        def new_page():
            ctx = browser.new_context(viewport={"width": 1280, "height": 900})
            contexts.append(ctx)
            blocked: list[str] = []
            errors: list[str] = []

            def only_this_app(route):
                url = route.request.url
                if url == base or url.startswith(base + "/"):
                    route.continue_()
                else:
                    blocked.append(url)
                    route.abort("internetdisconnected")

            ctx.route("**/*", only_this_app)
            ctx.add_init_script(CSP_RECORDER)
            page = ctx.new_page()
            page.set_default_timeout(30_000)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: msg.type == "error" and errors.append(f"console: {msg.text}"))
            return page, blocked, errors

        try:
            yield base, new_page
        finally:
            for ctx in contexts:
                ctx.close()
            browser.close()


CSP_RECORDER = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
    e => window.__csp.push({blocked: e.blockedURI, directive: e.effectiveDirective}));
"""


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


@pytest.mark.parametrize("path, rendered, text", [
    ("/docs", ".swagger-ui .opblock", "/v1/ledger/accounts"),
    ("/redoc", "redoc [data-section-id^='operation/']", "Open Account"),
    ("/asyncapi", "#asyncapi .aui-root", "ledger.pinged"),
    ("/asyncapi-all", "#asyncapi .aui-root", "customer.erased"),  # the whole document integrators get
])
def test_docs_page_renders_in_chromium_without_the_internet(offline_browser, path, rendered, text):
    base, new_page = offline_browser
    page, blocked, errors = new_page()
    page.goto(base + path, wait_until="networkidle")
    page.wait_for_selector(rendered, state="visible")
    page.wait_for_function("t => document.body.innerText.includes(t)", arg=text)
    if path == "/redoc":  # the search index runs in a blob: worker, which the page's policy must allow
        page.locator(".search-input").press_sequentially("account", delay=20)
        page.wait_for_selector("[data-role='search:results'] [role=menuitem][aria-label='Open Account']")
    _shot(page, path.strip("/"))
    assert not blocked, f"{path} asked the internet for {blocked}"
    refused = page.evaluate("window.__csp")
    own = [v for v in refused if is_same_origin(v["blocked"]) or v["blocked"].startswith((base, "blob:"))]
    assert not own, f"{path}: the page's Content-Security-Policy stops the page's own {own}"
    foreign = {v["blocked"] for v in refused}
    errors = [e for e in errors if not any(url in e for url in foreign)]  # the refusals' own console lines
    assert not errors, f"{path} raised in the browser: {errors}"
