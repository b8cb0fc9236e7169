"""One running system (every service in one process) and one two-branch world for the package."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from crm_shared.plugins import discover
from tests.security.world import World
from tests.support.runtime import isolated_settings, running


@dataclass
class Running:
    client: httpx.AsyncClient
    settings: object
    world: World
    spec: dict


@pytest.fixture(scope="package")
async def system(urls):
    settings = isolated_settings(*urls)
    async with running(discover("all"), settings) as (app, client):
        world = await World(client, settings).build()
        yield Running(client, settings, world, app.openapi())
