"""The AsyncAPI document integrators build from (issue 20): generated from the event registry, valid AsyncAPI
3.0.0 (the official JSON schema, vendored in asyncapi_schema/), every public type with its channel, operation
and an example that parses, every payload field described, and docs/asyncapi.json never behind the code."""

import json
import os
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from typer.testing import CliRunner

from crm_shared.asyncapi import INTEGRATOR_SCHEME, SERVICES_SCHEME, document, public_types, service_document
from crm_shared.cli import cli
from crm_shared.config import Settings
from crm_shared.events import BRANCH_ID_PATTERN, parse, registry
from crm_shared.plugins import discover
from tests.support.runtime import isolated_settings, running

ROOT = Path(__file__).resolve().parents[2]
SPEC = json.loads((Path(__file__).parent / "asyncapi_schema" / "3.0.0-without-$id.json").read_text())
INTERNAL = {"report.digest_ready", "privacy.erasure_progress"}


def platform_types():
    """The platform's event classes (tests register their own, e.g. `ledger.pinged`)."""
    return [cls for cls in registry().values() if cls.__module__.startswith("crm_shared.")]


@pytest.fixture(scope="module")
def plain_settings():
    """The default settings, whatever CRM_* the test session exported: what docs/asyncapi.json is made with."""
    with pytest.MonkeyPatch.context() as mp:
        for name in [n for n in os.environ if n.startswith("CRM_")]:
            mp.delenv(name)
        yield Settings()


@pytest.fixture(scope="module")
def whole(plain_settings):
    return document(plain_settings, platform_types())


