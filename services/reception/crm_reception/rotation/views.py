"""HTTP: `GET /v1/rotation/{branch_id}`, `POST .../join`, `POST .../leave`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from crm_shared.errors import Forbidden
from crm_shared.http.auth import Principal, require_roles
from crm_shared.text import Day
from crm_reception.common import READERS, STAFF, BranchPath, Ctx, require_member
from crm_reception.rotation import rules, service
from crm_reception.rotation.models import QueueChange, RotationPublic
from crm_reception.visits import queue

router = APIRouter(prefix="/v1/rotation", tags=["rotation"])


@router.get("/{branch_id}", summary="Today's rotation (轮排) queue and who is next",
            description="Queue of present consultants, longest-waiting first; `next` skips busy ones. Staff and "
                        "integrators; partners 403 (the front-desk queue is internal to the office).")
async def show(branch_id: BranchPath, c: Ctx, who: Principal = require_roles(*READERS),
               day: Annotated[Day | None, Query(alias="date", description="Branch-local day; today by default.")] = None,
               ) -> RotationPublic:
    who.require_branch(branch_id)
    doc = await service.load(c, branch_id, day or await service.today(c, branch_id), create=False)
    return RotationPublic(**service.public(doc))


def _may_change(who: Principal, consultant_id: str) -> None:
    if who.role == "consultant" and who.sub != consultant_id:
        raise Forbidden("a consultant may only join or leave the queue themselves")


@router.post("/{branch_id}/join", summary="A consultant joins today's queue",
             description="Joining puts the consultant behind everyone present; joining twice changes nothing. "
                         "A consultant joining takes the longest-waiting visitor they may serve at once (a visitor "
                         "waiting for them, or for the rotation). Only active consultants of the branch (from "
                         "`staff.joined`) may join.")
async def join(branch_id: BranchPath, body: QueueChange, c: Ctx,
               who: Principal = require_roles(*STAFF)) -> RotationPublic:
    who.require_branch(branch_id)
    _may_change(who, body.consultant_id)
    await require_member(c, branch_id, body.consultant_id, "unknown-consultant", ["body", "consultant_id"])
    day = await service.today(c, branch_id)
    doc, _ = await service.apply(c, branch_id, day, lambda s: (rules.join(s, body.consultant_id), None))
    if await queue.dispatch(c, branch_id, day):  # the longest-waiting visitors they may take
        doc = await service.load(c, branch_id, day)
    return RotationPublic(**service.public(doc))


@router.post("/{branch_id}/leave", summary="A consultant leaves today's queue",
             description="The consultant stops receiving walk-ins; a visitor they are serving stays theirs. "
                         "422 `unknown-consultant` for anyone who never was a consultant of the branch.")
async def leave(branch_id: BranchPath, body: QueueChange, c: Ctx,
                who: Principal = require_roles(*STAFF)) -> RotationPublic:
    who.require_branch(branch_id)
    _may_change(who, body.consultant_id)
    await require_member(c, branch_id, body.consultant_id, "unknown-consultant", ["body", "consultant_id"], active=False)
    day = await service.today(c, branch_id)
    doc, _ = await service.apply(c, branch_id, day, lambda s: (rules.leave(s, body.consultant_id), None))
    return RotationPublic(**service.public(doc))
