"""Group commit (crm_shared.batching.Coalescer), with a fake store call: no I/O."""

import asyncio

import pytest

from crm_shared.batching import Coalescer


async def test_calls_queued_during_a_batch_go_out_together_each_with_its_own_outcome():
    seen: list[list[int]] = []
    release = asyncio.Event()

    async def run(batch: list[int]):
        seen.append(batch)
        if len(seen) == 1:
            await release.wait()  # the first batch is "in flight" while the others queue
        return [ValueError(f"bad {i}") if i % 5 == 0 else i * 10 for i in batch]

    c = Coalescer(run, "test", max_batch=4)
    calls = [asyncio.ensure_future(c.submit(1))]
    while not seen:  # an idle coalescer sends the first call alone, at once
        await asyncio.sleep(0)
    calls += [asyncio.ensure_future(c.submit(i)) for i in range(2, 11)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert seen == [[1], [2, 3, 4, 5], [6, 7, 8, 9], [10]]
    assert [str(r) if isinstance(r, Exception) else r for r in results] == \
        [10, 20, 30, 40, "bad 5", 60, 70, 80, 90, "bad 10"]


async def test_a_failed_command_fails_every_caller_in_it_and_the_next_batch_still_runs():
    async def run(batch):
        if 0 in batch:
            raise ConnectionError("store gone")
        return batch

    c = Coalescer(run, "test")
    first = asyncio.ensure_future(c.submit(0))
    second = asyncio.ensure_future(c.submit(7))
    with pytest.raises(ConnectionError):
        await first
    with pytest.raises(ConnectionError):  # it rode in the same batch
        await second
    assert await c.submit(8) == 8


async def test_cancelling_the_worker_leaves_nobody_waiting_forever():
    started = asyncio.Event()

    async def run(batch):
        started.set()
        await asyncio.sleep(3600)

    c = Coalescer(run, "test")
    call = asyncio.ensure_future(c.submit(1))
    await started.wait()
    c.worker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(call, 5)
