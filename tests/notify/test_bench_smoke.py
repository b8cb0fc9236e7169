"""bench/notify_bench.py at a small size, so `make bench` never finds it broken: no duplicate, nothing unsent."""

from bench import notify_bench


async def test_the_notify_bench_runs_and_sends_each_reminder_once(urls, monkeypatch):
    monkeypatch.setenv("CRM_BENCH_REMINDERS", "120")
    rows = {row["metric"].split(" (")[0]: row for row in await notify_bench.run(*urls)}
    duplicates = rows["notify: duplicate sends"]
    assert duplicates["value"] == 0 and duplicates["baseline_value"] == 0, "no duplicate send, no job left unsent"
    assert rows["notify: 120 reminders due in one minute, 2 dispatchers, sends/s"]["value"] > 0
    assert rows["notify: time to dispatch 120 reminders"]["value"] > 0
    assert "notify: 120 notification.sent published" in rows, list(rows)