def assert_valid(doc: dict) -> None:
    errors = sorted(jsonschema.Draft7Validator(SPEC).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [(list(e.path), e.message[:200]) for e in errors[:5]]


@pytest.mark.unit
def test_the_whole_document_is_valid_asyncapi_3(whole):
    assert whole["asyncapi"] == "3.0.0"
    assert_valid(whole)


@pytest.mark.unit
def test_the_validator_would_catch_a_broken_document(whole):
    broken = json.loads(json.dumps(whole))
    next(iter(broken["operations"].values()))["action"] = "publish"  # AsyncAPI 2's word: not valid in 3.0
    assert list(jsonschema.Draft7Validator(SPEC).iter_errors(broken))


@pytest.mark.unit
def test_every_public_type_has_a_channel_an_operation_and_a_message_with_an_example(whole):
    public = {cls.event_type: cls for cls in platform_types() if cls.event_public}
    assert set(public) == set(whole["channels"]) == set(whole["operations"])
    assert len(public) >= 80
    for event_type, cls in public.items():
        channel = whole["channels"][event_type]
        assert channel["address"] == f"crm.{{branch_id}}.{event_type}"
        assert channel["parameters"] == {"branch_id": {"$ref": "#/components/parameters/branch_id"}}
        operation = whole["operations"][event_type]
        assert operation["action"] == "send" and operation["channel"] == {"$ref": f"#/channels/{event_type}"}
        assert operation["messages"] == [{"$ref": f"#/channels/{event_type}/messages/{cls.__name__}"}]
        assert operation["summary"] and "A `" not in operation["summary"]  # from the class docstring
        message = whole["components"]["messages"][cls.__name__]
        assert message["contentType"] == "application/json" and message["title"] == event_type
        assert message["x-schema-version"] == cls.schema_version
        assert message["headers"] == {"$ref": "#/components/schemas/NatsHeaders"}
        assert message["payload"]["properties"]["type"]["const"] == event_type
        assert message["payload"]["properties"]["data"]["allOf"] == [{"$ref": f"#/components/schemas/{cls.__name__}"}]
        [example] = message["examples"]
        assert example["headers"] == {"Nats-Msg-Id": example["payload"]["id"]}
    assert whole["components"]["messages"]["AppointmentScheduled"]["x-schema-version"] == 2
    assert "Nats-Msg-Id" in whole["components"]["schemas"]["NatsHeaders"]["required"]


@pytest.mark.unit
def test_every_example_parses_as_its_event_and_matches_the_payload_schema(whole):
    registry_ = Registry().with_resource("urn:crm", Resource.from_contents(whole, default_specification=DRAFT202012))
    for name, message in whole["components"]["messages"].items():
        payload = message["examples"][0]["payload"]
        envelope, data = parse(json.dumps(payload))
        assert type(data).__name__ == name and envelope.type == message["title"]
        assert envelope.branch_id == "sz-bay" and envelope.schema_version == type(data).schema_version
        assert data.model_dump(mode="json") == payload["data"]  # the example is what a producer writes
        schema = {"$ref": f"urn:crm#/components/messages/{name}/payload"}
        jsonschema.Draft202012Validator(schema, registry=registry_).validate(payload)
    sample = whole["components"]["messages"]["LeadRegistered"]["examples"][0]["payload"]["data"]
    assert sample["customer"]["phone_masked"].count("*") == 4 and len(sample["customer"]["phone_hash"]) == 64
    assert "phone" not in whole["components"]["messages"]["AppointmentScheduled"]["examples"][0]["payload"]["data"][
        "customer"]  # deprecated: schema_version 1 only, never written


@pytest.mark.unit
def test_every_payload_property_has_a_description(whole):
    missing = []

    def walk(schema, where):
        if isinstance(schema, dict):
            for prop, sub in schema.get("properties", {}).items():
                if not sub.get("description"):
                    missing.append(f"{where}.{prop}")
            for key, sub in schema.items():
                walk(sub, f"{where}.{key}" if key != "properties" else where)
        elif isinstance(schema, list):
            for sub in schema:
                walk(sub, where)

    walk(whole["components"]["schemas"], "schemas")
    for name, message in whole["components"]["messages"].items():
        walk(message["payload"], name)
    assert not missing, missing


@pytest.mark.unit
def test_branch_is_a_parameter_and_internal_types_are_left_out(whole):
    parameter = whole["components"]["parameters"]["branch_id"]
    assert BRANCH_ID_PATTERN in parameter["description"] and parameter["location"] == "$message.payload#/branch_id"
    assert parameter["examples"] == ["sz-bay"]
    assert {cls.event_type for cls in platform_types() if not cls.event_public} == INTERNAL
    text = json.dumps(whole)
    for event_type in INTERNAL:
        assert event_type not in whole["channels"] and f'"{event_type}"' not in text
    assert not any("Handles" in channel.get("description", "") for channel in whole["channels"].values())
    assert "ignore fields you do not know" in whole["info"]["description"]
    assert "bumps the\ntype's `schema_version`" in whole["info"]["description"]


@pytest.mark.unit
def test_servers_and_security(whole, plain_settings):
    servers = whole["servers"]
    assert servers["development"]["host"] == "127.0.0.1:4222"
    assert servers["production"]["host"] == "{host}" and servers["production"]["variables"]["host"]["description"]
    for server in servers.values():
        assert server["protocol"] == "nats"
        assert server["security"] == [{"$ref": f"#/components/securitySchemes/{INTEGRATOR_SCHEME}"},
                                      {"$ref": f"#/components/securitySchemes/{SERVICES_SCHEME}"}]
    schemes = whole["components"]["securitySchemes"]
    assert schemes[INTEGRATOR_SCHEME]["type"] == "apiKey" and schemes[INTEGRATOR_SCHEME]["in"] == "password"
    assert "_INBOX_<sub>" in schemes[INTEGRATOR_SCHEME]["description"]
    assert schemes[SERVICES_SCHEME]["type"] == "userPassword"

    configured = plain_settings.model_copy(update={
        "environment": "production", "public_nats_url": "tls://nats.crm.example.com:4222",
        "nats_url": "nats://crm-services:" + "p" * 40 + "@nats.internal:4222"})
    doc = document(configured, platform_types())
    assert_valid(doc)
    assert set(doc["servers"]) == {"production"}  # the services' own address is not shown in production
    assert doc["servers"]["production"]["host"] == "nats.crm.example.com:4222"
    assert "variables" not in doc["servers"]["production"] and "TLS" in doc["servers"]["production"]["description"]
    dev = document(plain_settings.model_copy(update={"nats_url": "nats://u:secret-pw@10.0.0.5:4333"}), [])
    assert dev["servers"]["development"]["host"] == "10.0.0.5:4333" and "secret-pw" not in json.dumps(dev)


@pytest.mark.unit
def test_a_public_nats_url_that_is_not_an_address_is_refused():
    assert Settings(public_nats_url="nats://nats.example.com:4222").public_nats_url
    for bad in ("https://nats.example.com", "nats://u:p@nats.example.com:4222", "nats://h:1/path", "nats://h:99999",
                "nats://a:1,nats://b:2"):
        with pytest.raises(ValueError, match="CRM_PUBLIC_NATS_URL"):
            Settings(public_nats_url=bad)


@pytest.mark.unit
def test_a_service_document_holds_what_it_produces(plain_settings):
    leads = discover("leads")
    doc = service_document(plain_settings, leads)
    assert_valid(doc)
    assert doc["info"]["title"] == "CRM events (leads)"
    assert set(doc["channels"]) == {cls.event_type for cls in public_types(leads[0].produces)}
    assert "lead.registered" in doc["channels"] and "appointment.scheduled" not in doc["channels"]
    reports = service_document(plain_settings, discover("reports"))
    assert_valid(reports)
    assert reports["channels"] == {} and reports["operations"] == {}  # report.digest_ready is internal


@pytest.mark.unit
def test_the_committed_document_is_up_to_date(whole):
    committed = json.loads((ROOT / "docs" / "asyncapi.json").read_text())
    assert committed == whole, "docs/asyncapi.json is stale: run `.venv/bin/crm asyncapi --out docs/asyncapi.json`"


@pytest.mark.unit
def test_crm_asyncapi_writes_the_whole_document(tmp_path, plain_settings, monkeypatch):
    for name in [n for n in os.environ if n.startswith("CRM_")]:
        monkeypatch.delenv(name)
    out = tmp_path / "asyncapi.json"
    result = CliRunner().invoke(cli, ["asyncapi", "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text())
    assert written == document(plain_settings)  # every registered public type
    monkeypatch.setenv("CRM_PUBLIC_NATS_URL", "nats://u:p@h:4222")
    result = CliRunner().invoke(cli, ["asyncapi"])
    assert result.exit_code == 2 and "CRM_PUBLIC_NATS_URL" in result.output


async def test_a_running_service_serves_its_generated_document(urls):
    settings = isolated_settings(*urls)
    plugins = discover("leads,reception")
    async with running(plugins, settings) as (app, client):
        served = (await client.get("/asyncapi.json")).json()
        page = await client.get("/asyncapi")
    assert served == service_document(settings, plugins)
    assert "lead.registered" in served["channels"] and "visit.checked_in" in served["channels"]
    assert page.status_code == 200 and "CRM events (leads, reception) AsyncAPI" in page.text
    assert f"{settings.subject_prefix}.{{branch_id}}.lead.registered" in page.text
