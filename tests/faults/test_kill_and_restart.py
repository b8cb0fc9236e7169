"""Fault injection on loopback: kill -9 nats-server, a service process, or the store in
the middle of a stream of registrations, restart it, and check that every acknowledged
(2xx) write is stored, every stored lead has exactly one `lead.registered` in the stream,
and the reports service counted each exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from crm_shared.stack import Stack, free_port
from tests.support.processes import Gateway, routes, service_processes
from tests.support.runtime import bearer, eventually, isolated_settings, stream_messages

ROOT = Path(__file__).resolve().parents[2]
TOTAL = int(os.environ.get("CRM_FAULT_REGISTRATIONS", "1000"))
CLIENTS = 8


@pytest.fixture
def own_stack(tmp_path):
    """A stack of this test's own: it gets killed, so it must not be the session's."""
    if os.environ.get("CRM_MONGO_URL") and os.environ.get("CRM_NATS_URL"):
        pytest.fail("fault injection needs servers it may kill; unset CRM_MONGO_URL/CRM_NATS_URL")
    st = Stack(tmp_path / "stack", free_port(), free_port(), devstore=ROOT / ".tools" / "devstore").start()
    yield st
    st.stop()
    shutil.rmtree(tmp_path / "stack", ignore_errors=True)


async def _register_many(client, settings, branch: str, fault, at: int) -> tuple[list[str], Counter]:
    """TOTAL registrations from CLIENTS concurrent clerks; `fault()` runs once, after `at` of them."""
    token = bearer(settings, "consultant", [branch], "c-fault")
    acked: list[str] = []
    statuses: Counter = Counter()
    sent = 0
    fired = asyncio.Event()

    async def clerk(offset: int):
        nonlocal sent
        for n in range(offset, TOTAL, CLIENTS):
            sent += 1
            if sent >= at and not fired.is_set():
                fired.set()
                await fault()
            phone = f"1391{n:07d}"
            body = {"branch_id": branch, "customer": {"name": f"客户{n}", "phone": phone}, "source": {"channel": "phone"}}
            for _attempt in range(80):  # a clerk retries what was not acknowledged, with the same key
                try:
                    r = await client.post("/v1/leads", json=body, headers=token | {"Idempotency-Key": f"reg-{n}"}, timeout=15)
                except httpx.HTTPError:
                    statuses["transport-error"] += 1
                    await asyncio.sleep(0.5)
                    continue
                statuses[r.status_code] += 1
                if r.status_code == 201:
                    acked.append(r.json()["id"])
                    break
                if r.status_code == 409 and r.json()["type"].endswith("/duplicate-lead"):
                    acked.append(r.json()["existing_lead_id"])  # the first attempt stored it; its reply was lost
                    break
                assert r.status_code in (409, 503), r.text  # 409: the first attempt is still in progress
                await asyncio.sleep(0.5)

    await asyncio.gather(*(clerk(i) for i in range(CLIENTS)))
    return acked, statuses


async def _check_exactly_once(client, settings, branch: str, acked: list[str]) -> None:
    manager = bearer(settings, "manager", [branch], "m-fault")
    stored, cursor = [], None
    while True:
        page = (await client.get("/v1/leads", params={"branch_id": branch, "limit": 500} | ({"cursor": cursor} if cursor else {}),
                                 headers=manager, timeout=30)).json()
        stored += [lead["id"] for lead in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert set(acked) <= set(stored), f"{len(set(acked) - set(stored))} acknowledged registrations were lost"
    assert len(stored) == len(set(stored)) == TOTAL and len(set(acked)) == TOTAL

    async def published():
        msgs = await stream_messages(settings, subject=f"{settings.subject_prefix}.{branch}.lead.registered")
        return msgs if len(msgs) >= len(stored) else None
    msgs = await eventually(published, 120)
    assert msgs, "the outbox did not publish every stored change"
    per_lead = Counter(json.loads(m.data)["data"]["lead_id"] for m in msgs)
    assert set(per_lead) == set(stored) and set(per_lead.values()) == {1}, "each stored lead has exactly one event"

    window = {"branch_id": branch, "from": (date.today() - timedelta(days=1)).isoformat(),
              "to": (date.today() + timedelta(days=1)).isoformat()}

    async def counted():
        items = (await client.get("/v1/reports/daily-traffic", params=window, headers=manager, timeout=30)).json()["items"]
        total = sum(i["new_leads"] for i in items)
        return total if total >= TOTAL else None
    assert await eventually(counted, 180) == TOTAL, "reports counted each registration exactly once"


async def _run(own_stack, fault_factory):
    settings = isolated_settings(own_stack.mongo_url, own_stack.nats_url)
    branch = f"flt-{uuid.uuid4().hex[:6]}"
    with service_processes(settings, ("leads", "reports")) as bases:
        async with httpx.AsyncClient(transport=Gateway(routes(bases)), base_url="http://gw") as client:
            admin = bearer(settings, "admin", ["*"], "admin")
            assert (await client.post("/v1/branches", json={"id": branch, "name": "fault"}, headers=admin)).status_code in (200, 201)
            acked, statuses = await _register_many(client, settings, branch, fault_factory(bases), TOTAL // 3)
            await _check_exactly_once(client, settings, branch, acked)
            return statuses


async def test_nats_killed_mid_stream(own_stack):
    def fault(_bases):
        async def kill_nats():
            own_stack.kill("nats")
            await asyncio.sleep(2)
            own_stack.restart("nats")
        return kill_nats
    statuses = await _run(own_stack, fault)
    assert statuses[201] == TOTAL


async def test_store_restarted_mid_stream(own_stack):
    def fault(_bases):
        async def restart_store():
            own_stack.kill("store")
            await asyncio.sleep(2)
            own_stack.restart("store")
        return restart_store
    statuses = await _run(own_stack, fault)
    assert statuses[500] == 0, statuses


async def test_service_process_killed_mid_stream(own_stack, monkeypatch):
    import tests.support.processes as processes

    started: dict[str, object] = {}
    real_popen = processes.subprocess.Popen

    def tracking_popen(argv, **kw):  # remember each service's process and command to kill and restart it
        proc = real_popen(argv, **kw)
        started[argv[argv.index("--services") + 1]] = (proc, argv, kw)
        return proc
    monkeypatch.setattr(processes.subprocess, "Popen", tracking_popen)

    def fault(bases):
        async def kill_leads():
            proc, argv, kw = started["leads"]
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            started["leads"] = (real_popen(argv, **kw), argv, kw)  # same port, same database: a restart
            deadline = time.monotonic() + 60
            async with httpx.AsyncClient() as probe:
                while time.monotonic() < deadline:
                    try:
                        if (await probe.get(f"{bases['leads']}/readyz")).status_code == 200:
                            return
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.3)
        return kill_leads
    try:
        await _run(own_stack, fault)
    finally:
        proc = started.get("leads", (None,))[0]
        if proc is not None and proc.poll() is None:
            proc.kill()
