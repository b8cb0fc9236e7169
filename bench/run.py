"""`make bench`: start an isolated stack, run every bench/*_bench.py, print ratios.

Each module exposes `async def run(mongo_url, nats_url) -> list[dict]` with rows
{metric, value, unit, baseline, baseline_value}; the baseline is measured in the same
run, on the same servers, so the ratio means something on a busy machine.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import shutil
import sys
from pathlib import Path

from crm_shared.stack import Stack, free_port

ROOT = Path(__file__).resolve().parent.parent


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
    try:
        print(f"{'benchmark':<58} {'value':>12} {'baseline':>12}  ratio")
        for name in modules(selected):
            try:
                rows = await importlib.import_module(f"bench.{name}").run(mongo_url, nats_url)
            except Exception as exc:  # one broken bench must not hide the others
                failed += 1
                print(f"{name}: FAILED {type(exc).__name__}: {exc}")
                continue
            for row in rows:
                ratio = row["value"] / row["baseline_value"] if row["baseline_value"] else float("nan")
                print(f"{name.removesuffix('_bench')}: {row['metric']:<50.50} {row['value']:>9.1f} {row['unit']:<8.8}"
                      f" {row['baseline_value']:>9.1f}  {ratio:5.2f}x  (vs {row['baseline']})")
    finally:
        if stack:
            stack.stop()
            shutil.rmtree(data, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
