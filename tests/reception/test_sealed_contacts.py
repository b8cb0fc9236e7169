"""Sealed contacts in appointment events (issue 19): `appointment.*` is `schema_version` 2, its customer masked,
hashed and sealed under the customer's own data key -- the email under the same key as the number -- never in clear;
an erasure of the key shuts every copy in the stream; an anonymised appointment carries the name only; a key store
that does not answer refuses the change before any time is claimed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from crm_reception.appointments.service import mark_no_shows
from crm_shared import sealing
from crm_shared.errors import Busy
from crm_shared.events import parse
from crm_shared.events.reception import SEALED_MAX, AppointmentScheduled, Contact
from crm_shared.phones import phone_hash
from tests.reception.builders import future, office
from tests.support.runtime import eventually, stream_messages

NUMBER, EMAIL = "+8613812345678", "z@example.com"
CLEAR = ("13812345678", EMAIL)


async def _appointment_events(o, appointment_id: str, n: int) -> list[dict]:
    async def found():
        msgs = await stream_messages(o.settings, subject=f"{o.settings.subject_prefix}.{o.branch}.appointment.>")
        mine = [m for m in msgs if json.loads(m.data)["data"]["appointment_id"] == appointment_id]
        return mine if len(mine) >= n else None
    return [json.loads(m.data) for m in await eventually(found)]


async def test_every_appointment_event_carries_the_contact_sealed_under_the_customers_key(urls):
    async with office(urls) as o:
        await o.configure(no_show_grace_minutes=15)
        c1, c2 = await o.staff(2)
        start = future(30)
        a = (await o.book(c1, start)).json()
        r = await o.client.patch(f"/v1/appointments/{a['id']}", json={"consultant_id": c2}, headers=o.auth())
        assert r.status_code == 200, r.text
        r = await o.client.post(f"/v1/appointments/{a['id']}/cancel", json={"reason": "改期"}, headers=o.auth())
        assert r.status_code == 200, r.text
        later = future(40)
        b = (await o.book(c1, later)).json()
        assert await mark_no_shows(o.ctx, later + timedelta(hours=2)) == 1

        events = await _appointment_events(o, a["id"], 3) + await _appointment_events(o, b["id"], 2)
        assert [e["type"] for e in events] == ["appointment.scheduled", "appointment.rescheduled",
                                               "appointment.cancelled", "appointment.scheduled", "appointment.no_show"]
        kid = phone_hash(NUMBER, o.settings.phone_hash_key)
        for e in events:
            text = json.dumps(e, ensure_ascii=False)
            assert e["schema_version"] == 2 and not any(c in text for c in CLEAR), e["type"]
            customer = e["data"]["customer"]
            assert set(customer) == {"name", "phone_masked", "phone_hash", "phone_sealed", "email_masked", "email_sealed"}
            assert (customer["name"], customer["phone_masked"], customer["email_masked"]) == (
                "张女士", "138****5678", "z***@example.com")
            assert customer["phone_hash"] == kid, "the hash lead and visit events carry"
            assert sealing.key_id(customer["phone_sealed"]) == kid == sealing.key_id(customer["email_sealed"]), \
                "the email is sealed under the same customer's key: one erasure shuts both"
            _, data = parse(e)
            assert await data.customer.opened(o.ctx.keys) == (NUMBER, EMAIL)
        seals = [e["data"]["customer"]["phone_sealed"] for e in events]
        assert len(set(seals)) == len(seals), "sealed afresh for every event (a random nonce)"


async def test_an_erased_customers_seals_in_the_stream_never_open_again(urls):
    async with office(urls) as o:
        (c1,) = await o.staff()
        a = (await o.book(c1, future(30))).json()
        [scheduled] = await _appointment_events(o, a["id"], 1)
        _, data = parse(scheduled)
        assert await data.customer.opened(o.ctx.keys) == (NUMBER, EMAIL)
        assert await o.ctx.keys.erase(data.customer.phone_hash)
        assert await data.customer.opened(o.ctx.keys) == (None, None)
        assert await sealing.unseal_with(o.settings, data.customer.email_sealed) is None, "nor in another process"


async def test_an_anonymised_appointment_carries_the_name_only(urls):
    """After an erasure reception keeps the appointment without its contact; a later change publishes no seal."""
    async with office(urls) as o:
        (c1,) = await o.staff()
        a = (await o.book(c1, future(30))).json()
        await o.db.appointments.update_one({"_id": a["id"]}, {"$set": {
            "customer": {"name": "已删除", "phone": None, "email": None}}})
        r = await o.client.post(f"/v1/appointments/{a['id']}/cancel", json={}, headers=o.auth())
        assert r.status_code == 200, r.text
        cancelled = (await _appointment_events(o, a["id"], 2))[-1]
        assert cancelled["type"] == "appointment.cancelled" and cancelled["schema_version"] == 2
        assert cancelled["data"]["customer"] == {"name": "已删除", "phone_masked": None, "phone_hash": None,
                                                 "phone_sealed": None, "email_masked": None, "email_sealed": None}


async def test_a_key_store_that_does_not_answer_refuses_before_any_time_is_claimed(urls, monkeypatch):
    async with office(urls) as o:
        (c1,) = await o.staff()
        start = future(30)
        booked = (await o.book(c1, start)).json()

        async def down(*_args, **_kw):
            raise Busy("key-store-unavailable", "the customers' key store did not answer: TimeoutError")
        monkeypatch.setattr(o.ctx.keys, "seal", down)
        r = await o.book(c1, start + timedelta(hours=3))
        assert r.status_code == 503 and r.json()["type"].endswith("/key-store-unavailable"), r.text
        moved = start + timedelta(hours=5)
        r = await o.client.patch(f"/v1/appointments/{booked['id']}", headers=o.auth(),
                                 json={"start": moved.isoformat(), "end": (moved + timedelta(hours=1)).isoformat()})
        assert r.status_code == 503, r.text
        monkeypatch.undo()
        assert (await o.book(c1, start + timedelta(hours=3))).status_code == 201, "the refused booking claimed nothing"
        assert (await o.book(c1, moved)).status_code == 201, "the refused move claimed nothing"
        assert (await o.book(c1, start)).status_code == 409, "the appointment kept its time"
        assert await o.db.appointments.count_documents({}) == 3


@pytest.mark.unit
def test_the_contact_reads_both_versions_and_writes_only_the_sealed_one():
    start = future(30)
    old = AppointmentScheduled.model_validate({  # schema_version 1, as old events in the stream hold it
        "appointment_id": "a1", "consultant_id": "c1", "kind": "showing", "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(), "customer": {"name": "王先生", "phone": NUMBER, "email": EMAIL}})
    assert not old.customer.sealed and (old.customer.phone, old.customer.email) == (NUMBER, EMAIL)
    assert AppointmentScheduled.schema_version == 2
    assert set(Contact(name="王先生").model_dump()) == {
        "name", "phone_masked", "phone_hash", "phone_sealed", "email_masked", "email_sealed"}, "no clear field written"
    with pytest.raises(ValueError):
        Contact(name="x", phone_hash="not-a-hash")


@pytest.mark.unit
def test_the_longest_email_sealed_still_fits_and_opens():
    key, kid, email = bytes(range(32)), "a" * 64, "w" * 64 + "@" + "e" * 185 + ".com"
    sealed = sealing.seal_with(key, kid, email)
    assert len(email) == 254 and len(sealed) <= SEALED_MAX
    Contact(name="x", email_sealed=sealed)
    kid_, blob = sealing.seal_parts(sealed)
    assert sealing.open_with(key, kid_, blob) == email
