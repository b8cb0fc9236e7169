"""The production gateway (deploy/gateway/nginx.conf) sends every public path to the service that serves it.

Each service's OpenAPI document is the truth; the nginx `map` routes by the first segment after `/v1/`.
A service that adds a path segment without a line in the map would answer 404 behind the gateway.
"""

from __future__ import annotations

import re
from pathlib import Path

from crm_shared.app import create_app
from crm_shared.config import Settings
from crm_shared.plugins import discover

NGINX = Path(__file__).resolve().parents[2] / "deploy" / "gateway" / "nginx.conf"
COMPOSE = NGINX.parents[1] / "compose.yaml"


def _map() -> list[tuple[re.Pattern, str]]:
    text = NGINX.read_text(encoding="utf-8")
    body = text[text.index("map $uri $crm_upstream {"):].split("}", 1)[0]
    rules = []
    for line in body.splitlines()[1:]:
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith("~"):
            rules.append((re.compile(parts[0][1:]), parts[1].rstrip(";")))
    return rules


def test_every_service_path_goes_to_its_service():
    rules = _map()
    wrong = []
    for plugin in discover("all"):
        if plugin.name == "console":
            continue
        paths = create_app([plugin], Settings(environment="test")).openapi()["paths"]
        for path in paths:
            if not path.startswith("/v1/"):
                continue
            upstream = next((target for pattern, target in rules if pattern.search(path)), None)
            if upstream != f"http://{plugin.name}:8000":
                wrong.append(f"{path} ({plugin.name}) -> {upstream}")
    assert not wrong, "deploy/gateway/nginx.conf routes these paths elsewhere:\n" + "\n".join(wrong)


def test_every_service_has_its_container():
    compose = COMPOSE.read_text(encoding="utf-8")
    missing = [p.name for p in discover("all") if f'command: ["serve", "--services", "{p.name}"]' not in compose]
    assert not missing, f"deploy/compose.yaml runs no container for: {', '.join(missing)}"
