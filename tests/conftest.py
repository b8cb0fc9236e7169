"""Test servers for the whole run, chosen once (tests/support/servers.py) and printed in the header:
CRM_MONGO_URL and CRM_NATS_URL when set (nothing started; put the services' credentials in the
NATS URL); else real MongoDB and NATS in containers when a Docker engine answers (testcontainers);
else the local dev stack (a real nats-server and the dev store on free ports). CRM_TEST_SERVERS=
env|docker|devstack forces one. Every test gets uuid-named streams, subjects and databases, so tests
never see each other's data. Tests about one store carry `@pytest.mark.store("mongodb" | "devstore")`
and skip, saying why, on the other.
"""

from __future__ import annotations

import os
import shutil
from functools import cache
from pathlib import Path

import pytest

from crm_shared.stack import Stack, free_port
from crm_shared.stores import StoreCapabilities, of_build_info
from tests.support.servers import Choice, DockerServers, ServerChoiceError, choose, docker_engine_answers

ROOT = Path(__file__).resolve().parent.parent


@cache
def _choice() -> Choice:
    try:
        return choose(os.environ, docker_engine_answers)
    except ServerChoiceError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_report_header(config: pytest.Config) -> str:
    return _choice().describe(os.environ)


def pytest_sessionstart(session: pytest.Session) -> None:
    """`-q` hides the header: the choice is printed anyway."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and session.config.get_verbosity() < 0:
        reporter.write_line(_choice().describe(os.environ))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Parallel workers (`make test`: pytest-xdist, `--dist loadgroup`) take whole files, so a module's
    fixtures are built once; tests/e2e goes to one worker whole, as its scenarios share one system and
    its last module (test_zz_privacy) reads what the others published."""
    for item in items:
        path = item.path.relative_to(ROOT).as_posix()
        item.add_marker(pytest.mark.xdist_group("e2e" if path.startswith("tests/e2e/") else path))


@pytest.fixture(scope="session")
def stack():
    """The servers this run started (a `Stack` or `DockerServers`), None when the environment names its own."""
    choice = _choice()
    if choice.kind == "env":
        yield None
        return
    data = ROOT / ".data" / f"test-{os.getpid()}"
    # NATS as in production: services with their credentials (in `stack.nats_url`, so every
    # connection a test makes is a service's), integrators through the auth callout, anonymous refused.
    callout_env = {"CRM_ENVIRONMENT": "test"}
    if choice.kind == "docker":
        servers = DockerServers(data, callout_env=callout_env)
    else:
        servers = Stack(data_dir=data, nats_port=free_port(), store_port=free_port(),
                        devstore=ROOT / ".tools" / "devstore", callout_env=callout_env)
    servers.start()
    yield servers
    servers.stop()
    shutil.rmtree(data, ignore_errors=True)
    with_parent = data.parent
    if with_parent.exists() and not any(with_parent.iterdir()):
        with_parent.rmdir()


@pytest.fixture(scope="session")
def urls(stack):
    if stack is None:
        return os.environ["CRM_MONGO_URL"], os.environ["CRM_NATS_URL"]
    return stack.mongo_url, stack.nats_url


@pytest.fixture(scope="session")
def store(urls) -> StoreCapabilities:
    """What the run's store is (crm_shared.stores), asked once the way the platform asks at start."""
    from pymongo import MongoClient

    client: MongoClient = MongoClient(urls[0], serverSelectionTimeoutMS=10000)
    try:
        return of_build_info(client.admin.command("buildInfo"))
    finally:
        client.close()


@pytest.fixture(autouse=True)
def _only_on_its_store(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("store")
    if marker is None:
        return
    wanted = marker.args[0]
    assert wanted in ("mongodb", "devstore"), f"store({wanted!r}): expected 'mongodb' or 'devstore'"
    here: StoreCapabilities = request.getfixturevalue("store")
    if here.kind != wanted:
        pytest.skip(f"about {'real MongoDB' if wanted == 'mongodb' else 'the dev store'}; "
                    f"this run's store is {here.describe()}")
