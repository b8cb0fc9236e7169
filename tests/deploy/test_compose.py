"""deploy/compose.yaml is a deployment an ops team can run, checked without a Docker engine.

The file follows the Compose Specification (its JSON schema, vendored in compose_schema/); every
container is pinned, health-checked, restarted and stopped gracefully; the environment each CRM
container gets is one production accepts -- found by running the settings validation itself, not
from a list kept by hand -- and missing any variable production needs stops the start naming it;
only the gateway is published, and its public listener hides the ops documents and figures;
MongoDB is an authenticated replica set, NATS has JetStream on disk and the auth callout beside it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from unittest import mock

import jsonschema
import pytest
from pydantic import ValidationError

from crm_shared.config import Settings, service_settings
from crm_shared.nats_auth.callout import AuthCallout
from crm_shared.plugins import discover
from crm_shared.stack import nats_server_binary
from tests.deploy.compose import (MONGO_INIT, NATS_CONF, NGINX, Unset, crm_services, env_example, environment,
                                  filled_env, interpolate, load, raw, variables)

SCHEMA = Path(__file__).parent / "compose_schema" / "compose-spec.json"
VARIABLE = re.compile(r"CRM_[A-Z0-9_]+")
INTERNAL = ("/metrics", "/docs", "/docs/oauth2-redirect", "/redoc", "/asyncapi", "/openapi.json", "/asyncapi.json")
PUBLIC = ("/v1/leads", "/console/", "/healthz", "/readyz", "/v1/reports/daily")


@pytest.fixture(scope="module")
def doc() -> dict:
    return load()


def test_the_file_follows_the_compose_specification(doc):
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    for name, version in (("as written", raw()), ("interpolated", doc)):
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(version)]
        assert not errors, f"compose.yaml ({name}) breaks the Compose Specification:\n" + "\n".join(errors)


def test_every_variable_is_in_the_env_example_and_a_missing_one_stops_compose():
    example = env_example()
    assert variables() <= set(example), f"deploy/.env.example lacks {sorted(variables() - set(example))}"
    secrets_left_empty = [k for k, v in example.items() if k.endswith(("PASSWORD", "SECRET", "KEY", "SEED")) and v]
    assert not secrets_left_empty, f"the example must not carry a usable secret: {secrets_left_empty}"
    with pytest.raises(Unset, match="CRM_JWT_SECRET"):
        load({k: v for k, v in filled_env().items() if k != "CRM_JWT_SECRET"})


def test_every_container_is_pinned_health_checked_restarted_and_stopped_gracefully(doc):
    crm = crm_services(doc)
    grace = Settings().shutdown_grace_seconds
    for name, service in doc["services"].items():
        image = service.get("image", "")
        assert image or service.get("build"), f"{name}: neither image nor build"
        tag = image.rpartition(":")[2] if ":" in image else ""
        assert tag and tag != "latest" and re.match(r"^\d+(\.\d+)+", tag), f"{name}: image {image!r} is not pinned"
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name}: no healthcheck"
        assert service.get("restart") in ("always", "unless-stopped"), f"{name}: restart policy"
        assert re.fullmatch(r"\d+s", service.get("stop_grace_period", "")), f"{name}: stop_grace_period"
        test = " ".join(check["test"])
        if name in crm and crm[name]:
            assert "/readyz" in test or "/healthz" in test, f"{name}: a CRM container is healthy when /readyz says so"
            assert int(service["stop_grace_period"][:-1]) > 2 * grace, f"{name}: grace period under 2 x CRM_SHUTDOWN_GRACE_SECONDS"
    services = doc["services"]
    assert "isWritablePrimary" in " ".join(services["mongo"]["healthcheck"]["test"])
    assert "js-enabled-only=true" in " ".join(services["nats"]["healthcheck"]["test"])
    assert "$SYS.REQ.USER.AUTH" in " ".join(services["nats-auth"]["healthcheck"]["test"]), \
        "the callout is healthy while it holds the server's authorization subscription"


def test_containers_wait_for_the_servers_they_need(doc):
    for name, plugins in crm_services(doc).items():
        needs = doc["services"][name].get("depends_on") or {}
        wanted = ("nats",) if not plugins else ("mongo", "nats")
        for server in wanted:
            assert (needs.get(server) or {}).get("condition") == "service_healthy", f"{name} must wait for {server} to be healthy"


def _refusal(env: dict[str, str], plugins: list[str]) -> str | None:
    """What `crm serve` (or `crm nats-auth`) says when it refuses this environment at start, None when it starts:
    the root settings, every chosen service's settings with production's refusals, notify's provider settings."""
    from crm_notify.providers.registry import ProviderConfigError, check_configured

    with mock.patch.dict(os.environ, env, clear=True):
        try:
            root = Settings()
        except ValidationError as exc:
            return "; ".join(str(e["msg"]) for e in exc.errors())
        try:
            if not plugins:
                AuthCallout(root)
            for plugin in discover(plugins) if plugins else []:
                config = service_settings(plugin.settings_model, plugin.name, root)
                if plugin.name == "notify":
                    check_configured(config)
        except (ValueError, ProviderConfigError) as exc:
            return str(exc)
    return None


