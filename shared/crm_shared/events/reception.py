"""Events produced by the reception service (docs/contract.md, "Events")."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_shared.checklist import ChecklistItem
from crm_shared.events.envelope import EventData, event
from crm_shared.events.leads import LEAD_ID, MaskedCustomer

SOURCE = "reception"


SEALED_MAX = 600
"""A seal's length limit: an `s2.` seal of the longest email (254 characters) is about 450."""
APPOINTMENT_SCHEMA = 2
"""`appointment.*` since issue 19: the contact sealed (`schema_version` 1 carried it in clear)."""


def _none(value: object) -> bool:
    return value is None


class Contact(BaseModel):
    """An appointment's customer (docs/contract.md, "Events").

    `schema_version` 2 (issue 19): the name in clear; the phone and email masked for everyone and sealed for the
    services under the customer's own data key (`crm_shared.sealing`: `ctx.keys.seal(e164)` for the number,
    `ctx.keys.seal_for(phone_hash, email)` for the email -- one key per customer, the phone hash, so an erasure
    shuts both). A contact without a phone (an appointment anonymised after an erasure) carries the name only: an
    email is never sealed under a key no erasure of a phone could reach.

    `schema_version` 1 (before issue 19; still in the stream, and replayed) carried `phone` (E.164) and `email` in
    clear: the class still reads them, never writes them (they are left out of a dump when empty). Consumers open
    either form with `opened(ctx.keys)`; `env.schema_version` tells which one an event is."""

    name: str = Field(examples=["王小明"], description="The customer's name, in clear.")
    phone_masked: str | None = Field(None, examples=["138****5678"], description="The mobile number, masked.")
    phone_hash: str | None = Field(None, pattern=r"^[0-9a-f]{64}$",
                                   description="HMAC-SHA256 of the E.164 number with the group key (as in lead events); "
                                   "the id of the customer's data key.")
    phone_sealed: str | None = Field(
        None, max_length=SEALED_MAX, description="The E.164 number sealed under the customer's data key (`s2.<phone_hash>."
        "<...>`, AES-256-GCM): notify opens it to send confirmations and reminders. Opaque to integrators; shut for good "
        "once the customer is erased.")
    email_masked: str | None = Field(None, examples=["w***@example.com"], description="The email, masked.")
    email_sealed: str | None = Field(None, max_length=SEALED_MAX,
                                     description="The email sealed under the same customer's key (the phone hash).")
    phone: str | None = Field(None, exclude_if=_none, json_schema_extra={"deprecated": True},
                              description="`schema_version` 1 only: the number in clear. Never written since issue 19; "
                              "read from old events.")
    email: str | None = Field(None, exclude_if=_none, json_schema_extra={"deprecated": True},
                              description="`schema_version` 1 only: the email in clear.")

    @classmethod
    async def seal(cls, keys: Any, name: str, phone: str | None, email: str | None = None) -> "Contact":
        """The version-2 contact of an E.164 `phone` and an `email`, sealed with `keys` (`ctx.keys`; the customer's
        key is made on first use). No phone: the name only (see the class)."""
        from crm_shared.reveals import mask_email, mask_phone

        if not phone:
            return cls(name=name)
        kid = keys.kid(phone)
        return cls(name=name, phone_masked=mask_phone(phone), phone_hash=kid, phone_sealed=await keys.seal(phone),
                   email_masked=mask_email(email) if email else None,
                   email_sealed=await keys.seal_for(kid, email) if email else None)

    @property
    def sealed(self) -> bool:
        """A `schema_version` 2 contact (anything sealed, or the hash)."""
        return bool(self.phone_sealed or self.email_sealed or self.phone_hash)

    async def opened(self, keys: Any) -> tuple[str | None, str | None]:
        """(phone, email) in full: opened from the seals (`keys`: `ctx.keys`, a `crm_shared.sealing.DataKeys`), or as
        a version-1 event carried them. None for what is missing, or shut (the customer was erased)."""
        if not self.sealed:
            return self.phone, self.email
        return await keys.unseal(self.phone_sealed), await keys.unseal(self.email_sealed)


