"""The launcher: `crm dev` brings up NATS, the dev store and the services, and Ctrl-C
(or the launcher dying) leaves no process behind."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from crm_shared.stack import Stack, free_port

ROOT = Path(__file__).resolve().parents[2]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purposes
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def wait_until(check, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_dev_serves_and_ctrl_c_leaves_nothing_behind(tmp_path):
    http, nats_port, store_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("CRM_MONGO_URL", "CRM_NATS_URL")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "crm_shared", "dev", "--port", str(http), "--nats-port", str(nats_port),
         "--store-port", str(store_port), "--data", str(tmp_path), "--devstore", str(ROOT / ".tools" / "devstore")],
        env=env | {"CRM_LOG_LEVEL": "WARNING"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        assert wait_until(lambda: ready(http)), proc.stdout.read1().decode() if proc.poll() is not None else "not ready"
        pids = [int((tmp_path / f"{name}.pid").read_text()) for name in ("nats", "store")]
        assert all(alive(p) for p in pids)
        assert httpx.get(f"http://127.0.0.1:{http}/healthz").json() == {"status": "ok"}
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert wait_until(lambda: not any(alive(p) for p in pids), 10), "servers outlived Ctrl-C"
        assert not (tmp_path / "nats.pid").exists()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_servers_die_with_a_killed_launcher(tmp_path):
    script = (
        "import sys, time; from pathlib import Path; from crm_shared.stack import Stack;"
        f"Stack(Path({str(tmp_path)!r}), {free_port()}, {free_port()}, devstore=Path({str(ROOT / '.tools' / 'devstore')!r})).start();"
        "print('up', flush=True); time.sleep(600)"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"up"
    pids = [int((tmp_path / f"{name}.pid").read_text()) for name in ("nats", "store")]
    proc.kill()  # kill -9: no cleanup code runs
    proc.wait()
    assert wait_until(lambda: not any(alive(p) for p in pids), 10), "orphaned servers"


def test_a_missing_dev_store_binary_is_a_clear_error(tmp_path):
    with pytest.raises(Exception, match="make devstore"):
        Stack(tmp_path, free_port(), free_port(), start_nats=False, devstore=tmp_path / "nope").start()
