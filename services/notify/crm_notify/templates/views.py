"""Routes: PUT /v1/templates/{key}, GET /v1/templates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from crm_shared.errors import Forbidden, Invalid
from crm_shared.events import BRANCH_ID_PATTERN
from crm_shared.http.auth import CurrentPrincipal, Principal, require_roles
from crm_notify.access import EDITORS, allow
from crm_notify.runtime import Ctx
from crm_notify.templates import service
from crm_notify.templates.models import KEY_PATTERN, TemplateIn, TemplateOut

router = APIRouter(tags=["templates"])


def _out(t: service.ResolvedTemplate, segments: int | None = None, warnings: list[str] | None = None) -> TemplateOut:
    return TemplateOut(key=t.key, channel=t.channel, locale=t.locale, subject=t.subject, body=t.body,  # type: ignore[arg-type]
                       branch_id=t.branch_id, source=t.source, version=t.version, segments=segments,  # type: ignore[arg-type]
                       warnings=warnings or [])


@router.put("/v1/templates/{key}", response_model=TemplateOut, summary="Create or replace a template",
            responses={422: {"description": "Syntax error, unknown variable, or SMS too long"}})
async def put_template(
    body: TemplateIn, ctx: Ctx,
    key: Annotated[str, Path(max_length=64, pattern=KEY_PATTERN)],
    who: CurrentPrincipal,
) -> TemplateOut:
    if body.branch_id:
        allow(who, body.branch_id, EDITORS)
    elif who.role != "admin":
        raise Forbidden("only an admin may change a template for every branch; give branch_id")
    subject = body.subject if body.channel == "email" else None
    try:
        segments, warnings = service.validate(key, body.channel, subject, body.body, ctx.config.signature_for(body.branch_id))
    except service.RenderError as exc:
        raise Invalid(str(exc), "template-invalid", loc=["body", "body"]) from None
    if segments is not None and segments > ctx.config.sms_max_segments:
        raise Invalid(f"renders to {segments} SMS parts; the maximum is {ctx.config.sms_max_segments}", "sms-too-long")
    if segments and segments > 1:
        warnings.append(f"renders to {segments} SMS parts with sample data")
    doc = await service.store(ctx.db, key, body.channel, body.locale, subject, body.body, body.branch_id, who.sub)
    return _out(service._resolved(doc), segments, warnings)


@router.get("/v1/templates", summary="Templates in effect: built-ins, global and branch overrides")
async def list_templates(
    ctx: Ctx, who: Principal = require_roles(*EDITORS),
    branch_id: Annotated[str | None, Query(pattern=BRANCH_ID_PATTERN)] = None,
    key: Annotated[str | None, Query(max_length=64, pattern=KEY_PATTERN)] = None,
) -> dict:
    if branch_id:
        who.require_branch(branch_id)
    items = await service.listing(ctx.db, branch_id, key)
    return {"items": [_out(t).model_dump() for t in items], "next_cursor": None}
