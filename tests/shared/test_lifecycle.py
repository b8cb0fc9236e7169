"""`crm serve` from start to stop, as an orchestrator sees it.

Settings are checked before any connection (a production start with a default secret is refused
at once, servers or not); while NATS or the store cannot be reached the process logs one line per
retry (no traceback), /healthz answers and /readyz says 503 until both are reached; SIGTERM or
SIGINT stops it within a few seconds at any stage, letting an in-flight request finish, exit code 0.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from crm_shared.stack import NatsAccess, Stack, free_port
from tests.support.processes import Logged

ROOT = Path(__file__).resolve().parents[2]
CRM = os.path.join(os.path.dirname(sys.executable), "crm")
PRODUCTION = {"CRM_ENVIRONMENT": "production", "CRM_JWT_SECRET": "j" * 40, "CRM_PHONE_HASH_KEY": "h" * 40,
              "CRM_PHONE_SEAL_KEY": "s" * 40, "CRM_NOTIFY__UNSUBSCRIBE_SECRET": "u" * 40,
              "CRM_NOTIFY__CONSOLE_ALLOWED_IN_PRODUCTION": '["sms", "email"]',
              "CRM_NOTIFY__PUBLIC_BASE_URL": "https://crm.example.cn"}


def _env(nats_port: int, store_port: int, **extra: str) -> dict[str, str]:
    """Nothing listening at either address unless a test starts it; plain-text logs to read."""
    return _env_for(f"nats://127.0.0.1:{nats_port}", f"mongodb://127.0.0.1:{store_port}/", **extra)


def _env_for(nats_url: str, mongo_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    return env | {"CRM_NATS_URL": nats_url, "CRM_MONGO_URL": mongo_url, "CRM_LOG_JSON": "false",
                  "CRM_ENVIRONMENT": "test", "CRM_START_RETRY_MAX_SECONDS": "2"} | extra


def _status(port: int, path: str) -> int | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).status_code
    except httpx.HTTPError:
        return None


def _until(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


class Serving(Logged):
    """`crm serve` in a subprocess, its output collected in a file."""

    def __init__(self, tmp_path: Path, env: dict[str, str], services: str = "leads") -> None:
        self.port = free_port()
        self.start([CRM, "serve", "--services", services, "--host", "127.0.0.1", "--port", str(self.port)], env,
                   tmp_path / f"serve-{self.port}.log")


@pytest.mark.parametrize(("variable", "value"), [
    ("CRM_JWT_SECRET", "dev-secret-change-me"),
    ("CRM_NOTIFY__UNSUBSCRIBE_SECRET", "dev-unsubscribe-secret-change-me"),
    ("CRM_NOTIFY__SMS_PROVIDER", "console"),
])
def test_production_refusals_come_at_once_with_the_servers_down(variable, value):
    env = _env(free_port(), free_port(), **PRODUCTION) | {variable: value}
    if variable == "CRM_NOTIFY__SMS_PROVIDER":
        env["CRM_NOTIFY__CONSOLE_ALLOWED_IN_PRODUCTION"] = '["email"]'
    started = time.monotonic()
    done = subprocess.run([CRM, "serve", "--services", "all", "--port", str(free_port())], env=env,
                          capture_output=True, text=True, timeout=60)
    took = time.monotonic() - started
    assert done.returncode == 2, done.stderr
    assert variable in done.stderr and "Traceback" not in done.stderr + done.stdout
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert took < 30  # no connection attempted: the time is the interpreter's start (slow on a busy machine)
    assert "unreachable" not in done.stderr + done.stdout


def test_waits_for_the_servers_with_one_line_per_retry_then_serves_and_stops_on_sigterm(tmp_path):
    nats_port, store_port = free_port(), free_port()
    access = NatsAccess()  # the credentials the stack will require, known before it exists
    env = _env(nats_port, store_port, CRM_NATS_USER=access.user, CRM_NATS_PASSWORD=access.password)
    serving = Serving(tmp_path, env)
    stack = None
    try:
        assert _until(lambda: _status(serving.port, "/healthz") == 200, 60), serving.output()
        assert _status(serving.port, "/readyz") == 503
        body = httpx.get(f"http://127.0.0.1:{serving.port}/readyz").json()
        assert body["status"] == "starting" and set(body["checks"]) == {"store", "nats"}
        assert _status(serving.port, "/v1/channel-reports") == 503  # the services' routes wait too
        assert _until(lambda: "retrying in 2 s" in serving.output(), 30), serving.output()
        out = serving.output()
        assert f"NATS 127.0.0.1:{nats_port} unreachable (ConnectionRefusedError); retrying in 1 s" in out
        assert f"store 127.0.0.1:{store_port} unreachable (ConnectionRefusedError); retrying in 1 s" in out
        assert "Traceback" not in out

        stack = Stack(tmp_path / "stack", nats_port, store_port, devstore=ROOT / ".tools" / "devstore", access=access,
                      callout_env={"CRM_ENVIRONMENT": "test"}).start()
        assert _until(lambda: _status(serving.port, "/readyz") == 200, 60), serving.output()[-3000:]
        assert _status(serving.port, "/v1/channel-reports") in (401, 403)  # served now (and refused: no token)
        assert "Traceback" not in serving.output()

        code, took = serving.stop(signal.SIGTERM)
        assert code == 0 and took < 5, serving.output()[-2000:]
        assert "Traceback" not in serving.output()
    finally:
        serving.kill()
        if stack is not None:
            stack.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_waiting_for_the_servers_stops_at_once_with_code_0(tmp_path, sig):
    serving = Serving(tmp_path, _env(free_port(), free_port()))
    try:
        assert _until(lambda: _status(serving.port, "/healthz") == 200, 60), serving.output()
        assert _until(lambda: "retrying in" in serving.output(), 10)
        code, took = serving.stop(sig)
        assert code == 0 and took < 5, serving.output()
        assert "Traceback" not in serving.output()
    finally:
        serving.kill()


def test_sigterm_while_serving_lets_the_request_in_flight_finish(tmp_path, urls):
    mongo_url, nats_url = urls  # the session's stack (its URL carries the services' credentials); names of our own
    tag = os.urandom(4).hex()
    serving = Serving(tmp_path, _env_for(nats_url, mongo_url, CRM_DB_PREFIX=f"life{tag}_", CRM_STREAM_NAME=f"LIFE{tag}",
                                         CRM_SUBJECT_PREFIX=f"life{tag}", CRM_DEAD_LETTER_STREAM=f"LIFE{tag}_DLQ",
                                         CRM_DEAD_LETTER_PREFIX=f"life{tag}dlq", CRM_DEAD_LETTER_MAX_BYTES="-1",
                                         CRM_KEYS_BUCKET=f"LIFE{tag}_KEYS"))
    try:
        assert _until(lambda: _status(serving.port, "/readyz") == 200, 90), serving.output()[-3000:]
        body = b'{"customer_name": "' + b"x" * 20 + b'"}'
        with socket.create_connection(("127.0.0.1", serving.port), timeout=10) as conn:
            conn.sendall(b"POST /v1/channel-reports HTTP/1.1\r\nHost: crm\r\nContent-Type: application/json\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:10])
            time.sleep(0.3)  # the request is in the app, reading its body
            started = time.monotonic()
            serving.proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            assert serving.proc.poll() is None  # waiting for the request in flight
            conn.sendall(body[10:])
            answer = conn.recv(4096)
        assert answer.startswith(b"HTTP/1.1 4"), answer[:200]  # answered (refused: no token), not cut off
        code = serving.proc.wait(timeout=5)
        assert code == 0 and time.monotonic() - started < 5, serving.output()[-2000:]
        assert "Traceback" not in serving.output()
    finally:
        serving.kill()
