"""Route: POST /v1/campaigns — one marketing message per recipient, each keyed by (campaign, recipient)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from crm_shared.errors import Invalid
from crm_shared.http.auth import CurrentPrincipal, Principal
from crm_shared.http.concurrency import idempotency_key, idempotent
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext
from crm_notify.access import EDITORS, allow
from crm_notify.campaigns.models import MAX_AUDIENCE, CampaignIn, CampaignOut
from crm_notify.contacts.service import consented
from crm_notify.dispatch.render import render_message
from crm_notify.messages.service import new_message, plan_many
from crm_notify.runtime import Ctx
from crm_notify.templates.engine import RenderError
from crm_notify.triggers.freezes import PERSON, person_of
from crm_notify.triggers.rules import message_key

router = APIRouter(tags=["campaigns"])


@router.post("/v1/campaigns", status_code=201, response_model=CampaignOut, summary="Schedule a marketing campaign")
async def create_campaign(
    body: CampaignIn, ctx: Ctx, response: Response, who: CurrentPrincipal,
    key: str | None = Depends(idempotency_key),
) -> CampaignOut:
    allow(who, body.branch_id, EDITORS)
    return await idempotent(ctx.db, who.sub, key, body, response, lambda: _create(ctx, body, who))


async def _create(ctx: ServiceContext, body: CampaignIn, who: Principal) -> CampaignOut:
    now, campaign_id = utcnow(), uuid7()
    if body.audience.consented_contacts:
        field = "phone" if body.channel == "sms" else "email"
        recipients = [(c[field], c.get("name", ""), c.get("phone"))
                      for c in await consented(ctx.db, body.branch_id, body.channel, MAX_AUDIENCE) if c.get(field)]
    else:
        recipients = [(to, "", to if body.channel == "sms" else None) for to in body.audience.to or []]

    def doc(to: str, name: str, phone: str | None) -> dict:
        data = {"customer_name": name, **body.data}
        return new_message(key=message_key("campaign", campaign_id, body.channel, to, "1"), kind="campaign",
                           entity=campaign_id, branch_id=body.branch_id, channel=body.channel, to=to,
                           category="marketing", due_at=body.send_at, now=now, template=body.template, data=data,
                           locale=body.locale, campaign_id=campaign_id, **{PERSON: person_of(ctx, phone)})

    docs = [doc(to, name, phone) for to, name, phone in recipients]
    if docs:
        try:  # one sample render: a template error is the caller's 422, not 10,000 failures later
            await render_message(ctx.db, ctx.config, docs[0], await ctx.state.directory.branch(body.branch_id))
        except RenderError as exc:
            raise Invalid(str(exc), "render-failed", loc=["body", "template"]) from None
    await ctx.db["campaigns"].insert_one({"_id": campaign_id, "branch_id": body.branch_id, "name": body.name,
                                          "template": body.template, "channel": body.channel, "send_at": body.send_at,
                                          "recipients": len(docs), "created_by": who.sub, "created_at": now})
    for start in range(0, len(docs), 1000):
        await plan_many(ctx, docs[start:start + 1000])
    return CampaignOut(id=campaign_id, status="scheduled", recipients=len(docs))
