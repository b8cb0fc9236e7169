"""After the scenarios (this module runs last): no full customer phone number in any
event but those that must carry one, nor in any log line; every reveal is audited once."""

import json
import re

from tests.e2e.conftest import open_floor
from tests.support.runtime import stream_messages

MOBILE = re.compile(r"(?<![0-9A-Za-z.%\-])(?:(?:%2B|\+)?86)?1[3-9]\d{9}(?![0-9A-Za-z])")  # not inside an id, hex or a fraction
# staff events carry staff work phones; appointment events carry the customer's contact sealed (schema_version 2)
MAY_CARRY_PHONE = ("staff.",)


async def test_no_full_customer_phone_in_events(system):
    msgs = await stream_messages(system.settings)
    assert len(msgs) > 50, "the scenarios ran first and produced events"
    leaks = [(json.loads(m.data)["type"], MOBILE.findall(m.data.decode()))
             for m in msgs if not json.loads(m.data)["type"].startswith(MAY_CARRY_PHONE) and MOBILE.search(m.data.decode())]
    assert leaks == []


def _log_lines(system, captured_logs) -> list[str]:
    """In-process: the records the services logged. Per process: everything each process wrote to
    stdout and stderr (log lines, and anything printed past the logging set-up, e.g. tracebacks)."""
    if system.mode == "all-in-one":
        return captured_logs.lines
    assert system.log_files, "the per-process services' output was kept"
    lines = []
    for path in system.log_files:
        text = path.read_text(errors="replace").splitlines()
        assert any('"levelname": "INFO"' in line for line in text), f"{path.name} has no INFO log lines: {text[:3]}"
        lines += [f"{path.name}: {line}" for line in text]
    return lines


async def test_no_full_phone_in_logs(system, captured_logs):
    lines = _log_lines(system, captured_logs)
    assert len(lines) > 0
    leaks = []
    for line in lines:
        if m := MOBILE.search(line):
            leaks.append((m.group(), line[:160]))
    assert leaks == []


async def test_every_reveal_is_audited_exactly_once(system):
    floor = await open_floor(system.client, system.settings)
    owner = floor.staff["consultant1"]
    lead = await floor.call("POST", "/v1/leads", "consultant", owner, json={
        "branch_id": floor.branch, "customer": {"name": "保密客户", "phone": "13912340000"}, "source": {"channel": "phone"}})
    reveals = [("consultant", owner), ("manager", floor.staff["manager"]), ("reception", floor.staff["reception"])]
    for role, sub in reveals:
        body = await floor.call("GET", f"/v1/leads/{lead['id']}/phone", role, sub)
        assert body["phone"] == "+8613912340000"
    await floor.call("GET", f"/v1/leads/{lead['id']}/phone", "consultant", floor.staff["consultant2"], expect=(403, 404))
    await floor.call("GET", f"/v1/leads/{lead['id']}/phone", "partner", "agency-1", expect=(403, 404))
    audit = await floor.call("GET", "/v1/audit", "manager", params={"branch_id": floor.branch})
    records = [a for a in audit["items"] if a.get("lead_id") == lead["id"]]
    assert sorted(a["actor_id"] for a in records) == sorted(sub for _, sub in reveals), records
