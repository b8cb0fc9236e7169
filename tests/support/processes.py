"""Run each service in its own `crm serve` process, and route one HTTP client to them
by path, the way a gateway in front of per-service containers would."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager

import httpx

from crm_shared.config import Settings
from crm_shared.stack import free_port

SERVICES = ("leads", "reception", "notify", "reports")


def settings_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    for name, value in settings.model_dump(mode="json").items():
        env[f"CRM_{name.upper()}"] = value if isinstance(value, str) else __import__("json").dumps(value)
    return env


@contextmanager
def service_processes(settings: Settings, services=SERVICES):
    """Start one process per service; yield {service: base_url}; stop them all."""
    procs, urls = {}, {}
    env = settings_env(settings) | {"CRM_LOG_LEVEL": "WARNING"}
    try:
        for name in services:
            port = free_port()
            procs[name] = subprocess.Popen(
                [sys.executable, "-m", "crm_shared", "serve", "--services", name, "--port", str(port)],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
            urls[name] = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        for name, url in urls.items():
            while True:
                if procs[name].poll() is not None:
                    raise RuntimeError(f"{name} exited: {procs[name].stderr.read().decode()[-2000:]}")
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not become ready")
                time.sleep(0.2)
        yield urls
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def routes(urls: dict[str, str]) -> dict[str, str]:
    """First path segment after /v1/ -> the base URL of the service that serves it."""
    table = {}
    for url in urls.values():
        for path in httpx.get(f"{url}/openapi.json").json()["paths"]:
            parts = path.strip("/").split("/")
            if len(parts) > 1 and parts[0] == "v1":
                table[parts[1]] = url
    return table


class Gateway(httpx.AsyncBaseTransport):
    """Forwards each request to the process that owns its path."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")
        base = self.table.get(parts[1] if len(parts) > 1 else "", next(iter(self.table.values())))
        target = httpx.URL(base)
        request.url = request.url.copy_with(scheme=target.scheme, host=target.host, port=target.port)
        request.headers["host"] = f"{target.host}:{target.port}"
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