class _AppointmentChange(EventData):
    appointment_id: str = Field(description="The appointment's id (reception service).")
    consultant_id: str = Field(description="Staff id of the consultant the customer meets.")
    lead_id: str | None = Field(None, description=LEAD_ID)
    customer: Contact = Field(description="Who comes: the name, the number and email masked and sealed.")
    start: datetime = Field(description="When the appointment starts, UTC.")
    end: datetime = Field(description="When it ends, UTC.")
    kind: Literal["showing", "office_visit", "signing"] = Field(description="A site showing (看房), a visit to the "
                                                                "sales office, or a contract signing.")
    party_size: int | None = Field(None, examples=[3], description="People coming, when known.")
    checklist: list[str] = Field(default_factory=list, examples=[["安全帽3顶（每位访客一顶）"]],
                                 description="Site-visit checklist lines in Chinese (zh-CN); to show it in another "
                                 "language render `site_checklist` (crm_shared.checklist.lines_for).")
    site_checklist: list[ChecklistItem] = Field(
        default_factory=list, description="The site-visit checklist as data (codes and numbers: hard hats per visitor, "
        "children and elderly waiting at the sales office, the route), for rendering in the reader's language.")
    previous_start: datetime | None = Field(None, description="Rescheduled: the start before, UTC.")
    previous_consultant_id: str | None = Field(None, description="Set when a reschedule changes the consultant.")
    reason: str | None = Field(None, description="Why it was cancelled, or `automatic` for a timed no-show.")


@event("appointment.scheduled", SOURCE, schema_version=APPOINTMENT_SCHEMA)
class AppointmentScheduled(_AppointmentChange):
    """A customer's appointment was made (showing, office visit or signing)."""


@event("appointment.rescheduled", SOURCE, schema_version=APPOINTMENT_SCHEMA)
class AppointmentRescheduled(_AppointmentChange):
    """An appointment moved to another time or consultant (`previous_start`, `previous_consultant_id`)."""


@event("appointment.cancelled", SOURCE, schema_version=APPOINTMENT_SCHEMA)
class AppointmentCancelled(_AppointmentChange):
    """An appointment was cancelled (`reason`)."""


@event("appointment.no_show", SOURCE, schema_version=APPOINTMENT_SCHEMA)
class AppointmentNoShow(_AppointmentChange):
    """The customer did not come to an appointment (`reason` `automatic`: marked when the time passed)."""


class SealedVisitor(MaskedCustomer):
    """A customer as events show it, with the full number sealed for the services."""

    # a plain MaskedCustomer (producers from before the seal) is accepted as a visitor without one
    model_config = ConfigDict(from_attributes=True)

    phone_sealed: str | None = Field(
        None, max_length=200,
        description="The full number sealed for the services (crm_shared.phones.seal, AES-256-GCM with "
        "CRM_PHONE_SEAL_KEY): lets leads keep a callable number on a walk-in's lead. Opaque to integrators.",
    )


@event("visit.checked_in", SOURCE)
class VisitCheckedIn(EventData):
    """A visitor checked in at the front desk (接待登记): a new or returning customer, with or without an
    appointment."""

    visit_id: str = Field(description="The visit's id (reception service).")
    consultant_id: str | None = Field(None, description="Staff id of the consultant receiving the "
                                      "visitor; null while waiting.")
    lead_id: str | None = Field(None, description=LEAD_ID)
    visitor: SealedVisitor = Field(description="The visitor: name, masked number, hash, sealed number.")
    returning: bool = Field(False, description="The branch knew the customer already (a lead or an earlier "
                            "visit).")
    appointment_id: str | None = Field(None, description="The appointment the visitor came for.")
    party_size: int | None = Field(None, examples=[3], description="People in the party, when known.")
    status: Literal["open", "waiting"] | None = Field(
        None, description="`waiting`: nobody could take the visitor yet (no `consultant_id`); `visit.assigned` follows.")
    waiting_for: str | None = Field(None, description="While waiting: the consultant the visitor waits for (their "
                                    "appointment's, their lead's owner, or one the desk named); none for the rotation.")


