"""HTTP of archive exports (`/v1/archive-exports`): request, approve, download, destroy."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from crm_shared import exports
from crm_shared.exports import DecisionIn, DestroyIn, ExportOut
from crm_shared.http.auth import Principal, require_roles
from crm_shared.http.concurrency import idempotency_key, idempotent
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.ids import utcnow

from crm_shared.plugins import ServiceContext, context_of

from crm_customers.archives.models import BRANCH_FIELD, IdPath
from crm_customers.exports import service
from crm_customers.exports.models import ArchiveExportIn

router = APIRouter(prefix="/v1/archive-exports", tags=["exports"])
Ctx = Annotated[ServiceContext, Depends(context_of("customers"))]
Exporter = Annotated[Principal, require_roles(*service.EXPORTERS)]
Approver = Annotated[Principal, require_roles(*exports.APPROVERS)]
Status = Literal["pending_approval", "ready", "rejected", "destroyed"]
FILE = {200: {"content": {exports.XLSX_MEDIA: {}, "text/csv": {}}, "description": "The watermarked list (受控文件)."},
        410: {"description": "`/export-expired` or `/export-destroyed`."}}


async def _visible(c: Ctx, export_id: str, who: Principal) -> dict:
    return exports.visible(await c.db[service.EXPORTS].find_one({"_id": export_id}), who)


@router.post("", status_code=201, summary="Export a list of archives (受控文件)",
             description="`branch_id`, `filters` as `GET /v1/archives`, `full_numbers`, `purpose` (required with full "
             "numbers). Masked: 201 `status: ready` at once. Full numbers (managers and admins only): 201 `status: "
             "pending_approval` until another manager of the branch approves. Consultants export only the archives "
             "they manage (masked). 422 `export-too-large` past `CRM_CUSTOMERS__EXPORT_MAX_ROWS`. Accepts `Idempotency-Key`.")
async def request_export(body: ArchiveExportIn, c: Ctx, who: Exporter, response: Response,
                         key: str | None = Depends(idempotency_key)) -> ExportOut:
    async def create() -> ExportOut:
        return exports.public(await service.create(c, body, who), utcnow())

    return await idempotent(c.db, who.sub, key, body, response, create)


@router.get("", summary="Archive exports, newest first",
            description="Managers and admins: the branch's; everyone else: its own.")
async def list_exports(c: Ctx, who: Exporter, page: PageParams = Depends(page_params),
                       branch_id: Annotated[str | None, Query(**BRANCH_FIELD)] = None,
                       status: Status | None = None) -> dict:
    docs, nxt = await fetch_page(c.db[service.EXPORTS], exports.list_query(who, branch_id, status), page,
                                 descending=True, projection=exports.HIDDEN)
    now = utcnow()
    return {"items": [exports.public(d, now).model_dump(mode="json") for d in docs], "next_cursor": nxt}


@router.get("/{export_id}", summary="One archive export, with its download log")
async def get_export(export_id: IdPath, c: Ctx, who: Exporter) -> ExportOut:
    doc = await _visible(c, export_id, who)
    log = await c.db[service.DOWNLOADS].find({"export_id": export_id}).sort("_id", -1).limit(100).to_list()
    return exports.public(doc, utcnow(), log)


@router.post("/{export_id}/decision", summary="Approve or reject an export with full numbers",
             description="A manager (or admin) of the branch who is not the requester: `decision` `approved` (ready, "
             "expires after `CRM_CUSTOMERS__EXPORT_EXPIRY_HOURS`) or `rejected` with `reason`. 409 `wrong-status` unless "
             "pending.")
async def decide(export_id: IdPath, body: DecisionIn, c: Ctx, who: Approver) -> ExportOut:
    doc = await _visible(c, export_id, who)
    new = await exports.decide(c.db[service.EXPORTS], doc, who, await service.name_of(c, who), body, utcnow(),
                               service.keep(c))
    return exports.public(new, utcnow())


@router.get("/{export_id}/file", summary="Download the list (audited)", responses=FILE,
            description="The requester only, once ready and until `expires_at` (410 `export-expired`; after a "
            "destruction 410 `export-destroyed`). Generated now, with the watermark 受控文件 · 导出人 · 导出时间 · 编号; "
            "every download is audited (who, when, rows, full or masked).")
async def download(export_id: IdPath, c: Ctx, who: Exporter,
                   format: Annotated[exports.Format, Query(description="`xlsx` (default) or `csv` (UTF-8 with BOM).")] = "xlsx"
                   ) -> Response:
    doc = await _visible(c, export_id, who)
    content, media = await service.download(c, doc, who, format)
    return Response(content, media_type=media, headers={
        "Content-Disposition": exports.disposition(service.TITLE, export_id, format), "Cache-Control": "no-store"})


@router.post("/{export_id}/destroy", summary="Record the destruction of the copies (销毁, 监销)",
             description="The requester or a manager, with `witness_id` (another active staff member of the branch "
             "who witnessed it) and an optional `note`. Downloads are refused from then on. 409 `wrong-status` when "
             "rejected or already destroyed; 422 `unknown-witness` / `invalid-witness`.")
async def destroy(export_id: IdPath, body: DestroyIn, c: Ctx, who: Exporter) -> ExportOut:
    doc = await _visible(c, export_id, who)
    witness = await service.witness_name(c, doc["branch_id"], body.witness_id)
    new = await exports.destroy(c.db[service.EXPORTS], doc, who, await service.name_of(c, who), body, witness, utcnow())
    return exports.public(new, utcnow())
