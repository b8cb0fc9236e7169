"""greeting.due (customers) -> the greeting SMS with notify's greeting templates: a birthday, an important date from
the archive's card, or a statutory holiday, naming the customer and the branch.

Marketing: at send time the branch's opt-outs, marketing consent (`POST /v1/contacts`), a frozen archive of the
person in the branch and quiet hours (deferred to their end) apply. One message per `greeting_id`, however often the
event comes.
"""

from __future__ import annotations

from crm_shared.events import Envelope
from crm_shared.events.customers import GreetingDue
from crm_shared.ids import utcnow
from crm_shared.phones import unseal
from crm_shared.plugins import ServiceContext
from crm_notify.messages.service import plan_many
from crm_notify.triggers.freezes import PERSON
from crm_notify.triggers.planner import keyed

TEMPLATES = {"birthday": "birthday_greeting", "important_date": "important_date_greeting", "holiday": "holiday_greeting"}


async def on_greeting_due(ctx: ServiceContext, env: Envelope, data: GreetingDue) -> None:
    info = await ctx.state.directory.branch(env.branch_id)
    now = utcnow()
    phone = unseal(data.customer.phone_sealed, ctx.settings.phone_seal_key)
    words = {"customer_name": data.customer.name, "branch_name": info.name, "occasion_name": data.occasion_name,
             "holiday": data.occasion_name}
    doc = keyed(kind="greeting", template=TEMPLATES[data.occasion], entity=data.greeting_id, channel="sms", to=phone,
                recipient=data.customer.phone_hash, occurrence=data.on.isoformat(), branch_id=env.branch_id, due_at=now,
                now=now, data=words, category="marketing")
    doc[PERSON] = data.customer.phone_hash
    await plan_many(ctx, [doc])
    ctx.wake("dispatch")