@event("visit.assigned", SOURCE)
class VisitAssigned(EventData):
    """A visitor got a consultant after checking in: a waiting visitor when a consultant became free, or a
    hand-over by the desk to a named consultant (with the desk's `reason`)."""

    visit_id: str = Field(description="The visit (`visit.checked_in`).")
    consultant_id: str = Field(description="Staff id of the consultant who now receives the visitor.")
    waited_seconds: int = Field(0, ge=0, description="From check-in to this assignment.")
    reason: str | None = Field(None, description="The desk's reason for a hand-over, as typed.")
    assigned_by: Literal["rotation", "owner", "appointment", "handover"] | None = Field(
        None, description="How the consultant was chosen: the rotation's next, the lead's owner, the appointment's "
        "consultant, or a hand-over by the desk.")
    previous_consultant_id: str | None = Field(None, description="Set when a hand-over takes the visitor from someone.")
    lead_id: str | None = Field(None, description=LEAD_ID)
    checked_in_at: datetime | None = Field(None, description="When the visitor checked in (their traffic day).")


@event("visit.ended", SOURCE)
class VisitEnded(EventData):
    """A visit ended: the visitor left."""

    visit_id: str = Field(description="The visit (`visit.checked_in`).")
    consultant_id: str | None = Field(None, description="Staff id of the consultant who received the visitor.")
    lead_id: str | None = Field(None, description=LEAD_ID)
    outcome: str | None = Field(None, examples=["follow_up"], description="How the visit ended, as the desk "
                                "recorded it.")


class _ReceptionChange(EventData):
    reception_id: str = Field(description="The reception's id (a hosted business visit, 公务接待).")
    reception_class: Literal["A", "B", "C", "D"] = Field(alias="class", description="The reception class, A (highest) "
                                                         "to D: who approves it and its budget.")
    host_id: str = Field(description="Staff id of the host.")
    arrive_at: datetime = Field(description="When the guests arrive, UTC.")
    leave_at: datetime | None = Field(None, description="When they leave, UTC.")
    guests: int | None = Field(None, examples=[6], description="Number of guests.")
    budget_per_head: float | None = Field(None, examples=[300.0], description="Budget per guest, CNY in yuan "
                                          "(a JSON number).")
    spent: float | None = Field(None, examples=[1650.0], description="What was spent, CNY in yuan (a JSON number).")
    reason: str | None = Field(None, description="Why it was rejected (reception.rejected).")
    feedback_due_at: datetime | None = Field(None, description="Feedback deadline (working days after the visit).")
    purpose: str | None = Field(None, examples=["集团领导视察"], description="What the reception is for, for notices "
                                "that name it (notify).")

    participant_ids: list[str] = Field(
        default_factory=list, description="Staff involved besides the host (the approvers), for notices."
    )
    model_config = {"populate_by_name": True, "serialize_by_alias": True}


@event("reception.requested", SOURCE)
class ReceptionRequested(_ReceptionChange):
    """A host asked for a reception (公务接待) of outside guests."""


@event("reception.approved", SOURCE)
class ReceptionApproved(_ReceptionChange):
    """A reception was approved."""


@event("reception.rejected", SOURCE)
class ReceptionRejected(_ReceptionChange):
    """A reception was rejected (`reason`)."""


@event("reception.completed", SOURCE)
class ReceptionCompleted(_ReceptionChange):
    """A reception took place and its costs were filed."""


@event("reception.feedback_overdue", SOURCE)
class ReceptionFeedbackOverdue(_ReceptionChange):
    """The host's feedback (接待信息反馈表) was not filed within the branch's working-day deadline."""
