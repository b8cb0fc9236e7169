"""The AsyncAPI 3.0.0 document of the CRM's events, generated from the event registry (one source of truth).

What integrators build from: one channel per public event type (`<prefix>.{branch_id}.<type>`, the branch a
parameter), one `send` operation each (the CRM sends, integrators receive), the message's payload the envelope
with `data` typed by the payload class's JSON schema, a full example envelope made from the schema (the fields'
`examples`, else realistic values) and checked against the payload class, the servers and how to connect.

- `document(settings)`: every public type (`crm asyncapi`, committed as docs/asyncapi.json);
- `service_document(settings, plugins)`: what the given services produce (their `/asyncapi.json`).

Public: every registered type but those registered with `@event(..., public=False)` (internal plumbing between
the services: a work order for one service, a service's answer to another). Those travel on the same subjects
but are not in the document: integrators ignore any type the document does not list.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlsplit

from pydantic.json_schema import models_json_schema

from crm_shared.bus.connection import split_url
from crm_shared.config import Settings
from crm_shared.events import BRANCH_ID_PATTERN, Envelope, EventData, registry

SCHEMAS = "#/components/schemas/"
INTEGRATOR_SCHEME = "crm-integrator-token"
SERVICES_SCHEME = "crm-services"
EXAMPLE_BRANCH = "sz-bay"
EXAMPLE_TIME = datetime(2026, 11, 30, 2, 30, tzinfo=UTC)
_LATER = "2026-12-03T10:00:00Z"  # deadlines, protection ends
_EARLIER = "2026-11-29T06:00:00Z"  # what came before the event
_HOUR_ON = "2026-11-30T03:30:00Z"  # the end of a span that starts at EXAMPLE_TIME
_SAMPLE_STRINGS = {  # realistic values by field name, where the field gives no `examples` (nor a default)
    "branch_id": EXAMPLE_BRANCH, "name": "王小明", "phone_masked": "139****5678", "email": "zhang.wei@example.com",
    "phone": "+8675586668888", "timezone": "Asia/Shanghai", "reason": "客户要求", "note": "客户要求换顾问",
    "route": "售楼处 → 3栋样板间", "error": "provider timeout", "action": "上门维修", "resolution": "已维修并回访确认",
}
_SAMPLE_IDS = {"winner": "partner_id", "waiting_for": "consultant_id"}  # fields that hold another field's id


def public_types(classes: Iterable[type[EventData]] | None = None) -> list[type[EventData]]:
    """The public event classes among `classes` (default: the whole registry), by event type."""
    chosen = registry().values() if classes is None else classes
    return sorted((cls for cls in chosen if cls.event_public), key=lambda cls: cls.event_type)


def document(settings: Settings, classes: Iterable[type[EventData]] | None = None, *,
             title: str = "CRM events") -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document of the public types among `classes` (default: every registered type)."""
    types = public_types(classes)
    schemas, refs = _payload_schemas(types)
    schemas["NatsHeaders"] = {
        "type": "object", "required": ["Nats-Msg-Id"],
        "properties": {"Nats-Msg-Id": {"type": "string", "description": (
            "The envelope's `id`: JetStream drops a second publication of the same event within the stream's "
            "duplicate window. Deduplicate on `id` as well (a replay delivers an event again).")}},
    }
    envelope = _clean(Envelope.model_json_schema(mode="validation"))
    channels, operations, messages = {}, {}, {}
    for cls in types:
        key, name = cls.event_type, cls.__name__
        summary, description = _doc(cls)
        messages[name] = _message(cls, envelope, refs[cls], schemas, summary, description)
        channels[key] = {
            "address": f"{settings.subject_prefix}.{{branch_id}}.{key}", "title": key,
            "description": f"`{key}` events of one branch. {summary}",
            "parameters": {"branch_id": {"$ref": "#/components/parameters/branch_id"}},
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        operations[key] = {
            "action": "send", "title": key, "summary": f"The CRM publishes `{key}`: {summary}",
            "channel": {"$ref": f"#/channels/{key}"},
            "messages": [{"$ref": f"#/channels/{key}/messages/{name}"}],
            "tags": [{"name": cls.event_source}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": title, "version": _version(), "description": _info(settings),
                 "license": {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"}},
        "defaultContentType": "application/json",
        "servers": _servers(settings),
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "parameters": {"branch_id": {
                "description": "The branch's id, a slug matching `" + BRANCH_ID_PATTERN + "` (the envelope's "
                "`branch_id`). Subscribe to each of your token's branches (`" + settings.subject_prefix
                + ".<branch_id>.>`); NATS wildcards `*` and `>` match any branch or type.",
                "examples": [EXAMPLE_BRANCH], "location": "$message.payload#/branch_id"}},
            "securitySchemes": _security_schemes(settings),
        },
    }


def service_document(settings: Settings, plugins: Iterable[Any]) -> dict[str, Any]:
    """The document of what the given services produce (`plugin.produces`): their `/asyncapi.json`."""
    plugins = list(plugins)
    classes = {cls for plugin in plugins for cls in plugin.produces}
    return document(settings, classes, title=f"CRM events ({', '.join(p.name for p in plugins)})")


def _payload_schemas(types: list[type[EventData]]) -> tuple[dict[str, Any], dict[type[EventData], str]]:
    """The payload classes' JSON schemas and the ones they use, named for `components/schemas`."""
    if not types:
        return {}, {}
    found, top = models_json_schema([(cls, "validation") for cls in types], ref_template=SCHEMAS + "{model}")
    refs = {cls: found[(cls, "validation")]["$ref"] for cls in types}
    return {name: _clean(schema) for name, schema in sorted(top.get("$defs", {}).items())}, refs


def _clean(schema: Any) -> Any:
    """AsyncAPI 3.0's schema dialect is JSON Schema draft 07, where a `$ref`'s siblings are ignored: a described
    reference becomes `allOf: [$ref]` with the description beside it. Pydantic's generated property titles
    (`Lead Id`) go; models keep theirs."""
    if isinstance(schema, list):
        return [_clean(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _clean(value) for key, value in schema.items()}
    if "properties" in out:
        out["properties"] = {name: {k: v for k, v in prop.items() if k != "title"}
                             for name, prop in out["properties"].items()}
    if "$ref" in out and len(out) > 1:
        ref = out.pop("$ref")
        out = {"allOf": [{"$ref": ref}], **out}
    return out


def _doc(cls: type[EventData]) -> tuple[str, str]:
    """The class docstring's first paragraph (the summary) and the rest."""
    text = inspect.cleandoc(cls.__doc__ or "") if "__doc__" in cls.__dict__ else ""
    first, _, rest = text.partition("\n\n")
    return " ".join(first.split()) or f"A `{cls.event_type}` event.", rest.strip()


def _message(cls: type[EventData], envelope: dict, ref: str, schemas: dict[str, Any], summary: str,
             description: str) -> dict[str, Any]:
    payload = copy.deepcopy(envelope)
    payload["title"] = f"{cls.__name__} envelope"
    props = payload["properties"]
    props["type"] = {**props["type"], "const": cls.event_type, "examples": [cls.event_type]}
    props["source"] = {**props["source"], "examples": [cls.event_source]}
    props["schema_version"] = {**props["schema_version"], "examples": [cls.schema_version]}
    props["data"] = {"allOf": [{"$ref": ref}], "description": f"The `{cls.event_type}` payload."}
    version_note = (f"Schema version {cls.schema_version} (the envelope's `schema_version`); events of an older "
                    "version may still arrive from a replay.")
    sample = _example(cls, ref, schemas)
    return {
        "name": cls.__name__, "title": cls.event_type, "summary": summary,
        "description": "\n\n".join(part for part in (description, version_note) if part),
        "contentType": "application/json",
        "headers": {"$ref": SCHEMAS + "NatsHeaders"},
        "payload": payload,
        "tags": [{"name": cls.event_source}],
        "x-schema-version": cls.schema_version,
        "examples": [{"name": cls.__name__, "summary": f"A `{cls.event_type}` event of branch {EXAMPLE_BRANCH}.",
                      "headers": {"Nats-Msg-Id": sample["id"]}, "payload": sample}],
    }


def _example(cls: type[EventData], ref: str, schemas: dict[str, Any]) -> dict[str, Any]:
    """A full example envelope of `cls`, as the producer writes it (the payload class validates and dumps it)."""
    values = _sample("data", {"$ref": ref}, schemas)
    data = cls.model_validate(values).model_dump(mode="json")  # as `new_event` writes it
    subject = next((value for key, value in data.items() if key.endswith("_id") and isinstance(value, str)),
                   _uuid7("subject"))
    return Envelope(
        id=_uuid7(f"event:{cls.event_type}"), type=cls.event_type, source=cls.event_source,
        branch_id=EXAMPLE_BRANCH, time=EXAMPLE_TIME, subject=subject, schema_version=cls.schema_version,
        correlation_id=_uuid7("correlation"), data=data,
    ).model_dump(mode="json")


def _sample(name: str, schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    """A realistic value for the property `name` of `schema`: its `examples` first."""
    if "examples" in schema:
        return schema["examples"][0]
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "$ref" in schema:
        return _sample(name, schemas[schema["$ref"].removeprefix(SCHEMAS)], schemas)
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            branch = next(s for s in schema[key] if s.get("type") != "null")
            return _sample(name, {**branch, **{k: v for k, v in schema.items() if k not in (key, "default")}}, schemas)
    kind = schema.get("type")
    if kind == "object" and "properties" in schema:
        return {prop: _sample(prop, sub, schemas) for prop, sub in schema["properties"].items()
                if not sub.get("deprecated")}
    if kind == "object":
        return {}
    if kind == "array":
        return [_sample(name.removesuffix("s"), schema.get("items", {}), schemas)]
    if kind == "boolean":
        return schema.get("default") is not True
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
        high = schema.get("maximum", max(low, 1) * 10)
        return max(low, min(high, 2)) if kind == "integer" else float(max(low, min(high, 2)))
    if kind == "string":
        return _string(name, schema)
    raise ValueError(f"no example for {name!r}: {schema}")


def _string(name: str, schema: dict[str, Any]) -> str:
    fmt = schema.get("format")
    if fmt == "date":
        return EXAMPLE_TIME.date().isoformat()
    if fmt == "date-time":
        if any(word in name for word in ("due", "until", "expires", "reclaim", "deadline", "next_")):
            return _LATER
        if name in ("end", "leave_at", "finished_at"):
            return _HOUR_ON
        if name.startswith("previous") or name in ("registered_at", "started_at", "checked_in_at", "received_at"):
            return _EARLIER
        return EXAMPLE_TIME.isoformat().replace("+00:00", "Z")
    if schema.get("pattern") == r"^[0-9a-f]{64}$" or name.endswith("_hash"):
        return hashlib.sha256(b"+8613912345678").hexdigest()
    if name.endswith("_sealed"):
        return f"s2.{hashlib.sha256(b'+8613912345678').hexdigest()}.AbCdEfGhIjKlMnOp0123456789"
    if isinstance(schema.get("default"), str):
        return schema["default"]
    if name in _SAMPLE_STRINGS:
        return _SAMPLE_STRINGS[name]
    if name in _SAMPLE_IDS:
        return _uuid7(_SAMPLE_IDS[name])
    if name.endswith("_name"):
        return _SAMPLE_STRINGS["name"]
    if name in ("id", "subject") or name.endswith(("_id", "_by")):
        return _uuid7(name)
    return "示例"


def _uuid7(seed: str) -> str:
    """A UUIDv7 at the example time whose random bits come from `seed`: the document is the same every time, and
    one name (`lead_id`) is the same id in every example."""
    ms = int(EXAMPLE_TIME.timestamp() * 1000)
    bits = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:10], "big")
    value = (ms << 80) | (0x7 << 76) | (((bits >> 62) & 0xFFF) << 64) | (0b10 << 62) | (bits & ((1 << 62) - 1))
    hexed = f"{value:032x}"
    return f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"


def _version() -> str:
    try:
        return version("crm-shared")
    except PackageNotFoundError:  # running from a source tree without the package installed
        return "0.0.0"


def _info(settings: Settings) -> str:
    prefix, stream = settings.subject_prefix, settings.stream_name
    return f"""The events the CRM publishes, for integrators (ERP, BI, partner systems) who receive them over NATS.

**Where.** Every event is on JetStream stream `{stream}`, subject `{prefix}.<branch_id>.<type>`, as one JSON
envelope (`id`, `type`, `source`, `branch_id`, `time`, `subject`, `schema_version`, `correlation_id`, `data`)
with header `Nats-Msg-Id` = `id`. Deduplicate on `id`: a redelivery or a replay brings an event again.

**Connecting.** With your CRM token (role `integrator`) as the NATS connect token, and inbox prefix
`_INBOX_<your token's sub>` (see the security scheme `{INTEGRATOR_SCHEME}`). You may subscribe to
`{prefix}.<each of your branches>.>` and own durable JetStream consumers on `{stream}` with one filter inside your
branches; you cannot publish.

**Compatibility.** Types and field names keep their names and meaning. Fields and types are added without
notice: ignore fields you do not know, and any event type this document does not list (the services' internal
events share the subjects). A change that would break a reader (a field removed, renamed or retyped) bumps the
type's `schema_version` (the envelope's, and `x-schema-version` of its message); the stream keeps events of older
versions, so a replay delivers them: read `schema_version` before `data`. A field kept only for readers of older
events says so in its description.

**Personal data.** Customer phones appear only masked (`139****5678`) and as `phone_hash` (HMAC-SHA256 of the
E.164 number with the group's key, to match customers across events); `*_sealed` values are encrypted for the
services and opaque to integrators. Money is integer fen (分, CNY/100). Times are UTC (ISO 8601); dates named as
branch-local say so. On `customer.erased`, delete or anonymise what you keep of that `phone_hash`.

Generated from the event registry (`crm_shared.events`) by `crm asyncapi`; each service serves the part it
publishes at `/asyncapi.json`."""


def _servers(settings: Settings) -> dict[str, Any]:
    """`production`: CRM_PUBLIC_NATS_URL, or a `{{host}}` variable while it is not set; `development`: the running
    settings' NATS server, without credentials (left out in production, where that address is the services')."""
    security = [{"$ref": f"#/components/securitySchemes/{INTEGRATOR_SCHEME}"},
                {"$ref": f"#/components/securitySchemes/{SERVICES_SCHEME}"}]
    production: dict[str, Any] = {
        "host": _host(settings.public_nats_url) if settings.public_nats_url else "{host}", "protocol": "nats",
        "title": "Production", "description": "The CRM's NATS server for integrators (CRM_PUBLIC_NATS_URL).",
        "security": security,
    }
    if not settings.public_nats_url:
        production["variables"] = {"host": {
            "description": "host:port of the CRM's NATS server, as your CRM operator gives it to you "
            "(CRM_PUBLIC_NATS_URL is not set where this document was generated).",
            "examples": ["nats.example.com:4222"]}}
    if urlsplit(settings.public_nats_url).scheme == "tls":
        production["description"] += " TLS is required."
    servers = {"production": production}
    if settings.environment != "production":
        servers["development"] = {
            "host": _host(split_url(settings.nats_url.split(",")[0].strip())[0]), "protocol": "nats",
            "title": "Development", "description": "The NATS server of this installation (CRM_NATS_URL; `make dev`, "
            "`crm stack`). In development a connection without credentials may also read every branch.",
            "security": security,
        }
    return servers


def _host(url: str) -> str:
    parts = urlsplit(url if "://" in url else f"nats://{url}")
    return parts.netloc.rsplit("@", 1)[-1] or "127.0.0.1:4222"


def _security_schemes(settings: Settings) -> dict[str, dict[str, Any]]:
    prefix, stream = settings.subject_prefix, settings.stream_name
    return {
        INTEGRATOR_SCHEME: {
            "type": "apiKey", "in": "password",
            "description": (
                "An integrator's CRM bearer token (role `integrator`; the JWT itself, without `Bearer `), sent as "
                "the NATS CONNECT `auth_token` (nats.py `token=`, nats CLI `--token`) or as the password with any "
                "user name. Connect with inbox prefix `_INBOX_<sub>` (`<sub>`: the token's subject). The CRM's auth "
                "callout verifies the token like the HTTP API does and admits a read-only user: subscribe to "
                f"`{prefix}.<each of its branches>.>` (`{prefix}.>` for `*`) and `_INBOX_<sub>.>`; JetStream "
                f"consumers on stream `{stream}` named `<sub>`, `<sub>-live` or `<sub>-1`...`<sub>-"
                f"{settings.nats_auth_consumers}` with one filter inside those branches (created by name, the "
                f"filter in the subject: `$JS.API.CONSUMER.CREATE.{stream}.<name>.<filter>`), their info, pulls, "
                f"acks and deletion; no publishing on `{prefix}.>`, no stream API. The user expires with the token "
                "(the server then closes the connection). Other roles, bad tokens and anonymous connections are "
                "refused outside development."),
        },
        SERVICES_SCHEME: {
            "type": "userPassword",
            "description": (
                "The services' own credentials (CRM_NATS_USER/CRM_NATS_PASSWORD, or an nkey seed "
                "CRM_NATS_NKEY_SEED, or a .creds file CRM_NATS_CREDS): the only clients that may publish events "
                f"on `{prefix}.>` and manage the streams. Not for integrators."),
        },
    }
