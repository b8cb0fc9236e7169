"""`crm nats-auth` from start to stop, as an orchestrator sees it (the way `crm serve` behaves:
tests/shared/test_lifecycle.py).

Its settings are checked before any connection (a production start without a usable issuer seed or
with a default secret is refused at once, naming the variable); while NATS cannot be reached it logs
one line per attempt with growing pauses, naming the address without credentials, and no traceback;
a connection lost later gives the same kind of lines and the callout answers again once NATS is back;
SIGTERM or SIGINT stops it within seconds at any stage, exit code 0. The live test runs a nats-server
of its own, configured as the session's (crm_shared.stack), so that only this callout answers it, with
the monitoring port deploy/compose.yaml's healthcheck of the `nats-auth` container reads.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nats
import pytest
import yaml

from crm_shared.config import Settings
from crm_shared.http.auth import mint_token
from crm_shared.nats_auth.nkeys_jwt import new_seed
from crm_shared.nats_auth.permissions import inbox_prefix
from crm_shared.stack import NatsAccess, free_port, nats_config, nats_server_binary, wait_for_port
from tests.shared.test_lifecycle import CRM, PRODUCTION, _until
from tests.support.processes import Logged

ROOT = Path(__file__).resolve().parents[2]
SECRET = "nats-auth-process-test-secret-0123456789"


def _env(nats_url: str, **extra: str) -> dict[str, str]:
    """The callout's environment: the services' credentials in the URL, a fresh issuer seed, plain-text logs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    return env | {"CRM_NATS_URL": nats_url, "CRM_NATS_AUTH_ISSUER_SEED": new_seed("account"),
                  "CRM_ENVIRONMENT": "test", "CRM_JWT_SECRET": SECRET, "CRM_LOG_JSON": "false",
                  "CRM_START_RETRY_MAX_SECONDS": "2"} | extra


class Callout(Logged):
    """`crm nats-auth` in a subprocess, its output collected in a file."""

    def __init__(self, tmp_path: Path, env: dict[str, str], ready_file: Path | None = None) -> None:
        argv = [CRM, "nats-auth", *(["--ready-file", str(ready_file)] if ready_file else [])]
        self.start(argv, env, tmp_path / f"nats-auth-{time.monotonic_ns()}.log")


