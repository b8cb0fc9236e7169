"""Run each service in its own `crm serve` process, and route one HTTP client to them
by path, the way a gateway in front of per-service containers would."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from crm_shared.config import Settings
from crm_shared.stack import free_port

SERVICES = ("leads", "reception", "notify", "reports", "deals", "customers")


class Logged:
    """A `crm` command in a subprocess, its output collected in `log`: read it, stop it with a signal
    (failing the test if it outlives `within` seconds), or kill it."""

    log: Path
    proc: subprocess.Popen

    def start(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, within: float = 5.0) -> tuple[int, float]:
        started = time.monotonic()
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=within)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {within} s after {signal.Signals(sig).name}:\n{self.output()[-3000:]}")
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def settings_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    for name, value in settings.model_dump(mode="json").items():
        env[f"CRM_{name.upper()}"] = value if isinstance(value, str) else __import__("json").dumps(value)
    return env


class ServiceUrls(dict):
    """{service: base_url}, and the processes behind them, so a test can kill -9 one and start it again."""

    def __init__(self) -> None:
        super().__init__()
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self._launch: dict[str, tuple[list[str], dict]] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str], log: Path | None) -> None:
        """Start (or restart: same port, same database) one service; its output goes to `log` if given."""
        out = open(log, "ab") if log else None  # appended across restarts; the child keeps its own descriptor
        try:
            self.procs[name] = subprocess.Popen(argv, env=env, stdout=out or subprocess.DEVNULL,
                                                stderr=subprocess.STDOUT if out else subprocess.PIPE)
        finally:
            if out:
                out.close()
        self._launch[name] = (argv, env)
        if log:
            self.logs[name] = log

    def exit_output(self, name: str) -> str:
        if name in self.logs:
            return self.logs[name].read_text(errors="replace")[-2000:]
        return self.procs[name].stderr.read().decode()[-2000:]

    def kill9(self, name: str) -> None:
        """SIGKILL, no cleanup: the crash a power cut or the OOM killer causes."""
        os.kill(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait()

    def restart(self, name: str) -> None:
        argv, env = self._launch[name]
        self.start(name, argv, env, self.logs.get(name))

    async def until_ready(self, name: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as probe:
            while time.monotonic() < deadline:
                if self.procs[name].poll() is not None:
                    raise RuntimeError(f"{name} exited: {self.exit_output(name)}")
                try:
                    if (await probe.get(f"{self[name]}/readyz", timeout=2)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.3)
        raise RuntimeError(f"{name} did not become ready again")


@contextmanager
def service_processes(settings: Settings, services=SERVICES, log_dir: Path | None = None, log_level: str = "WARNING"):
    """Start one process per service; yield {service: base_url} (a `ServiceUrls`); stop them all.

    With `log_dir`, each service's stdout and stderr go to `<log_dir>/<service>.log` (for a test to
    read, e.g. the privacy check); without, stderr is kept only to explain a failed start."""
    urls = ServiceUrls()
    env = settings_env(settings) | {"CRM_LOG_LEVEL": log_level, "PYTHONUNBUFFERED": "1"}
    if log_dir:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
    try:
        for name in services:
            port = free_port()
            urls[name] = f"http://127.0.0.1:{port}"
            urls.start(name, [sys.executable, "-m", "crm_shared", "serve", "--services", name, "--port", str(port)],
                       env, Path(log_dir) / f"{name}.log" if log_dir else None)
        procs = urls.procs
        deadline = time.monotonic() + 60
        for name, url in urls.items():
            while True:
                if procs[name].poll() is not None:
                    raise RuntimeError(f"{name} exited: {urls.exit_output(name)}")
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
        for proc in urls.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in urls.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


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
