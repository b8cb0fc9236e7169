"""One running system (every service in one process) and one two-branch world for the package."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import httpx
import pytest

from crm_shared.observability import PhoneRedactionFilter
from crm_shared.plugins import discover
from tests.security.world import World
from tests.support.runtime import isolated_settings, running


@dataclass
class Running:
    client: httpx.AsyncClient
    settings: object
    world: World
    spec: dict
    logs: list[str] = field(default_factory=list)  # every log line of the run, for test_full_numbers.py


class _Logs(logging.Handler):
    """Every log line of the in-process services with its extra fields, filtered as configure_logging's is."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.lines = lines
        self.addFilter(PhoneRedactionFilter())

    def emit(self, record: logging.LogRecord) -> None:
        standard = logging.LogRecord("", 0, "", 0, "", (), None).__dict__
        extras = {k: v for k, v in record.__dict__.items() if k not in standard and k != "message"}
        self.lines.append(f"{record.name}: {record.getMessage()} {extras}")


@pytest.fixture(scope="package")
async def system(urls):
    settings = isolated_settings(*urls)
    lines: list[str] = []
    handler, root = _Logs(lines), logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)  # what a deployment logs
    try:
        async with running(discover("all"), settings) as (app, client):
            world = await World(client, settings).build()
            yield Running(client, settings, world, app.openapi(), lines)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
