"""HTTP of archives (顾客档案) and key accounts (重点客户): request parsing, scope and roles; the rules live in
`service.py`, `tiers.py`, `opening.py` and `rules.py`."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile

from crm_shared.aggregates import hidden
from crm_shared.events.customers import Category, Tier
from crm_shared.http.auth import Principal, require_roles
from crm_shared.http.concurrency import idempotency_key, idempotent, if_match_version
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext, context_of
from crm_shared.sheets import read as read_sheet
from crm_shared.text import Line

from crm_customers.archives import imports, privacy, service, tiers
from crm_customers.archives.models import (BRANCH_FIELD, ID_FIELD, ArchiveIn, ArchiveOut, ArchivePatch, IdPath, Level,
                                           OpenedOut, ReasonIn, ReviewIn, Status, TierDecisionIn, TierIn)

router = APIRouter(tags=["archives"])
Ctx = Annotated[ServiceContext, Depends(context_of("customers"))]
Expected = Annotated[int | None, Depends(if_match_version)]
Branch = Annotated[str | None, Query(**BRANCH_FIELD)]
Readers = Annotated[Principal, require_roles(*service.READERS)]
Managers = Annotated[Principal, require_roles(*service.MANAGERS)]
EXISTS = {409: {"description": "`/archive-exists` with `existing_archive_id` and `existing_number`."}}


async def _one(c: ServiceContext, doc: dict, others: list[str] | None = None) -> ArchiveOut:
    ids = {doc.get("account_manager_id"), (doc.get("marketing_consent") or {}).get("by")}
    return service.public(doc, await service.staff_names(c, ids), others=others)


@router.post("/v1/archives", status_code=201, response_model=OpenedOut, responses=EXISTS,
             summary="Open an archive (建档)",
             description="Consultant (the archive is its own) or manager (any account manager of the branch, default "
             "itself). One archive per person (phone) and branch: 409 `/archive-exists` naming it. Numbered per "
             "branch `DA-000123`. Status `pending_review` until a manager reviews it. A consultant's `core`/`key` "
             "tier becomes a tier request (`tier_request_id`). Accepts `Idempotency-Key`. Publishes `archive.opened`.")
async def open_archive(body: ArchiveIn, c: Ctx, response: Response, who: Readers,
                       key: str | None = Depends(idempotency_key)) -> OpenedOut:
    who.require_branch(body.branch_id)

    async def create() -> OpenedOut:
        doc = await service.open_by_staff(c, body, who)
        request_id = None
        if body.tier and body.tier != doc["tier"]:
            request_id = (await tiers.request(c, doc, TierIn(tier=body.tier), who))["_id"]
        out = await _one(c, doc)
        return OpenedOut(**out.model_dump(), tier_request_id=request_id)

    return await idempotent(c.db, who.sub, key, body, response, create)


@router.get("/v1/archives", summary="List archives (phones masked)",
            description="Newest first, in the caller's branches; a consultant sees only those it manages. "
            "`review_overdue=true` with `status=pending_review`: the reviews past due (the manager's day). `q`: last "
            "four digits, a mask, a full number, or part of the name.")
async def list_archives(
    c: Ctx, who: Readers, page: PageParams = Depends(page_params), branch_id: Branch = None,
    tier: Tier | None = None, category: Category | None = None, status: Status | None = None,
    account_manager_id: Annotated[str | None, Query(**ID_FIELD)] = None, frozen: bool | None = None,
    review_overdue: bool | None = None, key_account: Level | None = None,
    q: Annotated[Line(100) | None, Query(description="Digits, mask, number or name.")] = None,
) -> dict:
    query = who.branch_filter(branch_id)
    query |= {k: v for k, v in (("tier", tier), ("category", category), ("status", status), ("frozen", frozen),
                                ("account_manager_id", account_manager_id), ("key_account.level", key_account))
              if v is not None}
    now = utcnow()
    if review_overdue is not None:
        query |= {"status": "pending_review", "review_due_at": {"$lt": now} if review_overdue else {"$gte": now}}
    if q:
        query |= service.text_query(c, q)
    if who.role == "consultant":
        if account_manager_id not in (None, who.sub):
            return {"items": [], "next_cursor": None}
        query["account_manager_id"] = who.sub
    docs, nxt = await fetch_page(c.aggregate(service.ARCHIVES).collection, query, page, descending=True,
                                 projection=hidden())
    names = await service.staff_names(c, {d.get("account_manager_id") for d in docs}
                                      | {(d.get("marketing_consent") or {}).get("by") for d in docs})
    return {"items": [service.public(d, names, now).model_dump(mode="json") for d in docs], "next_cursor": nxt}


@router.get("/v1/archives/audit", summary="Audit of full-number reveals of archives, newest first",
            description="Managers and admins: who saw which customer's full number, when and why.")
async def list_audit(c: Ctx, who: Managers, branch_id: Annotated[str, Query(**BRANCH_FIELD)],
                     archive_id: Annotated[str | None, Query(**ID_FIELD)] = None,
                     page: PageParams = Depends(page_params)) -> dict:
    who.require_branch(branch_id)
    query = {"branch_id": branch_id} | ({"archive_id": archive_id} if archive_id else {})
    docs, nxt = await fetch_page(c.db[privacy.AUDIT], query, page, descending=True)
    names = await service.staff_names(c, {d.get("actor_id") for d in docs})
    return {"items": [privacy.public(d, names) for d in docs], "next_cursor": nxt}


@router.post("/v1/archives/import", summary="Import existing owners (老业主) from the office's sheet",
             description="Managers. Multipart `file` (.xlsx, or .csv in UTF-8 or GBK) and `branch_id`. Headers 姓名 电话 "
             "(required) 生日 房号 类别 (业主/意向客户/会员) 等级 (核心/重点/一般) 客户经理 (a colleague's name) 工作单位 职务 "
             "地址 家庭 爱好 交房日期 同意营销短信 (是/否; blank: not given), or English. Per-row report: `opened` (number), `exists` (the person's archive), "
             "`duplicate_in_sheet`, `invalid` (why); warnings for cells left empty. 422 `missing-columns`, "
             "`empty-sheet`, `too-many-rows`.")
async def import_archives(c: Ctx, who: Managers, file: Annotated[UploadFile, File(description="The sheet.")],
                          branch_id: Annotated[str, Form(**BRANCH_FIELD)]) -> dict:
    who.require_branch(branch_id)
    name = (file.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200]
    sheet = await asyncio.to_thread(read_sheet, await file.read(), name, imports.COLUMNS,
                                    c.config.archive_import_max_rows)
    return await imports.run(c, branch_id, sheet, who)


@router.get("/v1/archives/{archive_id}", response_model=ArchiveOut, summary="One archive",
            description="The card, tier, status, frozen, the latest evaluation and `other_branches`: the names of the "
            "other branches where the same person has an archive (never their content).")
async def get_archive(archive_id: IdPath, c: Ctx, who: Readers) -> ArchiveOut:
    doc = await service.get_scoped(c, archive_id, who)
    return await _one(c, doc, await service.other_branches(c, doc))


@router.patch("/v1/archives/{archive_id}", response_model=ArchiveOut, summary="Change an archive",
              description="Account manager or manager: card fields (each replaces its value), customer name and "
              "birthday, category, `marketing_consent` (recorded with who and when); a manager also the account manager and the tier (the branch's list). A returned "
              "archive goes back to review. `If-Match: <version>` → 412 when stale.")
async def patch_archive(archive_id: IdPath, body: ArchivePatch, c: Ctx, expected: Expected, who: Readers) -> ArchiveOut:
    doc = await service.get_scoped(c, archive_id, who)
    return await _one(c, await service.patch(c, doc, body, expected, who))


@router.post("/v1/archives/{archive_id}/review", response_model=ArchiveOut, summary="Review a new archive",
             description="Manager: `approved` (→ `active`) or `returned` (→ `returned`, to be corrected). 409 "
             "`wrong-status` unless pending review.")
async def review_archive(archive_id: IdPath, body: ReviewIn, c: Ctx, expected: Expected, who: Managers) -> ArchiveOut:
    doc = await service.get_scoped(c, archive_id, who)
    return await _one(c, await service.review(c, doc, body.decision, body.note, expected, who))


@router.post("/v1/archives/{archive_id}/freeze", response_model=ArchiveOut, summary="Freeze an archive (冻结)",
             description="Manager, with `reason`: no marketing, greetings or revisits for it, in this branch only "
             "(the person's archives elsewhere are untouched). Freezing a frozen archive changes nothing.")
async def freeze(archive_id: IdPath, body: ReasonIn, c: Ctx, expected: Expected, who: Managers) -> ArchiveOut:
    doc = await service.get_scoped(c, archive_id, who)
    return await _one(c, await service.set_frozen(c, doc, True, body.reason, expected, who))


@router.post("/v1/archives/{archive_id}/unfreeze", response_model=ArchiveOut, summary="Unfreeze an archive",
             description="Manager, with `reason`.")
async def unfreeze(archive_id: IdPath, body: ReasonIn, c: Ctx, expected: Expected, who: Managers) -> ArchiveOut:
    doc = await service.get_scoped(c, archive_id, who)
    return await _one(c, await service.set_frozen(c, doc, False, body.reason, expected, who))


@router.get("/v1/archives/{archive_id}/phone", summary="Reveal the full number (audited)",
            description="The account manager and managers. An audit record is written before the number is returned "
            "(`GET /v1/archives/audit`). 409 `no-full-number` when only the mask is on file.")
async def reveal_phone(archive_id: IdPath, c: Ctx, who: Readers,
                       reason: Annotated[Line(200) | None, Query(description="Why the number is needed.")] = None) -> dict:
    doc = await service.get_scoped(c, archive_id, who)
    return {"archive_id": archive_id, "phone": await privacy.reveal(c, doc, who, reason)}


@router.post("/v1/archives/{archive_id}/tier-requests", status_code=201, summary="Ask for a tier (重点客户申请)",
             description="The account manager (or a manager): `tier`, `level` (`branch`: the branch's list, decided by "
             "its manager; `group`: the group's, decided by an admin), `account_manager_id`, `reason`. 409 "
             "`no-change`. Publishes `archive.tier_requested`.")
async def request_tier(archive_id: IdPath, body: TierIn, c: Ctx, who: Readers) -> dict:
    doc = await service.get_scoped(c, archive_id, who)
    req = await tiers.request(c, doc, body, who)
    return tiers.public_request(req, await service.staff_names(c, {req["account_manager_id"], who.sub}))


@router.post("/v1/archives/{archive_id}/tier", response_model=ArchiveOut, summary="Set a tier directly",
             description="A manager on the branch's list, an admin on either list; an archive on the group's list is "
             "an admin's. Publishes `archive.tier_changed`.")
async def set_tier(archive_id: IdPath, body: TierIn, c: Ctx, expected: Expected, who: Managers) -> ArchiveOut:
    doc = await service.get_scoped(c, archive_id, who)
    return await _one(c, await tiers.set_tier(c, doc, body, who, expected))


@router.get("/v1/tier-requests", summary="Tier requests, newest first",
            description="Managers and admins see the branch's; a consultant those it filed or that name it.")
async def list_tier_requests(c: Ctx, who: Readers, branch_id: Branch = None, level: Level | None = None,
                             status: Annotated[str | None, Query(pattern="^(pending|approved|rejected)$")] = None,
                             page: PageParams = Depends(page_params)) -> dict:
    query = who.branch_filter(branch_id) | {k: v for k, v in (("level", level), ("status", status)) if v}
    if who.role == "consultant":
        query["requested_by"] = who.sub
    docs, nxt = await fetch_page(c.aggregate(tiers.REQUESTS).collection, query, page, descending=True,
                                 projection=hidden())
    names = await service.staff_names(c, {i for d in docs for i in (d.get("account_manager_id"), d.get("requested_by"))})
    return {"items": [tiers.public_request(d, names) for d in docs], "next_cursor": nxt}


@router.post("/v1/tier-requests/{request_id}/decision", summary="Decide a tier request",
             description="`approved` applies the tier and account manager to the archive (`archive.tier_changed`); "
             "`rejected` keeps it. A branch-level request is its manager's (or an admin's), a group-level one an "
             "admin's (403 otherwise). 409 `wrong-status` once decided.")
async def decide_tier(request_id: IdPath, body: TierDecisionIn, c: Ctx, who: Managers) -> dict:
    req = await tiers.get_request(c, request_id, who)
    done = await tiers.decide(c, req, body.decision, body.note, who)
    return tiers.public_request(done, await service.staff_names(c, {done.get("account_manager_id"), done.get("requested_by")}))


@router.get("/v1/key-accounts", summary="Key accounts (重点客户) with their account managers",
            description="The branch's (`level=branch`) and the group's (`level=group`) lists, both by default, with "
            "the account managers' names; in the caller's branches; a consultant sees those it manages.")
async def key_accounts(c: Ctx, who: Readers, branch_id: Branch = None, level: Level | None = None,
                       tier: Tier | None = None, page: PageParams = Depends(page_params)) -> dict:
    query = who.branch_filter(branch_id)
    query["key_account.level"] = level or {"$in": ["branch", "group"]}
    if tier:
        query["tier"] = tier
    if who.role == "consultant":
        query["account_manager_id"] = who.sub
    docs, nxt = await fetch_page(c.aggregate(service.ARCHIVES).collection, query, page, descending=True,
                                 projection=hidden())
    names = await service.staff_names(c, {i for d in docs for i in (d.get("account_manager_id"),
                                                                   (d.get("key_account") or {}).get("approved_by"))})
    return {"items": [tiers.key_account_item(d, names) for d in docs], "next_cursor": nxt}

