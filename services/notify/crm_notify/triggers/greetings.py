"""greeting.due (customers) -> the greeting SMS with notify's greeting templates: a birthday, an important date from
the archive's card, or a statutory holiday, naming the customer and the branch; and, for a key or core account's
birthday (`gift`), a notice to the account manager to prepare a small gift (客户生日时能有小礼物).

Marketing: at send time the branch's opt-outs, marketing consent, a frozen archive of the person in the branch and
quiet hours (deferred to their end) apply. Consent is notify's per branch and number (`consents`): from `POST
/v1/contacts`, or from the archive itself — a greeting.due with `consent` true records consent for that branch and
number (via `archive:<id>`), one with `consent` false and `consent_at` records its withdrawal; the newer statement
wins (`consent_at` against the stored `at`), so a later contact record saying no, or a later withdrawal in the
archive, stops the greetings. An opt-out is checked before consent and always wins. One message per `greeting_id`,
however often the event comes.

The gift notice goes the morning of the birthday: customers publishes greeting.due on the day from its
`greeting_hour` (09:00 branch time by default), and the notice goes at once (a staff notice, transactional: no quiet
hours, no consent), to the account manager, or the branch's managers when the archive has none in the branch. It
does not depend on the customer's SMS consent: a gift handed over is no marketing message.
"""

from __future__ import annotations

from datetime import datetime

from pymongo.errors import DuplicateKeyError

from crm_shared.branches import local_date
from crm_shared.events import Envelope
from crm_shared.events.customers import GreetingDue
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext
from crm_notify.messages.service import plan_many
from crm_notify.optouts.service import CONSENTS, consent_id
from crm_notify.triggers.freezes import PERSON
from crm_notify.triggers.planner import keyed, sends_wecom, staff_notice
from crm_notify.triggers.rules import local_day

TEMPLATES = {"birthday": "birthday_greeting", "important_date": "important_date_greeting", "holiday": "holiday_greeting"}
GIFT = "greeting_gift"
LOCALE = "zh-CN"


async def record_consent(db, branch_id: str, to: str, granted: bool, at: datetime, via: str) -> bool:
    """Consent (or its withdrawal) for a branch and number as of `at`, unless a newer statement is held; True if
    written. The same statement again changes nothing."""
    _id = consent_id(branch_id, "sms", to)
    fields = {"branch_id": branch_id, "channel": "sms", "to": to, "granted": granted, "at": at, "via": via}
    for _ in range(3):
        res = await db[CONSENTS].update_one({"_id": _id, "$or": [{"at": None}, {"at": {"$lt": at}}]}, {"$set": fields})
        if res.matched_count:
            return True
        try:
            await db[CONSENTS].insert_one({"_id": _id, **fields})
            return True
        except DuplicateKeyError:
            if await db[CONSENTS].find_one({"_id": _id, "at": {"$gte": at}}, projection={"_id": 1}):
                return False
    return False


async def on_greeting_due(ctx: ServiceContext, env: Envelope, data: GreetingDue) -> None:
    info = await ctx.state.directory.branch(env.branch_id)
    now = utcnow()
    phone = await ctx.keys.unseal(data.customer.phone_sealed)
    if phone and (data.consent or data.consent_at is not None):
        await record_consent(ctx.db, env.branch_id, phone, data.consent, data.consent_at or env.time,
                             f"archive:{data.archive_id}")
    words = {"customer_name": data.customer.name, "branch_name": info.name, "occasion_name": data.occasion_name,
             "holiday": data.occasion_name}
    doc = keyed(kind="greeting", template=TEMPLATES[data.occasion], entity=data.greeting_id, channel="sms", to=phone,
                recipient=data.customer.phone_hash, occurrence=data.on.isoformat(), branch_id=env.branch_id, due_at=now,
                now=now, data=words, category="marketing")
    doc[PERSON] = data.customer.phone_hash
    docs = [doc]
    if data.gift:
        docs += await gift_notices(ctx, env, data, info, now)
    await plan_many(ctx, docs)
    ctx.wake("dispatch")


async def gift_notices(ctx: ServiceContext, env: Envelope, data: GreetingDue, info, now: datetime) -> list[dict]:
    """The account manager (else the branch's managers), once per greeting: "今天是客户王先生的生日，请准备小礼物"."""
    directory = ctx.state.directory
    member = await directory.member(data.account_manager_id) if data.account_manager_id else None
    if member and member.get("branch_id") == env.branch_id:
        people = [(data.account_manager_id, member)]
    else:
        people = [(m["_id"], m) for m in await directory.members(env.branch_id, "manager")]
    today = local_date(now, info.timezone) == data.on
    facts = {"customer_name": data.customer.name, "occasion_name": data.occasion_name, "branch_name": info.name,
             "day_label": "今天" if today else local_day(data.on, LOCALE), "on_local": local_day(data.on, LOCALE)}
    return [staff_notice(m, staff_id, kind=GIFT, entity=data.greeting_id, occurrence=data.on.isoformat(),
                         branch_id=env.branch_id, now=now, data=facts, wecom=sends_wecom(ctx))
            for staff_id, m in people]
