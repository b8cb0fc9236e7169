"""`make dev` loads a demo office through the public API, once."""

import threading

import uvicorn

from crm_shared.app import create_app
from crm_shared.demo import BRANCH, DemoLoader, load_when_ready
from crm_shared.plugins import discover
from crm_shared.stack import free_port
from tests.support.runtime import isolated_settings


def test_demo_office_loads_once_through_the_api(urls):
    settings = isolated_settings(*urls)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(discover("all"), settings), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{port}"
        load_when_ready(base, settings)
        loader = DemoLoader(base, settings)
        assert not loader.needed()
        leads = loader.call("GET", f"/v1/leads?branch_id={BRANCH}&limit=500", "manager", "m")["items"]
        assert len(leads) == 6
        assert all("phone" not in lead["customer"] for lead in leads)
        rotation = loader.call("GET", f"/v1/rotation/{BRANCH}", "reception", "r")
        assert len(rotation["queue"]) == 4
        receptions = loader.call("GET", f"/v1/receptions?branch_id={BRANCH}", "manager", "m")["items"]
        assert len(receptions) == 1
        load_when_ready(base, settings)  # a second start adds nothing
        assert len(loader.call("GET", f"/v1/leads?branch_id={BRANCH}&limit=500", "manager", "m")["items"]) == 6
    finally:
        server.should_exit = True
        thread.join(timeout=20)
