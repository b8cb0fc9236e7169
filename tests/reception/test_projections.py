"""Reception's own projections from leads events: idempotent, order-tolerant, never the leads database."""

from datetime import UTC, datetime, timedelta

from crm_shared.events.leads import LeadAssigned, LeadLost, StaffJoined, StaffLeft
from crm_shared.ids import uuid7
from tests.reception.builders import new_phone, office
from tests.support.runtime import eventually, publish_event


async def test_assignment_arriving_before_registration_is_kept(urls):
    async with office(urls) as o:
        c1, owner = await o.staff(2)
        await o.join(c1, owner)
        phone = new_phone()
        lead_id = uuid7()
        later = datetime.now(UTC) + timedelta(seconds=5)
        await o.emit(LeadAssigned(lead_id=lead_id, owner_id=owner), subject=lead_id, time=later)
        assert await eventually(lambda: o.db.leads.find_one({"_id": lead_id, "owner_id": owner}))
        from crm_shared.events.leads import LeadRegistered, LeadSource, MaskedCustomer
        from crm_shared.phones import mask, normalize, phone_hash
        e164 = normalize(phone)
        await o.emit(LeadRegistered(lead_id=lead_id, source=LeadSource(channel="phone"), owner_id=None,
                                    customer=MaskedCustomer(name="n", phone_masked=mask(e164),
                                                            phone_hash=phone_hash(e164, o.settings.phone_hash_key))),
                     subject=lead_id)
        assert await eventually(lambda: o.db.leads.find_one({"_id": lead_id, "phone_hash": {"$exists": True}}))
        v = (await o.check_in(phone=phone)).json()
        assert v["consultant_id"] == owner and v["returning"] is True


async def test_redelivered_and_stale_staff_events_have_one_effect(urls):
    async with office(urls) as o:
        sid = uuid7()
        joined = await o.emit(StaffJoined(staff_id=sid, role="consultant", name="a"))
        left_env = await o.emit(StaffLeft(staff_id=sid, role="consultant", name="a"),
                                time=joined.time + timedelta(minutes=1))
        assert await eventually(lambda: o.db.staff.find_one({"_id": sid, "active": False}))
        await publish_event(o.settings, joined, msg_id=joined.id + "-again")  # redelivered, older than the leave
        marker = (await o.staff())[0]
        assert marker
        assert (await o.db.staff.find_one({"_id": sid}))["active"] is False
        assert left_env


async def test_lost_lead_is_no_longer_returning(urls):
    async with office(urls) as o:
        c1, owner = await o.staff(2)
        await o.join(c1)
        phone = new_phone()
        lead_id = await o.lead(phone, owner)
        await o.emit(LeadLost(lead_id=lead_id, owner_id=owner, reason="price"), subject=lead_id)
        assert await eventually(lambda: o.db.leads.find_one({"_id": lead_id, "closed": True}))
        v = (await o.check_in(phone=phone)).json()
        assert v["returning"] is False and v["consultant_id"] == c1
