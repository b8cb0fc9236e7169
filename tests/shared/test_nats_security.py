"""NATS security (issue 19): services connect with their own credentials, integrators through
our auth callout with their CRM token and only to their branches, nobody else at all.

The live tests run a NATS of their own, secured like the session's (the stack's callout process,
here with this module's stream and subject prefix), so they can read and write the whole stream
without touching another test's data; the production-mode tests drive the callout in-process."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig

from crm_shared.app import create_app
from crm_shared.bus.connection import broker_options, connect, connect_options, split_url
from crm_shared.config import Settings
from crm_shared.http.auth import mint_token
from crm_shared.nats_auth import nkeys_jwt
from crm_shared.nats_auth.callout import AuthCallout
from crm_shared.nats_auth.permissions import NotAllowed, consumer_names, decide, inbox_prefix, integrator_grant
from crm_shared.stack import Stack, free_port

ROOT = Path(__file__).resolve().parents[2]
TAG = uuid.uuid4().hex[:8]
PREFIX, STREAM = f"s{TAG}", f"S{TAG}"
STRONG = {"jwt_secret": "j" * 40, "phone_hash_key": "h" * 40, "phone_seal_key": "s" * 40}


def settings_for(url: str, **overrides) -> Settings:
    return Settings(**{"environment": "test", "nats_url": url, "stream_name": STREAM, "subject_prefix": PREFIX,
                       "dead_letter_prefix": f"{PREFIX}dlq", **overrides})


# --- pure rules --------------------------------------------------------------------------------

@pytest.mark.unit
def test_an_integrator_may_read_only_its_branches_and_publish_nothing_on_the_event_subjects():
    s = settings_for("nats://x")
    grant = integrator_grant(s, "int-erp", ["b1", "b2"])
    assert grant.sub_allow == [f"{PREFIX}.b1.>", f"{PREFIX}.b2.>", "_INBOX_int-erp.>"]
    assert grant.inbox_prefix == inbox_prefix("int-erp") == "_INBOX_int-erp"
    assert not any(p.startswith(f"{PREFIX}.") for p in grant.pub_allow)
    assert f"{PREFIX}.>" in grant.pub_deny
    creates = [p for p in grant.pub_allow if ".CONSUMER.CREATE." in p]
    # every create names one of its own consumers and a filter inside one of its branches
    assert len(creates) == len(consumer_names("int-erp", 8)) * 2
    for p in creates:
        stream, name, rest = p.split(".", 6)[4], p.split(".", 6)[5], p.split(".", 6)[6]
        assert stream == STREAM and name in grant.consumers and rest in (f"{PREFIX}.b1.>", f"{PREFIX}.b2.>")
    assert not any(p.startswith(("$JS.API.STREAM", "$JS.API.DIRECT", "$JS.API.CONSUMER.CREATE." + STREAM + ".*"))
                   for p in grant.pub_allow)
    everywhere = integrator_grant(s, "hq-bi", ["*"])
    assert everywhere.sub_allow == [f"{PREFIX}.>", "_INBOX_hq-bi.>"]


@pytest.mark.unit
@pytest.mark.parametrize("sub,branches", [("a.b", ["b1"]), ("*", ["b1"]), ("x y", ["b1"]), ("", ["b1"]),
                                          ("ok", ["b1.>"]), ("ok", ["*b"]), ("ok", [])])
def test_ids_that_are_not_one_subject_token_get_no_user(sub, branches):
    with pytest.raises(NotAllowed):
        integrator_grant(settings_for("nats://x"), sub, branches)


@pytest.mark.unit
def test_who_gets_a_user_anonymous_only_in_development_and_only_integrators():
    dev = decide(settings_for("nats://x", environment="development"), None, None, None)
    assert dev.sub_allow[0] == f"{PREFIX}.>" and not any(p.startswith(f"{PREFIX}.") for p in dev.pub_allow)
    for env in ("test", "production"):
        s = settings_for("nats://x", environment=env, **STRONG)
        with pytest.raises(NotAllowed, match="anonymous"):
            decide(s, None, None, None)
    for role in ("admin", "manager", "consultant", "reception", "finance", "partner"):
        with pytest.raises(NotAllowed, match="only integrators"):
            decide(settings_for("nats://x"), role, "u1", ["b1"])
    assert decide(settings_for("nats://x"), "integrator", "int-erp", ["b1"]).name == "integrator:int-erp"


@pytest.mark.unit
def test_nats_jwts_round_trip_and_a_changed_byte_is_refused():
    signer = nkeys_jwt.keypair(nkeys_jwt.new_seed("account"))
    token = nkeys_jwt.encode({"sub": "UXYZ", "nats": {"type": "user", "version": 2}}, signer)
    claims = nkeys_jwt.decode(token)
    assert claims["iss"] == signer.public_key.decode() and claims["iss"].startswith("A") and claims["jti"]
    head, body, sig = token.split(".")
    forged = json.loads(nkeys_jwt._unb64(body)) | {"sub": "UOTHER"}
    with pytest.raises(nkeys_jwt.NatsJwtError):
        nkeys_jwt.decode(f"{head}.{nkeys_jwt._b64(json.dumps(forged).encode())}.{sig}")
    assert nkeys_jwt.seed_kind(nkeys_jwt.new_seed("user")) == "user"


@pytest.mark.unit
def test_services_credentials_come_from_settings_or_the_url_and_never_show_in_the_url():
    assert split_url("nats://crm-services:p%40ss@127.0.0.1:4222") == ("nats://127.0.0.1:4222", "crm-services", "p@ss")
    assert connect_options(Settings(nats_url="nats://u:pw@h:1")) == {"servers": "nats://h:1", "user": "u", "password": "pw"}
    assert connect_options(Settings(nats_url="nats://h:1", nats_user="svc", nats_password="pw")) == {
        "servers": "nats://h:1", "user": "svc", "password": "pw"}
    assert connect_options(Settings(nats_url="nats://h:1", nats_creds="/run/crm.creds"))["user_credentials"] == "/run/crm.creds"
    assert broker_options(Settings(nats_url="nats://u:pw@h:1"))["servers"] == "nats://h:1"
    with pytest.raises(ValueError, match="CRM_NATS_PASSWORD"):
        Settings(environment="production", nats_password="short", **STRONG)


# --- live: a NATS of this module's own, secured as the session's --------------------------------

@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    data = tmp_path_factory.mktemp("nats-security")
    st = Stack(data, free_port(), free_port(), devstore=ROOT / ".tools" / "devstore", start_store=False,
               callout_env={"CRM_ENVIRONMENT": "test", "CRM_STREAM_NAME": STREAM, "CRM_SUBJECT_PREFIX": PREFIX,
                            "CRM_JWT_SECRET": Settings().jwt_secret})
    st.start()
    yield st
    st.stop()
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
async def events(secured):
    """The stream with two events per branch, published by the services."""
    settings = settings_for(secured.nats_url)
    nc = await connect(settings)
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name=STREAM, subjects=[f"{PREFIX}.>"]))
    await js.add_consumer(STREAM, ConsumerConfig(name="leads-intake", durable_name="leads-intake",
                                                 filter_subject=f"{PREFIX}.*.lead.registered", ack_policy=AckPolicy.EXPLICIT))
    for branch in ("b1", "b2"):
        for n in range(2):
            await js.publish(f"{PREFIX}.{branch}.lead.registered", json.dumps({"branch": branch, "n": n}).encode())
    yield settings, js
    await js.delete_stream(STREAM)
    await nc.close()


def token_for(role: str = "integrator", branches=("b1",), sub: str = "int-erp", ttl: int = 600, **overrides) -> str:
    return mint_token(settings_for("nats://x", **overrides), sub, role, list(branches), ttl)  # type: ignore[arg-type]


async def as_integrator(secured, token: str, sub: str = "int-erp"):
    errors: list[str] = []

    async def on_error(exc: Exception) -> None:
        errors.append(str(exc).lower())

    nc = await nats.connect(secured.nats_address, token=token, inbox_prefix=inbox_prefix(sub), error_cb=on_error,
                            allow_reconnect=False)
    return nc, errors


async def refused_to_connect(url: str, **options) -> str:
    with pytest.raises(nats.errors.Error) as caught:
        nc = await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=5,
                                error_cb=_quiet, **options)
        await nc.close()
    return str(caught.value)


async def _quiet(exc: Exception) -> None:
    pass


async def test_an_integrator_token_reads_its_branch_live_and_from_the_stream(secured, events):
    settings, js = events
    nc, errors = await as_integrator(secured, token_for())
    try:
        live: list[dict] = []

        async def got(msg) -> None:
            live.append(json.loads(msg.data))

        await nc.subscribe(f"{PREFIX}.b1.>", cb=got)
        await nc.flush()
        await js.publish(f"{PREFIX}.b1.visit.checked_in", b'{"branch": "b1", "n": 9}')
        await js.publish(f"{PREFIX}.b2.visit.checked_in", b'{"branch": "b2", "n": 9}')
        ijs = nc.jetstream(timeout=3)
        psub = await ijs.pull_subscribe(f"{PREFIX}.b1.>", durable="int-erp", stream=STREAM)
        replayed = [json.loads(m.data) for m in await psub.fetch(10, timeout=3)]
        for m in replayed:
            assert m["branch"] == "b1"
        assert [m["n"] for m in replayed] == [0, 1, 9]
        # a narrower filter inside the branch, on another of its consumer names
        lead_only = await ijs.pull_subscribe(f"{PREFIX}.b1.lead.>", durable="int-erp-1", stream=STREAM)
        assert len(await lead_only.fetch(10, timeout=3)) == 2
        for _ in range(30):
            if live:
                break
            await asyncio.sleep(0.1)
        assert live == [{"branch": "b1", "n": 9}]
        assert errors == []
        await ijs.delete_consumer(STREAM, "int-erp")
        await ijs.delete_consumer(STREAM, "int-erp-1")
    finally:
        await nc.close()


async def test_another_branchs_subjects_and_consumers_are_refused(secured, events):
    settings, js = events
    nc, errors = await as_integrator(secured, token_for())
    try:
        seen: list[str] = []

        async def got(msg) -> None:
            seen.append(msg.subject)

        for subject in (f"{PREFIX}.b2.>", f"{PREFIX}.>", f"{PREFIX}.*.lead.registered", "_INBOX.>", "$JS.>", ">"):
            await nc.subscribe(subject, cb=got)
        await nc.flush()
        await js.publish(f"{PREFIX}.b2.lead.registered", b'{"branch": "b2"}')
        await asyncio.sleep(0.5)
        assert seen == []
        assert sum("permissions violation for subscription" in e for e in errors) == 6, errors

        ijs = nc.jetstream(timeout=1)
        refused = [
            ijs.pull_subscribe(f"{PREFIX}.b2.>", durable="int-erp-2", stream=STREAM),  # another branch
            ijs.pull_subscribe(f"{PREFIX}.>", durable="int-erp-3", stream=STREAM),  # every branch
            ijs.pull_subscribe(f"{PREFIX}.b1.>", durable="leads-intake", stream=STREAM),  # a service's consumer
            ijs.pull_subscribe(f"{PREFIX}.b1.>", durable="other-erp", stream=STREAM),  # another integrator's name
            ijs.add_consumer(STREAM, ConsumerConfig(filter_subject=f"{PREFIX}.b1.>")),  # no name: filter not in subject
            ijs.add_consumer(STREAM, ConsumerConfig(name="int-erp-4", filter_subjects=[f"{PREFIX}.b1.>", f"{PREFIX}.b2.>"])),
            ijs.stream_info(STREAM),  # counts per subject would name other branches
            ijs.get_msg(STREAM, 1),
            ijs.purge_stream(STREAM),
        ]
        for attempt in refused:
            with pytest.raises((nats.errors.TimeoutError, nats.js.errors.Error, TimeoutError)):
                await attempt
        assert any("publish to \"$js.api.consumer.create." + STREAM.lower() + ".int-erp-2." in e for e in errors), errors
        # pulling from a service's consumer is refused too
        with pytest.raises((nats.errors.TimeoutError, TimeoutError)):
            await nc.request(f"$JS.API.CONSUMER.MSG.NEXT.{STREAM}.leads-intake", b'{"batch": 1}', timeout=1)
        info = await js.consumer_info(STREAM, "leads-intake")
        assert info.config.filter_subject == f"{PREFIX}.*.lead.registered" and info.num_pending == 5
        assert (await js.stream_info(STREAM)).state.messages >= 5
    finally:
        await nc.close()


async def test_a_forged_event_is_refused_whoever_sends_it(secured, events):
    settings, js = events
    before = (await js.stream_info(STREAM)).state.messages
    nc, errors = await as_integrator(secured, token_for())
    try:
        forged = json.dumps({"type": "lead.registered", "branch_id": "b1", "data": {"phone_masked": "138****0001"}})
        await nc.publish(f"{PREFIX}.b1.lead.registered", forged.encode())  # even on its own branch
        await nc.publish(f"{PREFIX}.b2.visit.checked_in", forged.encode())
        await nc.flush()
        with pytest.raises((nats.errors.TimeoutError, TimeoutError)):
            await nc.jetstream(timeout=1).publish(f"{PREFIX}.b1.lead.registered", forged.encode(), stream=STREAM)
        await asyncio.sleep(0.3)
        assert sum("permissions violation for publish" in e for e in errors) >= 3, errors
    finally:
        await nc.close()
    assert (await js.stream_info(STREAM)).state.messages == before


async def test_anonymous_other_roles_and_bad_credentials_are_refused(secured, events):
    address = secured.nats_address
    assert "authorization violation" in (await refused_to_connect(address)).lower()
    await refused_to_connect(address, user="crm-services", password="guessed-wrong-" + "x" * 20)
    await refused_to_connect(address, token="not-a-jwt")
    await refused_to_connect(address, token=token_for(jwt_secret="an-attacker-s-own-secret-" + "x" * 20))
    for role in ("admin", "manager", "consultant", "partner"):
        await refused_to_connect(address, token=token_for(role=role, sub="u1"))
    await refused_to_connect(address, token=token_for(ttl=-5))  # expired
    log = (secured.data_dir / "nats.log").read_text()
    assert "only integrators" in log and "anonymous connections are refused" in log
    # the same token as a password (nats CLI --user x --password <token>) is accepted
    nc = await nats.connect(address, user="int-erp", password=token_for(), inbox_prefix="_INBOX_int-erp")
    await nc.close()


async def test_the_integrators_nats_user_expires_with_its_token(secured, events):
    closed = asyncio.Event()

    async def on_closed() -> None:
        closed.set()

    nc = await nats.connect(secured.nats_address, token=token_for(ttl=2), inbox_prefix="_INBOX_int-erp",
                            allow_reconnect=False, closed_cb=on_closed, error_cb=_quiet)
    try:
        await asyncio.wait_for(closed.wait(), 10)
    finally:
        await nc.close()


async def test_crm_events_connects_as_the_integrator_and_sees_its_branch_only(secured, events):
    settings, js = events
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CRM_")}, "CRM_NATS_URL": secured.nats_address,
           "CRM_STREAM_NAME": STREAM, "CRM_SUBJECT_PREFIX": PREFIX, "CRM_NATS_TOKEN": token_for(sub="int-cli")}
    proc = subprocess.Popen([sys.executable, "-m", "crm_shared", "events", "--from-start"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        lines = []
        deadline = time.monotonic() + 60
        while len(lines) < 2 and time.monotonic() < deadline:
            line = await asyncio.to_thread(proc.stdout.readline)
            if not line:
                break
            lines.append(line.decode())
        assert [json.loads(x)["branch"] for x in lines] == ["b1", "b1"], lines
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_in_production_anonymous_is_refused_and_an_integrator_still_connects(tmp_path):
    st = Stack(tmp_path, free_port(), free_port(), devstore=ROOT / ".tools" / "devstore", start_store=False,
               start_callout=False).start()
    try:
        prod = settings_for(st.nats_url, environment="production", **STRONG)
        callout = AuthCallout(prod, issuer_seed=st.access.issuer_seed)
        await callout.start()
        try:
            await refused_to_connect(st.nats_address)
            token = mint_token(prod, "int-erp", "integrator", ["b1"])
            nc = await nats.connect(st.nats_address, token=token, inbox_prefix="_INBOX_int-erp")
            await nc.close()
            assert "anonymous connections are refused" in (tmp_path / "nats.log").read_text()
        finally:
            await callout.stop()
    finally:
        st.stop()


async def test_in_development_anonymous_may_watch_but_not_publish(tmp_path):
    st = Stack(tmp_path, free_port(), free_port(), devstore=ROOT / ".tools" / "devstore", start_store=False,
               start_callout=False).start()
    try:
        dev = settings_for(st.nats_url, environment="development")
        callout = AuthCallout(dev, issuer_seed=st.access.issuer_seed)
        await callout.start()
        services = await connect(dev)
        try:
            errors: list[str] = []

            async def on_error(exc: Exception) -> None:
                errors.append(str(exc).lower())

            anonymous = await nats.connect(st.nats_address, inbox_prefix="_INBOX_anonymous", error_cb=on_error)
            got: list[bytes] = []

            async def seen(msg) -> None:
                got.append(msg.data)

            await anonymous.subscribe(f"{PREFIX}.>", cb=seen)
            await anonymous.flush()
            await services.publish(f"{PREFIX}.b1.lead.registered", b"{}")
            await anonymous.publish(f"{PREFIX}.b1.lead.registered", b"forged")
            await anonymous.flush()
            await asyncio.sleep(0.3)
            assert got == [b"{}"]
            assert any("permissions violation for publish" in e for e in errors)
            await anonymous.close()
        finally:
            await services.close()
            await callout.stop()
    finally:
        st.stop()


async def test_the_asyncapi_document_names_the_security_schemes_and_no_password(urls):
    settings = settings_for(urls[1])
    assert "@" in settings.nats_url or settings.nats_user  # the session's services connect with credentials
    app = create_app([], settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        doc = (await client.get("/asyncapi.json")).json()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["crm-integrator-token"]["type"] == "apiKey"
    assert "_INBOX_<sub>" in schemes["crm-integrator-token"]["description"]
    assert schemes["crm-services"]["type"] == "userPassword"
    assert doc["servers"]["development"]["host"] == split_url(settings.nats_url)[0].split("://", 1)[1]
    text = json.dumps(doc)
    assert split_url(settings.nats_url)[2] is None or split_url(settings.nats_url)[2] not in text
