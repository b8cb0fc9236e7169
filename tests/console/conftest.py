"""Browser tests: the whole system (all services + console) on a real port, driven by
Debian's headless Chromium through Playwright (playwright-core never downloads a browser
here: `executable_path` points at the system one, which `make test` installs).

Screenshots of every screen go to test-output/console/ for a reviewer to look at.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvicorn

from crm_shared.app import create_app
from crm_shared.plugins import discover
from crm_shared.stack import free_port
from tests.support.runtime import bearer, isolated_settings

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "console"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def _cjk_fonts_for_chromium() -> None:
    """Chinese glyphs in the screenshots on a machine without CJK system fonts: point fontconfig
    (which Chromium inherits) at the system fonts plus the Noto Sans CJK font the reports service
    installs from PyPI for its charts."""
    if os.environ.get("FONTCONFIG_FILE") or not Path("/etc/fonts/fonts.conf").exists():
        return
    import importlib.util

    spec = importlib.util.find_spec("cvttf_NotoSansCJK_Regular")
    if spec is None or not spec.submodule_search_locations:
        return
    conf = ROOT / ".data" / "console-fonts" / "fonts.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    text = ('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
            '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
            f"<dir>{list(spec.submodule_search_locations)[0]}</dir>"
            f"<cachedir>{conf.parent / 'cache'}</cachedir></fontconfig>")
    # Chromium's fontconfig reloads a config whose mtime changed: never rewrite it under a running
    # browser of a concurrent test run, and never leave it half-written.
    if not conf.exists() or conf.read_text() != text:
        tmp = conf.with_name(f"fonts.{os.getpid()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, conf)
    os.environ["FONTCONFIG_FILE"] = str(conf)


_cjk_fonts_for_chromium()


def chromium_path() -> str:
    path = os.environ.get("CRM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install chromium)")
    return path


class _Server:
    """uvicorn in a thread of its own, serving create_app(all plugins) on a free port."""

    def __init__(self, settings) -> None:
        self.port = free_port()
        app = create_app(discover("all"), settings)
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="on"))
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    def __enter__(self) -> "_Server":
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the console server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@dataclass
class Office:
    """One branch with its people, seeded through the public API; a sync client for set-up."""

    base_url: str
    settings: object
    branch: str
    api: httpx.Client
    staff: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    partners: dict[str, str] = field(default_factory=dict)  # account name -> id (registered on first use)

    def as_(self, role: str, key: str | None = None) -> dict[str, str]:
        sub = self.staff.get(key or role, f"{role}-x") if role != "partner" else (key or "agency-1")
        return bearer(self.settings, role, [self.branch], sub)

    @property
    def admin(self) -> dict[str, str]:
        return bearer(self.settings, "admin", ["*"], "admin")

    def partner(self, name: str, kind: str = "agency", agency: str | None = None) -> str:
        """The id of the branch's partner account of that name, registered by the manager on first use."""
        if name not in self.partners:
            body = {"branch_id": self.branch, "name": name, "kind": kind}
            if agency:
                body["agency_id"] = self.partner(agency)
            self.partners[name] = self.call("POST", "/v1/partners", self.admin, json=body)["id"]
        return self.partners[name]

    def call(self, method: str, path: str, headers: dict, expect=(200, 201, 202), **kw):
        r = self.api.request(method, path, headers=headers, **kw)
        assert r.status_code in ((expect,) if isinstance(expect, int) else expect), f"{method} {path}: {r.status_code} {r.text[:400]}"
        return r.json() if r.content else None


@pytest.fixture(scope="module")
def system(urls) -> Iterator[tuple[str, object]]:
    settings = isolated_settings(*urls)
    with _Server(settings) as server:
        yield f"http://127.0.0.1:{server.port}", settings


@pytest.fixture
def office(system) -> Iterator[Office]:
    base, settings = system
    branch = f"br-{uuid.uuid4().hex[:6]}"
    with httpx.Client(base_url=base, timeout=30) as api:
        o = Office(base, settings, branch, api)
        o.call("POST", "/v1/branches", o.admin, json={"id": branch, "name": "深圳湾售楼处", "timezone": "Asia/Shanghai"})
        people = [("manager", "manager", "王经理"), ("reception", "reception", "前台小李"),
                  ("consultant1", "consultant", "顾问张三"), ("consultant2", "consultant", "顾问李四")]
        for key, role, name in people:
            sid = o.call("POST", "/v1/staff", o.admin, json={"branch_id": branch, "name": name, "role": role})["id"]
            o.staff[key], o.names[key] = sid, name
        o.staff["consultant"] = o.staff["consultant1"]
        yield o


@pytest.fixture(scope="module")
def browser():
    """Per module: Playwright's sync API keeps an event loop running in this thread while it is
    open, and pytest-asyncio cannot run the async tests of later modules beside it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def page_for(browser, office, request):
    """page_for(key) -> a fresh browser context signed in as that person through the sign-in screen."""
    contexts = []

    def open_as(key: str, *, mobile: bool = False, partner_id: str | None = None):
        viewport = {"width": 390, "height": 844} if mobile else {"width": 1280, "height": 900}
        ctx = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{office.base_url}/console/signin?branch={office.branch}")
        if key == "admin":
            page.check("input[name=who][value=admin]")
        elif key == "partner":  # a registered partner account, picked from the branch's list
            account = office.partner(partner_id or "agency-1")
            page.goto(f"{office.base_url}/console/signin?branch={office.branch}")
            page.check(f"input[name=who][value='partner:{account}']")
        else:
            page.check(f"input[name=who][value='{office.staff[key]}']")
        page.click("#signin-submit")
        page.wait_for_load_state("networkidle")
        return page

    yield open_as
    for ctx in contexts:
        ctx.close()


def shot(page, name: str) -> Path:
    """Save a full-page screenshot for the reviewer; returns its path."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def untranslated(page) -> list[str]:
    """Message keys shown raw on the page (a string missing from i18n.py)."""
    import re

    return re.findall(r"\b(?:desk|day|lead|fu|appt|msg|outcome|grade|src)\.[a-z_.]+\b", page.inner_text("body"))
