"""`crm serve --workers N`: N processes share the port, each a full replica of the services."""

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import httpx

from crm_shared.http.auth import mint_token
from crm_shared.stack import free_port
from tests.support.processes import settings_env
from tests.support.runtime import isolated_settings


def _workers(pid: int) -> set[int]:
    """The worker processes uvicorn spawned (not multiprocessing's resource tracker)."""
    children = {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    return {c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()}


async def test_workers_share_the_port_and_keep_dedup_across_processes(urls, tmp_path):
    settings = isolated_settings(*urls)
    port = free_port()
    log = open(tmp_path / "serve.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "crm_shared", "serve", "--services", "leads", "--workers", "2",
                             "--port", str(port)], env=settings_env(settings), stdout=log, stderr=subprocess.STDOUT)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            deadline = time.monotonic() + 90
            while True:
                assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
                assert time.monotonic() < deadline, "workers did not become ready"
                try:
                    if (await client.get("/readyz")).status_code == 200 and len(_workers(proc.pid)) >= 2:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.3)
            assert len(_workers(proc.pid)) == 2, "two worker processes"

            client.headers["Authorization"] = f"Bearer {mint_token(settings, 'admin-1', 'admin', ['*'])}"
            assert (await client.post("/v1/branches", json={"id": "w1", "name": "W"})).status_code == 201
            staff = await client.post("/v1/staff", json={"branch_id": "w1", "name": "c", "role": "consultant"})
            consultant = mint_token(settings, staff.json()["id"], "consultant", ["w1"])

            async def register(phone: str) -> int:  # a new connection each: the kernel spreads them over the workers
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30,
                                             headers={"Authorization": f"Bearer {consultant}"}) as one:
                    body = {"branch_id": "w1", "customer": {"name": "王先生", "phone": phone}, "source": {"channel": "walk_in"}}
                    return (await one.post("/v1/leads", json=body)).status_code

            fresh = await asyncio.gather(*(register(f"1390000{i:04d}") for i in range(30)))
            same = await asyncio.gather(*(register("13911112222") for _ in range(16)))
            assert fresh == [201] * 30
            assert sorted(same) == [201] + [409] * 15, "one open lead per phone, whichever worker answers"
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
