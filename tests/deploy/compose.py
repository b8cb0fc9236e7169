"""deploy/compose.yaml as `docker compose` reads it, without a Docker engine: parsed, interpolated
with a filled-in `.env`, and each container's environment and command at hand."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any

import yaml

from crm_shared.nats_auth.nkeys_jwt import new_seed, public_key

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"
NGINX = DEPLOY / "gateway" / "nginx.conf"
NATS_CONF = DEPLOY / "nats" / "nats.conf"
MONGO_INIT = DEPLOY / "mongo" / "init-crm-user.js"

_VARIABLE = re.compile(r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[?\-])(?P<arg>[^}]*))?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


class Unset(ValueError):
    """A `${VAR:?message}` whose variable is unset or empty: compose stops with the message."""


def variables() -> set[str]:
    """Every variable compose.yaml interpolates (in its values; comments say nothing)."""
    return _names(raw())


def _names(value: Any) -> set[str]:
    if isinstance(value, dict):
        return {name for v in value.values() for name in _names(v)}
    if isinstance(value, list):
        return {name for v in value for name in _names(v)}
    if not isinstance(value, str):
        return set()
    return {m["name"] or m["bare"] for m in _VARIABLE.finditer(value) if m["name"] or m["bare"]}


def env_example() -> dict[str, str]:
    """deploy/.env.example as compose reads a .env file (KEY=value, '#' comments, quotes stripped)."""
    out = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip().strip("'\"")
    return out


def filled_env() -> dict[str, str]:
    """A .env as an operator fills it in: .env.example's values, empty ones given a value of their kind."""
    example, seed = env_example(), new_seed()
    kinds = {
        "CRM_NATS_AUTH_ISSUER_SEED": seed,
        "CRM_NATS_AUTH_ISSUER": public_key(seed),
        "CRM_NOTIFY__PROVIDERS": json.dumps({name: _required_settings(name) for name in (
            example["CRM_NOTIFY__SMS_PROVIDER"], example["CRM_NOTIFY__EMAIL_PROVIDER"])}),
    }
    return {name: value or kinds.get(name) or secrets.token_hex(32) for name, value in example.items()}


def _required_settings(provider: str) -> dict[str, str]:
    """The provider's required settings (its credentials, sign name ...), each given a made-up string."""
    from crm_notify.providers.registry import load_class

    fields = load_class(provider).Settings.model_fields
    return {name: f"{name}-{secrets.token_hex(4)}" for name, info in fields.items() if info.is_required()}


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation of every string in the parsed file (`$$` is a literal `$`)."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(m: re.Match) -> str:
        name = m["name"] or m["bare"]
        if name is None:
            return "$"
        given, op = env.get(name), m["op"] or ""
        if op.endswith("?") and (given is None or (op == ":?" and given == "")):
            raise Unset(f"{name}: {m['arg']}")
        if op.endswith("-") and (given is None or (op == ":-" and given == "")):
            return m["arg"]
        return given or ""

    return _VARIABLE.sub(one, value)


def raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def load(env: dict[str, str] | None = None) -> dict[str, Any]:
    """The file as compose runs it with `env` as its .env (YAML anchors and merge keys applied)."""
    return interpolate(raw(), filled_env() if env is None else env)


def environment(service: dict[str, Any]) -> dict[str, str]:
    given = service.get("environment") or {}
    if isinstance(given, list):
        given = dict(item.partition("=")[::2] for item in given)
    return {k: "" if v is None else str(v) for k, v in given.items()}


def crm_services(doc: dict[str, Any]) -> dict[str, list[str]]:
    """Containers of the CRM image -> the service plugins each runs (`serve --services a,b`; [] for nats-auth)."""
    out = {}
    for name, service in doc["services"].items():
        command = service.get("command") or []
        if command[:1] == ["serve"]:
            out[name] = command[command.index("--services") + 1].split(",")
        elif command[:1] == ["nats-auth"]:
            out[name] = []
    return out