class NatsServer:
    """A nats-server on free ports with the local stack's configuration (the services' user, the auth
    callout's issuer), plus the monitoring port the compose healthcheck reads."""

    def __init__(self, data: Path, access: NatsAccess) -> None:
        self.data, self.access = data, access
        self.port, self.monitor = free_port(), free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def services_url(self) -> str:
        return f"nats://{self.access.user}:{self.access.password}@{self.address}"

    def start(self) -> None:
        store = self.data / "nats"
        store.mkdir(parents=True, exist_ok=True)
        conf = self.data / "nats.conf"
        conf.write_text(nats_config(self.address, str(store), self.access) + f"http: 127.0.0.1:{self.monitor}\n")
        with open(self.data / "nats.log", "ab") as out:
            self.proc = subprocess.Popen([nats_server_binary(), "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.proc, "nats-server")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _healthcheck(server: NatsServer) -> int:
    """deploy/compose.yaml's healthcheck of the nats-auth container, pointed at this server's monitoring port."""
    test = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())["services"]["nats-auth"]["healthcheck"]["test"]
    assert test[:2] == ["CMD", "python"], test
    argv = [arg.replace("$$", "$").replace("http://nats:8222", f"http://127.0.0.1:{server.monitor}") for arg in test[2:]]
    return subprocess.run([sys.executable, *argv], capture_output=True, timeout=30).returncode


async def _integrator_connects(server: NatsServer, role: str = "integrator") -> bool:
    """Whether a connection with a CRM token of `role` (branch b1) is let in by the callout."""
    token = mint_token(Settings(jwt_secret=SECRET), "int-erp", role, ["b1"], 600)  # type: ignore[arg-type]

    async def quiet(_exc: Exception) -> None:
        pass

    try:
        nc = await nats.connect(f"nats://{server.address}", token=token, inbox_prefix=inbox_prefix("int-erp"),
                                allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=5, error_cb=quiet)
    except nats.errors.Error:
        return False
    try:
        await nc.flush(timeout=5)  # a round trip: only a connection the server let in gets one
        return nc.is_connected
    except (nats.errors.Error, TimeoutError):
        return False
    finally:
        await nc.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_nats_down_gives_one_line_per_retry_and_a_signal_stops_it_at_once(tmp_path, sig):
    port, password = free_port(), "p" * 40
    callout = Callout(tmp_path, _env(f"nats://crm-services:{password}@127.0.0.1:{port}"))
    try:
        assert _until(lambda: "retrying in 2 s" in callout.output(), 30), callout.output()
        out = callout.output()
        assert f"auth callout: NATS 127.0.0.1:{port} unreachable (ConnectionRefusedError); retrying in 1 s" in out
        assert "Traceback" not in out and password not in out
        code, took = callout.stop(sig)
        assert code == 0 and took < 5, callout.output()
        assert "Traceback" not in callout.output()
    finally:
        callout.kill()


@pytest.mark.parametrize(("variable", "value"), [
    ("CRM_NATS_AUTH_ISSUER_SEED", ""),  # missing
    ("CRM_NATS_AUTH_ISSUER_SEED", new_seed("user")),  # not an account's
    ("CRM_NATS_AUTH_ISSUER_SEED", "SAnot-a-seed"),
    ("CRM_JWT_SECRET", "dev-secret-change-me"),  # the development default
], ids=["seed-missing", "seed-of-a-user", "seed-garbage", "jwt-secret-default"])  # stable ids: parallel workers collect alike
def test_production_refusals_come_at_once_with_nats_down(variable, value):
    env = _env(f"nats://127.0.0.1:{free_port()}") | PRODUCTION | {variable: value}
    done = subprocess.run([CRM, "nats-auth"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr + done.stdout
    assert variable in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout and "unreachable" not in done.stderr + done.stdout


async def test_it_waits_for_nats_authorizes_integrators_survives_a_restart_of_nats_and_stops_on_sigterm(tmp_path):
    server = NatsServer(tmp_path, NatsAccess())
    ready = tmp_path / "nats-auth.ready"
    callout = Callout(tmp_path, _env(server.services_url, CRM_NATS_AUTH_ISSUER_SEED=server.access.issuer_seed),
                      ready_file=ready)
    where = f"auth callout: NATS {server.address}"
    try:
        assert await asyncio.to_thread(_until, lambda: f"{where} unreachable" in callout.output(), 30), callout.output()
        server.start()
        assert await asyncio.to_thread(_until, lambda: ready.exists() and ready.read_text() == server.access.issuer,
                                       30), callout.output()
        assert await _integrator_connects(server)
        assert not await _integrator_connects(server, role="consultant")  # the callout decides: only integrators
        assert _healthcheck(server) == 0

        server.kill()  # NATS lost while serving: nats.py reconnects, one line per attempt
        assert await asyncio.to_thread(_until, lambda: f"{where} connection error (ConnectionRefusedError)"
                                       in callout.output(), 30), callout.output()
        assert f"{where} connection lost; reconnecting" in callout.output()
        server.start()
        assert await asyncio.to_thread(_until, lambda: f"{where} reconnected" in callout.output(), 30), callout.output()
        assert await _integrator_connects(server)  # the subscription is back: it answers again
        assert _healthcheck(server) == 0
        assert "Traceback" not in callout.output() and server.access.password not in callout.output()

        code, took = await asyncio.to_thread(callout.stop, signal.SIGTERM)
        assert code == 0 and took < 5, callout.output()[-3000:]
        assert "Traceback" not in callout.output() and "reconnecting" not in callout.output().split("stopping")[-1]
        assert _healthcheck(server) == 1  # drained and gone: the container would turn unhealthy
    finally:
        callout.kill()
        server.kill()