def test_each_container_has_every_setting_production_requires(doc):
    """Derived by running the validation: start from nothing but CRM_ENVIRONMENT=production and add, one refusal
    at a time, the variables the refusal names -- each must be one the container sets. Then the whole environment
    starts, and leaving out any of those variables is refused with a message naming it."""
    for name, plugins in crm_services(doc).items():
        env = environment(doc["services"][name])
        assert env.get("CRM_ENVIRONMENT") == "production", name
        given, required = {"CRM_ENVIRONMENT": "production"}, []
        while (refusal := _refusal(given, plugins)) is not None:
            named = [v for v in dict.fromkeys(VARIABLE.findall(refusal)) if v in env and v not in given]
            assert named, f"{name}: production refuses {refusal!r} and compose.yaml sets nothing it names"
            given |= {v: env[v] for v in named}
            required += named
        assert _refusal(env, plugins) is None, f"{name}: production refuses the compose environment"
        for variable in required:
            refusal = _refusal({k: v for k, v in env.items() if k != variable}, plugins)
            assert refusal and variable in refusal, f"{name}: without {variable} the start must be refused naming it"
        for plugin in discover(plugins) if plugins else []:  # the services' secret(...) fields, read from the model
            for field, info in plugin.settings_model.model_fields.items():
                if (info.json_schema_extra or {}).get("secret"):
                    assert f"CRM_{plugin.name.upper()}__{field.upper()}" in required, f"{name}: {plugin.name}.{field}"
        if "notify" in plugins:
            assert {"CRM_NOTIFY__SMS_PROVIDER", "CRM_NOTIFY__EMAIL_PROVIDER", "CRM_NOTIFY__PUBLIC_BASE_URL"} <= set(required)
        if plugins:
            assert {"CRM_JWT_SECRET", "CRM_PHONE_HASH_KEY", "CRM_PHONE_SEAL_KEY"} <= set(required), name


def test_the_services_nats_credentials_and_the_callout_key_match_the_server(doc):
    from crm_shared.nats_auth.nkeys_jwt import public_key

    services = doc["services"]
    nats = environment(services["nats"])
    secret_fields = [f"CRM_{n.upper()}" for n, i in Settings.model_fields.items() if (i.json_schema_extra or {}).get("secret")]
    for name in crm_services(doc):
        env = environment(services[name])
        assert (env["CRM_NATS_USER"], env["CRM_NATS_PASSWORD"]) == (nats["CRM_NATS_USER"], nats["CRM_NATS_PASSWORD"]), name
        assert "CRM_NATS_PASSWORD" in secret_fields and len(env["CRM_NATS_PASSWORD"].encode()) >= 32
    callout = environment(services["nats-auth"])
    assert "CRM_NATS_AUTH_ISSUER_SEED" in secret_fields
    assert public_key(callout["CRM_NATS_AUTH_ISSUER_SEED"]) == nats["CRM_NATS_AUTH_ISSUER"]
    assert services["nats-auth"]["command"] == ["nats-auth"]


def test_only_the_gateway_is_published(doc):
    published = {name: s["ports"] for name, s in doc["services"].items() if s.get("ports")}
    assert set(published) == {"gateway"}, f"only the gateway may publish ports: {sorted(published)}"
    targets = {str(p).rsplit(":", 1)[-1] if isinstance(p, str) else str(p["target"]) for p in published["gateway"]}
    assert targets == {"80", "443", "4222"}, targets


def _servers(conf: str) -> list[str]:
    """The bodies of nginx's `server { ... }` blocks (braces matched)."""
    bodies, start = [], 0
    while (at := conf.find("server {", start)) >= 0:
        depth, i = 0, at + len("server ")
        while True:
            depth += {"{": 1, "}": -1}.get(conf[i], 0)
            i += 1
            if depth == 0:
                break
        bodies.append(conf[at:i])
        start = i
    return bodies


