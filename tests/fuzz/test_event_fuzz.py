"""Random event envelopes (wrong types, unknown types, missing fields, huge payloads) fed
through the real stream to every service's consumers: nothing crashes or stalls, every
unreadable event is dead-lettered with its error, and the services keep working."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import nats
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from crm_shared.bus.consumers import durable_name
from crm_shared.events import BadEvent, new_event, parse, registry
from crm_shared.events.leads import BranchConfigured
from crm_shared.plugins import discover
from tests.support.runtime import eventually, isolated_settings, publish_event, running

HANDLED = sorted({t for p in discover("all") for table in p.subscriptions() for t in table.handlers})
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def valid_envelope(event_type: str) -> dict:
    return {"id": str(uuid.uuid4()), "type": event_type, "source": "fuzz", "branch_id": "fz-1",
            "time": datetime.now(UTC).isoformat(), "subject": "s1", "schema_version": 1, "correlation_id": None, "data": {}}


@st.composite
def messages(draw) -> tuple[str, bytes]:
    event_type = draw(st.sampled_from(HANDLED))
    env = valid_envelope(event_type)
    mutation = draw(st.sampled_from(["random_data", "drop_field", "wrong_type", "huge", "not_json", "unknown_type", "data_fields"]))
    if mutation == "random_data":
        env["data"] = draw(st.dictionaries(st.text(max_size=12), json_values, max_size=6))
    elif mutation == "drop_field":
        env.pop(draw(st.sampled_from(sorted(env))))
    elif mutation == "wrong_type":
        env[draw(st.sampled_from(sorted(env)))] = draw(json_values)
    elif mutation == "huge":
        env["data"] = {"name": "x" * 200_000, "lead_id": "y" * 50_000}
    elif mutation == "not_json":
        return event_type, draw(st.binary(min_size=0, max_size=200))
    elif mutation == "unknown_type":
        env["type"] = "nobody.heard_of_it"
    else:  # the payload class's own fields, with random values
        fields = list(registry()[event_type].model_fields)
        env["data"] = {f: draw(json_values) for f in draw(st.lists(st.sampled_from(fields), max_size=len(fields), unique=True))}
    return event_type, json.dumps(env, default=str).encode()


async def test_random_envelopes_are_dead_lettered_and_services_keep_working(urls):
    settings = isolated_settings(*urls)
    batch: list[tuple[str, bytes]] = []

    @hsettings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(messages())
    def collect(message):
        batch.append(message)

    collect()
    plugins = discover("all")
    async with running(plugins, settings) as (app, client):
        nc = await nats.connect(settings.nats_url)
        js = nc.jetstream()
        try:
            for event_type, body in batch:
                await js.publish(f"{settings.subject_prefix}.fz-1.{event_type}", body, stream=settings.stream_name)

            consumers = {durable_name(p.name, t): (p.name, t) for p in plugins for t in p.subscriptions()}

            async def drained():
                for name in consumers:
                    info = await js.consumer_info(settings.stream_name, name)
                    if info.num_pending or info.num_ack_pending:
                        return False
                return True
            assert await eventually(drained, 120), "a consumer stalled on fuzzed events"

            for name, (service, table) in consumers.items():
                db = app.state.contexts[service].db
                dead = {d["stream_sequence"]: d for d in await db.dead_letters.find({"consumer": name}).to_list()}
                assert all(d["error"] for d in dead.values())
                for seq, (event_type, body) in enumerate(batch, start=1):
                    if event_type not in table.handlers:
                        continue
                    try:
                        parse(body)
                    except BadEvent:
                        assert seq in dead, f"{name}: unreadable event #{seq} was not dead-lettered"

            # and they still work: a real event after the storm is handled by everyone who wants it
            real = new_event(BranchConfigured(branch_id="fz-2", name="ok", timezone="Asia/Shanghai", settings={}),
                             branch_id="fz-2", subject="fz-2")
            await publish_event(settings, real)
            assert await eventually(drained, 60)
            for name, (service, table) in consumers.items():
                if "branch.configured" in table.handlers:
                    db = app.state.contexts[service].db
                    assert await db.inbox.find_one({"_id": f"{name}:{real.id}"}), f"{name} stopped handling events"
            assert (await client.get("/readyz")).status_code == 200
        finally:
            await nc.close()
