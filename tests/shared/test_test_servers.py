"""How a test run picks its servers (tests/support/servers.py), checked without a Docker engine: the
order (URLs, then Docker, then the dev stack), a forced choice, a quick "no engine" on a dead socket,
the containers' configuration as built (never started here), and the store detection against the
run's dev store."""

from __future__ import annotations

import subprocess
import time

import pytest
from pymongo import AsyncMongoClient

from crm_shared.stack import NatsAccess, free_port, nats_config, nats_server_binary
from crm_shared.stores import detect
from tests.support.servers import (MONGO_IMAGE, NATS_CONF_IN_CONTAINER, NATS_STORE_IN_CONTAINER, REPLICA_SET,
                                   DockerServers, ServerChoiceError, choose, docker_engine_answers, mongo_container,
                                   nats_container, nats_image, nats_version, replica_set_config)

URLS = {"CRM_MONGO_URL": "mongodb://app:s3cret@db.example:27017/", "CRM_NATS_URL": "nats://svc:pw@bus.example:4222"}
PINNED_API = {"version": "1.44"}  # a pinned API version: the Docker client is built without asking an engine


def _never() -> bool:
    raise AssertionError("the Docker engine was asked although the choice did not depend on it")


@pytest.mark.unit
def test_without_a_docker_engine_the_dev_stack_runs():
    choice = choose({}, lambda: False)
    assert (choice.kind, choice.reason) == ("devstack", "no Docker engine answered")
    assert choice.describe({}) == f"servers: dev stack (FerretDB dev store, nats-server {nats_version()}) — no Docker engine answered"


@pytest.mark.unit
def test_with_a_docker_engine_the_containers_run():
    choice = choose({}, lambda: True)
    assert choice.kind == "docker"
    assert MONGO_IMAGE in choice.describe({}) and nats_image() in choice.describe({})


@pytest.mark.unit
def test_urls_in_the_environment_win_without_asking_docker_and_are_printed_without_credentials():
    choice = choose(URLS, _never)
    assert choice.kind == "env"
    line = choice.describe(URLS)
    assert "mongodb://db.example:27017" in line and "nats://bus.example:4222" in line
    assert "s3cret" not in line and "pw" not in line


@pytest.mark.unit
@pytest.mark.parametrize("forced, docker, kind", [("devstack", True, "devstack"), ("docker", False, "docker"),
                                                 ("DevStack", True, "devstack")])
def test_a_forced_choice_is_honoured(forced, docker, kind):
    choice = choose({"CRM_TEST_SERVERS": forced}, lambda: docker)
    assert choice.kind == kind and "CRM_TEST_SERVERS" in choice.reason


@pytest.mark.unit
def test_a_forced_choice_wins_over_urls_and_env_needs_both_urls():
    assert choose(URLS | {"CRM_TEST_SERVERS": "devstack"}, _never).kind == "devstack"
    assert choose(URLS | {"CRM_TEST_SERVERS": "env"}, _never).kind == "env"
    with pytest.raises(ServerChoiceError, match="both"):
        choose({"CRM_TEST_SERVERS": "env"}, _never)
    with pytest.raises(ServerChoiceError, match="both"):
        choose({"CRM_MONGO_URL": URLS["CRM_MONGO_URL"]}, _never)
    with pytest.raises(ServerChoiceError, match="kubernetes"):
        choose({"CRM_TEST_SERVERS": "kubernetes"}, _never)


@pytest.mark.parametrize("host", [f"tcp://127.0.0.1:{free_port()}", "unix:///nonexistent/docker.sock"],
                         ids=["closed-tcp-port", "missing-unix-socket"])  # stable ids: parallel workers collect alike
def test_a_dead_docker_socket_answers_no_engine_quickly(monkeypatch, host):
    monkeypatch.setenv("DOCKER_HOST", host)
    started = time.monotonic()
    assert docker_engine_answers(timeout=2.0) is False
    assert time.monotonic() - started < 3


def test_the_docker_path_without_an_engine_fails_loudly_and_leaves_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{free_port()}")
    servers = DockerServers(tmp_path)
    with pytest.raises(Exception, match="(?i)docker|connection"):
        servers.start()
    assert servers.mongo is None and servers.nats is None and servers.callout is None


@pytest.mark.unit
def test_mongo_runs_as_a_single_node_replica_set():
    container = mongo_container(**PINNED_API)
    assert container.image == MONGO_IMAGE
    assert container._command == ["--replSet", REPLICA_SET, "--bind_ip_all"]
    assert set(container.ports) == {"27017"}
    assert container._wait_strategy._message.pattern == "Waiting for connections"
    # one member, named as mongod sees itself in its container; the tests connect with directConnection
    assert replica_set_config() == {"_id": "rs0", "members": [{"_id": 0, "host": "localhost:27017"}]}


def test_the_nats_container_runs_the_dev_stacks_version_and_configuration(tmp_path):
    access = NatsAccess()
    config = nats_config("0.0.0.0:4222", NATS_STORE_IN_CONTAINER, access)
    container = nats_container(config, **PINNED_API)
    version = subprocess.run([nats_server_binary(), "--version"], capture_output=True, text=True).stdout
    assert container.image == f"nats:{nats_version()}" and f"v{nats_version()}" in version
    assert container._command == ["--config", NATS_CONF_IN_CONTAINER] and set(container.ports) == {"4222"}
    [(payload, path, mode)] = container._transferable_specs
    assert path == NATS_CONF_IN_CONTAINER and mode == 0o600
    text = payload.decode()
    # the dev stack's configuration, but for the container's address and disk
    assert text == nats_config("127.0.0.1:4222", "/x", access).replace("127.0.0.1:4222", "0.0.0.0:4222").replace(
        '"/x"', f'"{NATS_STORE_IN_CONTAINER}"')
    for line in ("sync_interval: always", f'user: "{access.user}"', f'issuer: "{access.issuer}"', "auth_callout",
                 f'store_dir: "{NATS_STORE_IN_CONTAINER}"'):
        assert line in text, line
    conf = tmp_path / "nats.conf"
    conf.write_text(text)
    checked = subprocess.run([nats_server_binary(), "-t", "-c", str(conf)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr  # nats-server of the image's version accepts it


async def test_the_runs_store_is_detected_as_the_dev_store(urls, store):
    client = AsyncMongoClient(urls[0])
    try:
        found = await detect(client)
    finally:
        await client.close()
    assert found == store
    if store.kind == "devstore":  # this machine; the Docker path checks MongoDB in tests/shared/test_store_paths.py
        assert not (found.ttl_indexes or found.partial_indexes or found.names_duplicate_key)
        assert found.describe() == "the dev store (FerretDB)"
    else:
        assert found.is_mongodb and found.ttl_indexes and found.version.startswith("7.")
