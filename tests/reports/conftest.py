"""A running reports service on the real stack, and a way to wait until events are projected."""

from __future__ import annotations

import pytest

from crm_reports.plugin import ReportsService
from crm_reports.settings import ReportsSettings
from tests.support.runtime import eventually, isolated_settings, publish_event, running


@pytest.fixture
async def reports(urls):
    settings = isolated_settings(*urls)
    async with running([ReportsService(ReportsSettings(digest=False))], settings) as (app, client):
        yield settings, app.state.contexts["reports"], client


async def publish_all(settings, ctx, envelopes, redeliver: tuple[int, ...] = ()) -> None:
    """Publish in order (some twice, past the dedup window) and wait until all are projected."""
    for i, env in enumerate(envelopes):
        await publish_event(settings, env)
        if i in redeliver:
            await publish_event(settings, env, msg_id=f"{env.id}-again")
    ids = {f"reports-main:{e.id}" for e in envelopes}

    async def done():
        return await ctx.db.inbox.count_documents({"_id": {"$in": sorted(ids)}}) == len(ids)

    assert await eventually(done, timeout=30), "events not projected in time"


async def rebuilt(client, admin: dict[str, str]) -> str:
    """Rebuild the read models by replaying the stream (`POST /v1/reports/rebuild`); returns once switched."""
    r = await client.post("/v1/reports/rebuild", headers=admin)
    assert r.status_code == 202, r.text
    generation = r.json()["generation"]

    async def switched():
        s = (await client.get("/v1/reports/rebuild", headers=admin)).json()
        return s if s["current"] == generation and s["last"]["state"] == "done" else None

    assert await eventually(switched, timeout=30), "rebuild did not finish"
    return generation
