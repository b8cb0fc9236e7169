"""D6: periods no calendar has (year 0) or outside the supported years are 422, never 500."""

import pytest

from tests.support.runtime import bearer


@pytest.mark.parametrize("path", [
    "/v1/reports/boards/monthly?branch_id=0&month=0000-01",
    "/v1/reports/boards/monthly?branch_id=sz-bay&month=0001-01",
    "/v1/reports/boards/monthly?branch_id=sz-bay&month=9999-12",
    "/v1/reports/boards/weekly?branch_id=sz-bay&date=0001-01-01",
    "/v1/reports/boards/weekly?branch_id=sz-bay&date=9999-12-31",
    "/v1/reports/daily-traffic?branch_id=sz-bay&from=0001-01-01&to=0001-01-02",
    "/v1/reports/daily-traffic?branch_id=sz-bay&from=9999-12-30&to=9999-12-31",
])
async def test_odd_periods_are_422(reports, path):
    settings, _, client = reports
    r = await client.get(path, headers=bearer(settings, "manager", ["*"]))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
