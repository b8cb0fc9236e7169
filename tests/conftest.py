"""Test stack: a real nats-server and the dev store on free ports, for the whole run.

Set CRM_MONGO_URL and CRM_NATS_URL to run against servers you started (e.g. real
MongoDB and a NATS cluster; put the services' credentials in the NATS URL); then nothing is started. Every test gets uuid-named
streams, subjects and databases, so tests never see each other's data.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from crm_shared.stack import Stack, free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def stack():
    if os.environ.get("CRM_MONGO_URL") and os.environ.get("CRM_NATS_URL"):
        yield None
        return
    data = ROOT / ".data" / f"test-{os.getpid()}"
    # NATS as in production: services with their credentials (in `stack.nats_url`, so every
    # connection a test makes is a service's), integrators through the auth callout, anonymous refused.
    st = Stack(data_dir=data, nats_port=free_port(), store_port=free_port(), devstore=ROOT / ".tools" / "devstore",
               callout_env={"CRM_ENVIRONMENT": "test"})
    st.start()
    yield st
    st.stop()
    shutil.rmtree(data, ignore_errors=True)
    with_parent = data.parent
    if with_parent.exists() and not any(with_parent.iterdir()):
        with_parent.rmdir()


@pytest.fixture(scope="session")
def urls(stack):
    if stack is None:
        return os.environ["CRM_MONGO_URL"], os.environ["CRM_NATS_URL"]
    return stack.mongo_url, stack.nats_url
