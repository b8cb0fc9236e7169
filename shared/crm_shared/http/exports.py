"""The HTTP of a controlled export (受控文件), the same in every service that exports a customer list: request,
list, read, approve, download (audited), destroy. A service gives its own pieces — the path, what it lists, its
request body and its `service` module (create, download, name_of, witness_name, keep, EXPORTS, DOWNLOADS, TITLE,
EXPORTERS) — and mounts the router this builds (crm_shared.exports holds the rules and the file)."""

# No `from __future__ import annotations`: FastAPI reads the request body's class from the live annotation.

from types import ModuleType
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel

from crm_shared import exports
from crm_shared.exports import DecisionIn, DestroyIn, ExportOut
from crm_shared.http.auth import Principal, require_roles
from crm_shared.http.concurrency import idempotency_key, idempotent
from crm_shared.http.pagination import PageParams, fetch_page, page_params
from crm_shared.ids import utcnow
from crm_shared.plugins import ServiceContext, context_of

Status = Literal["pending_approval", "ready", "rejected", "destroyed"]
IdPath = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
BranchQuery = Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", max_length=63,
                                          description="A branch of the caller's (managers: the branch's exports).")]
FILE = {200: {"content": {exports.XLSX_MEDIA: {}, "text/csv": {}}, "description": "The watermarked list (受控文件)."},
        410: {"description": "`/export-expired` or `/export-destroyed`."}}


def export_router(*, plugin: str, prefix: str, noun: str, listed: str, body_model: type[BaseModel],
                  service: ModuleType, settings_prefix: str, who_exports: str) -> APIRouter:
    """`/v1/<prefix>`: `noun` ("leads", "archives") names the list in the docs, `listed` the list endpoint whose
    filters it takes, `who_exports` what a consultant may export."""
    router = APIRouter(prefix=prefix, tags=["exports"])
    Ctx = Annotated[ServiceContext, Depends(context_of(plugin))]
    Exporter = Annotated[Principal, require_roles(*service.EXPORTERS)]
    Approver = Annotated[Principal, require_roles(*exports.APPROVERS)]

    async def visible(c: ServiceContext, export_id: str, who: Principal) -> dict:
        return exports.visible(await c.db[service.EXPORTS].find_one({"_id": export_id}), who)

    async def request_export(body: body_model, c: Ctx, who: Exporter, response: Response,  # type: ignore[valid-type]
                             key: str | None = Depends(idempotency_key)) -> ExportOut:
        async def create() -> ExportOut:
            return exports.public(await service.create(c, body, who), utcnow())

        return await idempotent(c.db, who.sub, key, body, response, create)

    async def list_exports(c: Ctx, who: Exporter, page: PageParams = Depends(page_params),
                           branch_id: BranchQuery = None, status: Status | None = None) -> dict[str, Any]:
        docs, nxt = await fetch_page(c.db[service.EXPORTS], exports.list_query(who, branch_id, status), page,
                                     descending=True, projection=exports.HIDDEN)
        now = utcnow()
        return {"items": [exports.public(d, now).model_dump(mode="json") for d in docs], "next_cursor": nxt}

    async def get_export(export_id: IdPath, c: Ctx, who: Exporter) -> ExportOut:
        doc = await visible(c, export_id, who)
        log = await c.db[service.DOWNLOADS].find({"export_id": export_id}).sort("_id", -1).limit(100).to_list()
        return exports.public(doc, utcnow(), log)

    async def decide(export_id: IdPath, body: DecisionIn, c: Ctx, who: Approver) -> ExportOut:
        doc = await visible(c, export_id, who)
        new = await exports.decide(c.db[service.EXPORTS], doc, who, await service.name_of(c, who), body, utcnow(),
                                   service.keep(c))
        return exports.public(new, utcnow())

    async def download(export_id: IdPath, c: Ctx, who: Exporter,
                       format: Annotated[exports.Format, Query(description="`xlsx` (default) or `csv` (UTF-8 with BOM).")]
                       = "xlsx") -> Response:
        doc = await visible(c, export_id, who)
        content, media = await service.download(c, doc, who, format)
        return Response(content, media_type=media, headers={
            "Content-Disposition": exports.disposition(service.TITLE, export_id, format), "Cache-Control": "no-store"})

    async def destroy(export_id: IdPath, body: DestroyIn, c: Ctx, who: Exporter) -> ExportOut:
        doc = await visible(c, export_id, who)
        witness = await service.witness_name(c, doc["branch_id"], body.witness_id)
        new = await exports.destroy(c.db[service.EXPORTS], doc, who, await service.name_of(c, who), body, witness,
                                    utcnow())
        return exports.public(new, utcnow())

    router.add_api_route(
        "", request_export, methods=["POST"], status_code=201, summary=f"Export a list of {noun} (受控文件)",
        description=f"`branch_id`, `filters` as `GET {listed}`, `full_numbers`, `purpose` (required with full numbers). "
        "Masked: 201 `status: ready` at once. Full numbers (managers and admins only): 201 `status: pending_approval` "
        f"until another manager of the branch approves. {who_exports} 422 `export-too-large` past "
        f"`{settings_prefix}EXPORT_MAX_ROWS`. Accepts `Idempotency-Key`.")
    router.add_api_route("", list_exports, methods=["GET"], summary=f"Exports of {noun}, newest first",
                         description="Managers and admins: the branch's; everyone else: its own.")
    router.add_api_route("/{export_id}", get_export, methods=["GET"], summary="One export, with its download log")
    router.add_api_route(
        "/{export_id}/decision", decide, methods=["POST"], summary="Approve or reject an export with full numbers",
        description="A manager (or admin) of the branch who is not the requester: `decision` `approved` (ready, "
        f"expires after `{settings_prefix}EXPORT_EXPIRY_HOURS`) or `rejected` with `reason`. 409 `wrong-status` "
        "unless pending.")
    router.add_api_route(
        "/{export_id}/file", download, methods=["GET"], summary="Download the list (audited)", responses=FILE,
        description="The requester only, once ready and until `expires_at` (410 `export-expired`; after a destruction "
        "410 `export-destroyed`). Generated now, with the watermark 受控文件 · 导出人 · 导出时间 · 编号; every download is "
        "audited (who, when, rows, full or masked).")
    router.add_api_route(
        "/{export_id}/destroy", destroy, methods=["POST"], summary="Record the destruction of the copies (销毁, 监销)",
        description="The requester or a manager, with `witness_id` (another active staff member of the branch who "
        "witnessed it) and an optional `note`. Downloads are refused from then on. 409 `wrong-status` when rejected "
        "or already destroyed; 422 `unknown-witness` / `invalid-witness`.")
    return router