def _hidden(server: str, path: str) -> bool:
    """Whether a regex location of this server answers `path` with a 404 or a deny."""
    for pattern, body in re.findall(r"location ~\*? (\S+) \{([^}]*)\}", server):
        if re.search(pattern, path) and re.search(r"return 40[34]|deny all", body):
            return True
    return False


def test_the_public_listener_hides_the_ops_documents_and_metrics(doc):
    conf = re.sub(r"#[^\n]*", "", NGINX.read_text(encoding="utf-8"))
    servers = _servers(conf)
    public = [s for s in servers if re.search(r"listen 443 ssl;", s)]
    assert len(public) == 1, "one TLS server on 443"
    assert not [p for p in INTERNAL if not _hidden(public[0], p)], "reachable through the public listener"
    assert not [p for p in PUBLIC if _hidden(public[0], p)], "the API, the console and the health checks stay public"
    assert "ssl_certificate     /etc/nginx/tls/fullchain.pem" in public[0]
    mounts = [v.split(":")[1] for v in doc["services"]["gateway"]["volumes"]]
    assert "/etc/nginx/tls" in mounts, "the certificates come from a mounted directory"
    plain = [s for s in servers if re.search(r"listen 80;", s)]
    assert plain and "return 301 https://$host$request_uri" in plain[0], "80 redirects to https"
    internal = [s for s in servers if re.search(r"listen 8080;", s)]
    assert internal and not _hidden(internal[0], "/metrics"), "the internal listener serves the scraper and ops"
    assert environment(doc["services"]["console"])["CRM_CONSOLE__API_URL"] == "http://gateway:8080"


def test_mongo_is_an_authenticated_replica_set_with_a_database_per_service(doc):
    mongo = doc["services"]["mongo"]
    start = " ".join(mongo.get("entrypoint") or []) + " ".join(mongo.get("command") or [])
    assert "--replSet rs0" in start and "--keyFile" in start
    assert environment(mongo)["MONGO_INITDB_ROOT_PASSWORD"]
    for name in crm_services(doc):
        url = environment(doc["services"][name])["CRM_MONGO_URL"]
        assert re.match(r"mongodb://crm:[^@]+@mongo:27017/\?", url), url
        for option in ("replicaSet=rs0", "authSource=admin", "w=majority", "readPreference=primary"):
            assert option in url, f"{name}: {option}"
    init = MONGO_INIT.read_text(encoding="utf-8")
    missing = [p.name for p in discover("all") if f'"{p.name}"' not in init]
    assert not missing, f"mongo/init-crm-user.js gives the services' user no database for {missing}"


def test_nats_runs_jetstream_on_disk_with_the_auth_callout(doc, tmp_path):
    nats = doc["services"]["nats"]
    conf = NATS_CONF.read_text(encoding="utf-8")
    store = re.search(r"jetstream \{[^}]*store_dir: (\S+)[^}]*sync_interval: always", conf)
    assert store, "JetStream with a store directory, fsync on every write"
    assert any(v.endswith(":" + store[1]) and not v.startswith(".") for v in nats["volumes"]), "the store is a named volume"
    assert re.search(r"auth_callout \{[^}]*issuer: \$CRM_NATS_AUTH_ISSUER", conf)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")} | environment(nats)
    checked = subprocess.run([nats_server_binary(), "-c", str(NATS_CONF), "-t"], env=env, capture_output=True, text=True,
                             timeout=30)
    assert checked.returncode == 0 and "is valid" in checked.stdout + checked.stderr, checked.stderr


def test_the_stream_replicas_reach_every_container(doc):
    for name in crm_services(doc):
        assert environment(doc["services"][name])["CRM_STREAM_REPLICAS"] == "1"
    three = interpolate(raw(), filled_env() | {"CRM_STREAM_REPLICAS": "3"})
    assert {environment(s).get("CRM_STREAM_REPLICAS") for n, s in three["services"].items() if n in crm_services(doc)} == {"3"}


def test_the_image_is_pinned_runs_unprivileged_and_reports_readiness():
    dockerfile = (NGINX.parents[1] / "Dockerfile").read_text(encoding="utf-8")
    bases = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert bases and all(re.search(r":\d+\.\d+\.\d+", b) for b in bases), f"base images must be pinned: {bases}"
    assert re.search(r"^USER (?!root)\S+", dockerfile, re.MULTILINE), "the services never run as root"
    assert re.search(r"^HEALTHCHECK .*\n?.*/readyz", dockerfile, re.MULTILINE)
    assert 'ENTRYPOINT ["crm"]' in dockerfile and "uv sync --frozen" in dockerfile, "built from uv.lock, run as `crm`"
