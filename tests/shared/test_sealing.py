"""Sealed personal data under per-customer keys (crm_shared.sealing): the format, the wrapping, the key bucket,
crypto-shredding, the cache, and the bucket out of an integrator's reach."""

from __future__ import annotations

import asyncio

import nats
import pytest

from crm_shared import sealing
from crm_shared.bus.connection import connect, split_url
from crm_shared.http.auth import mint_token
from crm_shared.nats_auth.permissions import inbox_prefix
from crm_shared.phones import phone_hash
from crm_shared.phones import seal as seal_v1
from crm_shared.sealing import DataKeys, connected
from tests.support.runtime import isolated_settings

NUMBER = "+8613800138000"
KID = "a" * 64


@pytest.mark.unit
def test_a_data_key_is_wrapped_with_the_root_key_and_bound_to_its_customer():
    key = bytes(range(32))
    wrapped = sealing.wrap(key, KID, "root-1")
    assert key not in wrapped and key.hex().encode() not in wrapped and wrapped.startswith(b"w1.")
    assert sealing.unwrap(wrapped, KID, "root-1") == key
    assert sealing.unwrap(wrapped, KID, "another-root") is None, "a dump of the bucket alone opens nothing"
    assert sealing.unwrap(wrapped, "b" * 64, "root-1") is None, "a key moved to another customer does not unwrap"
    assert sealing.unwrap(b"garbage", KID, "root-1") is None


@pytest.mark.unit
def test_the_v2_seal_names_its_key_and_opens_only_with_it():
    key, other = bytes(32), bytes([1]) * 32
    sealed = sealing.seal_with(key, KID, NUMBER)
    assert sealed.startswith(f"s2.{KID}.") and NUMBER not in sealed and "13800138000" not in sealed
    assert sealing.key_id(sealed) == KID
    kid, blob = sealing.seal_parts(sealed)
    assert sealing.open_with(key, kid, blob) == NUMBER
    assert sealing.open_with(other, kid, blob) is None
    assert sealing.open_with(key, "b" * 64, blob) is None, "the key id is bound as associated data"
    assert sealing.seal_with(key, KID, NUMBER) != sealed, "a random nonce per seal"
    for junk in (None, "", "s2.", f"s2.{KID}", "s2.notahash.AAAA", f"s2.{KID}.!!", "s1.abc", 42, "s2." + "x" * 500):
        assert sealing.seal_parts(junk) is None and sealing.key_id(junk) is None


@pytest.fixture
async def keys(urls):
    settings = isolated_settings(*urls)
    async with connected(settings) as found:
        yield found


async def test_one_key_per_customer_in_the_bucket_and_both_formats_open(keys):
    first, second = await keys.seal(NUMBER), await keys.seal(NUMBER)
    other = await keys.seal("+8613900139000")
    kid = phone_hash(NUMBER, keys.settings.phone_hash_key)
    assert sealing.key_id(first) == sealing.key_id(second) == kid != sealing.key_id(other)
    assert await keys.unseal(first) == await keys.unseal(second) == NUMBER
    assert await keys.unseal(other) == "+8613900139000"
    entry = await keys.kv.get(kid)
    assert entry.value.startswith(b"w1.") and len(await keys.kv.keys()) == 2
    assert await keys.unseal(seal_v1(NUMBER, keys.settings.phone_seal_key)) == NUMBER, "seals before issue 19 still open"
    assert await keys.unseal(None) is None and await keys.unseal("s2.junk") is None
    assert await keys.unseal(sealing.seal_with(bytes(32), "c" * 64, NUMBER)) is None, "no key for that customer"
    fresh = DataKeys(keys.kv, keys.settings, ttl=0)  # another process: reads the bucket, unwraps with the root key
    assert await fresh.unseal(first) == NUMBER
    assert await fresh.seal_for(kid, "wang@example.com") != "wang@example.com"
    assert await fresh.unseal(await fresh.seal_for(kid, "wang@example.com")) == "wang@example.com"


async def test_concurrent_first_seals_agree_on_one_key(keys):
    number = "+8613700137000"
    seals = await asyncio.gather(*(DataKeys(keys.kv, keys.settings, ttl=0).seal(number) for _ in range(8)))
    fresh = DataKeys(keys.kv, keys.settings, ttl=0)
    assert [await fresh.unseal(s) for s in seals] == [number] * 8


async def test_erasing_purges_the_key_and_its_history_so_no_seal_opens_again(keys):
    sealed = await keys.seal(NUMBER)
    kid = sealing.key_id(sealed)
    elsewhere = DataKeys(keys.kv, keys.settings, ttl=60)  # another process that has the key cached
    assert await elsewhere.unseal(sealed) == NUMBER
    assert await keys.erase(kid) is True
    assert await keys.unseal(sealed) is None
    assert await DataKeys(keys.kv, keys.settings, ttl=0).unseal(sealed) is None
    info = await keys.kv._js.stream_info(f"KV_{keys.settings.keys_bucket}")
    history = [await keys.kv._js.get_msg(info.config.name, seq) for seq in range(info.state.first_seq, info.state.last_seq + 1)
               if info.state.messages]
    assert all(not m.data for m in history if m.subject.endswith(kid)), "no earlier revision of the key is kept"
    assert await elsewhere.unseal(sealed) == NUMBER, "a cached key lives until its TTL or `forget`"
    elsewhere.forget(kid)
    assert await elsewhere.unseal(sealed) is None
    assert await keys.erase(kid) is False, "erasing twice is harmless"
    again = await keys.seal(NUMBER)  # the customer comes back: a new key, the old seals stay shut
    assert await keys.unseal(again) == NUMBER and await keys.unseal(sealed) is None


async def test_an_integrator_cannot_reach_the_key_bucket(urls, keys):
    settings = keys.settings
    sealed = await keys.seal(NUMBER)
    kid = sealing.key_id(sealed)
    token = mint_token(settings, "int-erp", "integrator", ["*"])
    denied: list[str] = []

    async def on_error(exc: Exception) -> None:
        denied.append(str(exc).lower())

    nc = await nats.connect(split_url(urls[1])[0], token=token, inbox_prefix=inbox_prefix("int-erp"),
                            error_cb=on_error, allow_reconnect=False)
    try:
        bucket, stream = settings.keys_bucket, f"KV_{settings.keys_bucket}"
        for subject in (f"$JS.API.DIRECT.GET.{stream}.$KV.{bucket}.{kid}", f"$JS.API.STREAM.MSG.GET.{stream}",
                        f"$JS.API.STREAM.INFO.{stream}"):
            with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
                await nc.request(subject, b'{"last_by_subj": "$KV.%s.%s"}' % (bucket.encode(), kid.encode()), timeout=1)
        got: list = []

        async def seen(msg) -> None:
            got.append(msg)

        await nc.subscribe(f"$KV.{bucket}.>", cb=seen)
        await nc.flush()
        await keys.seal("+8613600136000")
        await asyncio.sleep(0.5)
        assert got == [] and any("permissions violation" in e for e in denied)
    finally:
        await nc.close()


async def test_the_platform_creates_the_bucket_with_one_revision_per_key(urls):
    settings = isolated_settings(*urls)
    nc = await connect(settings)
    try:
        kv = await sealing.ensure_bucket(nc.jetstream(), settings)
        again = await sealing.ensure_bucket(nc.jetstream(), settings)  # every start, every replica
        info = await nc.jetstream().stream_info(f"KV_{settings.keys_bucket}")
        assert info.config.max_msgs_per_subject == 1 and kv._name == again._name == settings.keys_bucket
    finally:
        await nc.close()
