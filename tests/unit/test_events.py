import json

import pytest

from crm_shared.events import BadEvent, Envelope, nats_subject, new_event, parse, registry
from crm_shared.events.leads import LeadRegistered, LeadSource, MaskedCustomer
from crm_shared.ids import uuid7


def _registered() -> LeadRegistered:
    return LeadRegistered(
        lead_id="l1",
        customer=MaskedCustomer(name="王先生", phone_masked="138****5678", phone_hash="h"),
        source=LeadSource(channel="walk_in"),
        owner_id="s1",
        grade="A",
    )


def test_every_contract_event_type_is_registered():
    expected = {
        "branch.configured", "staff.joined", "staff.left", "lead.registered", "lead.updated", "lead.graded",
        "lead.assigned", "lead.released", "lead.claimed", "lead.followed_up", "lead.follow_up_overdue",
        "lead.won", "lead.lost", "channel_report.accepted", "channel_report.rejected",
        "channel_report.confirmed", "channel_report.expired", "attribution.disputed", "attribution.decided",
        "appointment.scheduled", "appointment.rescheduled", "appointment.cancelled", "appointment.no_show",
        "visit.checked_in", "visit.ended", "reception.requested", "reception.approved", "reception.rejected",
        "reception.completed", "notification.sent", "notification.delivered", "notification.failed",
    }
    assert expected <= set(registry())


def test_envelope_round_trip():
    env = new_event(_registered(), branch_id="sz-bay", subject="l1", correlation_id="c1")
    assert env.type == "lead.registered" and env.source == "leads" and env.schema_version == 1
    parsed, data = parse(env.model_dump_json())
    assert parsed == env
    assert isinstance(data, LeadRegistered) and data.customer.phone_masked == "138****5678"


def test_subject_scheme_and_branch_slug():
    assert nats_subject("crm", "sz-bay", "lead.registered") == "crm.sz-bay.lead.registered"
    for bad in ("sz.bay", "*", ">", "SZ", ""):
        with pytest.raises(ValueError):
            nats_subject("crm", bad, "lead.registered")


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[]",
        json.dumps({"id": "x"}).encode(),
        json.dumps({"id": "x", "type": "nope.happened", "source": "s", "branch_id": "b", "time": "2026-01-01T00:00:00Z",
                    "subject": "s", "data": {}}).encode(),
        json.dumps({"id": "x", "type": "lead.won", "source": "s", "branch_id": "b", "time": "2026-01-01T00:00:00Z",
                    "subject": "s", "data": {"amount": "lots"}}).encode(),
    ],
)
def test_bad_messages_raise_bad_event(raw):
    with pytest.raises(BadEvent):
        parse(raw)


def test_uuid7_is_time_ordered_and_unique():
    ids = [uuid7() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert all(i[14] == "7" for i in ids)
    assert [i[:13] for i in ids] == sorted(i[:13] for i in ids)


def test_envelope_schema_names_contract_fields():
    assert set(Envelope.model_fields) >= {"id", "type", "source", "branch_id", "time", "subject", "schema_version", "correlation_id", "data"}
