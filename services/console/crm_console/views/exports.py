"""Controlled exports (受控文件) of the leads list and the archives list: an "导出" on each list asks the API for
the list as it is filtered — masked and ready at once, or, for a manager, with full numbers (含完整号码) and a
purpose, pending another manager's approval. The exports screen lists the requester's own exports (managers:
the branch's), with the download links while an export is ready and not expired, its expiry, a manager's
approve/reject, and the destruction of the copies before a witness (销毁, 监销). Paths:
`/v1/lead-exports` and `/v1/archive-exports` (docs/contract.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.customers_common import ARCHIVE_STATUSES, CATEGORIES, TIERS, branch_screen, names
from crm_console.views.floor import GRADES, STATUSES, q, staff_of
from crm_console.views.leads import CHANNELS
from crm_console.views.manager_common import page
from crm_console.web import PREFIX, ConsoleRoute, Screen

router = APIRouter(prefix=f"{PREFIX}/exports", route_class=ConsoleRoute, include_in_schema=False)
HERE = f"{PREFIX}/exports"
ROLES = ("consultant", "reception", "manager", "admin")
MANAGERS = ("manager", "admin")
API = {"leads": "/v1/lead-exports", "archives": "/v1/archive-exports"}
KIND_ROLES = {"leads": ROLES, "archives": ("consultant", "manager", "admin")}
FORMATS = ("xlsx", "csv")
SHOWN = 100

i18n.register({
    "nav.exports": {"zh-CN": "导出记录", "en": "Exports"},
    "mgr.tab.exports": {"zh-CN": "导出审批", "en": "Exports"},
    "exp.title": {"zh-CN": "受控文件导出", "en": "Controlled exports"},
    "exp.hint": {"zh-CN": "导出的名单是受控文件：每份文件带有导出人、导出时间和编号水印，每次下载都有记录；"
                          "打码名单立即可下载，含完整号码的名单须由另一位经理审批；到期后不能再下载，纸质或电子副本销毁时须有同事监销。",
                 "en": "Exported lists are controlled files: each copy carries who exported it, when and its number, and "
                       "every download is recorded. Masked lists are ready at once; lists with full numbers need another "
                       "manager's approval. Nothing downloads after expiry; destroying the copies needs a witness."},
    "exp.export": {"zh-CN": "导出", "en": "Export"},
    "exp.export_hint": {"zh-CN": "按当前筛选条件导出名单（号码打码，立即可下载）。", "en": "Export the list as filtered (masked, ready at once)."},
    "exp.full": {"zh-CN": "含完整号码（须另一位经理审批）", "en": "With full numbers (another manager approves)"},
    "exp.purpose": {"zh-CN": "用途（含完整号码时必填）", "en": "Purpose (required with full numbers)"},
    "exp.kind.leads": {"zh-CN": "客户名单", "en": "Leads"},
    "exp.kind.archives": {"zh-CN": "顾客档案名单", "en": "Archives"},
    "exp.col.file": {"zh-CN": "文件", "en": "File"},
    "exp.col.requested_by": {"zh-CN": "申请人", "en": "Requested by"},
    "exp.col.created_at": {"zh-CN": "申请时间", "en": "Requested"},
    "exp.col.rows": {"zh-CN": "客户数", "en": "Customers"},
    "exp.col.numbers": {"zh-CN": "号码", "en": "Numbers"},
    "exp.col.filters": {"zh-CN": "筛选条件", "en": "Filters"},
    "exp.col.expires_at": {"zh-CN": "有效期至", "en": "Expires"},
    "exp.col.actions": {"zh-CN": "操作", "en": "Actions"},
    "exp.masked": {"zh-CN": "打码", "en": "Masked"},
    "exp.full_numbers": {"zh-CN": "完整号码", "en": "Full numbers"},
    "exp.status.pending_approval": {"zh-CN": "待审批", "en": "Awaiting approval"},
    "exp.status.ready": {"zh-CN": "可下载", "en": "Ready"},
    "exp.status.rejected": {"zh-CN": "已驳回", "en": "Rejected"},
    "exp.status.destroyed": {"zh-CN": "已销毁", "en": "Destroyed"},
    "exp.status.expired": {"zh-CN": "已过期", "en": "Expired"},
    "exp.no_filter": {"zh-CN": "全部", "en": "All"},
    "exp.after_approval": {"zh-CN": "审批后起算", "en": "From the approval"},
    "exp.download_xlsx": {"zh-CN": "下载 Excel", "en": "Download Excel"},
    "exp.download_csv": {"zh-CN": "下载 CSV", "en": "Download CSV"},
    "exp.approve": {"zh-CN": "批准", "en": "Approve"},
    "exp.reject": {"zh-CN": "驳回", "en": "Reject"},
    "exp.reject_reason": {"zh-CN": "驳回原因（驳回时必填）", "en": "Reason (required to reject)"},
    "exp.decision.approved": {"zh-CN": "已批准", "en": "Approved by"},
    "exp.decision.rejected": {"zh-CN": "已驳回", "en": "Rejected by"},
    "exp.destroy": {"zh-CN": "登记销毁", "en": "Record destruction"},
    "exp.witness": {"zh-CN": "监销人", "en": "Witness"},
    "exp.destroy_note": {"zh-CN": "销毁方式（可选，如碎纸、删除文件）", "en": "How (optional: shredded, deleted)"},
    "exp.destroyed_by": {"zh-CN": "{by} 销毁，{witness} 监销", "en": "Destroyed by {by}, witnessed by {witness}"},
    "exp.downloads": {"zh-CN": "下载 {n} 次", "en": "{n} downloads"},
    "exp.only_requester": {"zh-CN": "仅申请人可下载", "en": "Only the requester downloads"},
    "exp.made_ready": {"zh-CN": "名单已生成（{n} 位客户，号码打码），请在有效期内下载。",
                       "en": "The list is ready ({n} customers, masked): download it before it expires."},
    "exp.made_pending": {"zh-CN": "已提交含完整号码的导出申请（{n} 位客户），待另一位经理审批。",
                         "en": "Asked for the list with full numbers ({n} customers): another manager approves it."},
    "exp.approved": {"zh-CN": "已批准导出申请。", "en": "Export approved."},
    "exp.rejected": {"zh-CN": "已驳回导出申请。", "en": "Export rejected."},
    "exp.destroyed": {"zh-CN": "已登记销毁。", "en": "Destruction recorded."},
    "exp.mine": {"zh-CN": "这里显示您自己申请的导出。", "en": "Your own exports are shown."},
    "exp.new": {"zh-CN": "新生成", "en": "New"},
    "exp.err.purpose": {"zh-CN": "含完整号码的导出须填写用途。", "en": "Give the purpose of a list with full numbers."},
    "exp.err.reason": {"zh-CN": "驳回须填写原因。", "en": "Give the reason for rejecting."},
    "exp.err.witness": {"zh-CN": "请选择监销人。", "en": "Choose the witness."},
    "exp.err.kind": {"zh-CN": "没有这种导出。", "en": "No such export."},
    "exp.err.export-too-large": {"zh-CN": "名单超过 {max_rows} 位客户，请缩小筛选范围后再导出。",
                                 "en": "More than {max_rows} customers: narrow the filters."},
    "exp.err.approval-pending": {"zh-CN": "该导出尚待经理审批，暂不能下载。", "en": "Awaiting approval: not downloadable yet."},
    "exp.err.export-rejected": {"zh-CN": "该导出申请已被驳回，不能下载。", "en": "The export was rejected."},
    "exp.err.export-expired": {"zh-CN": "该导出已过有效期，不能再下载；如仍需要请重新导出。",
                               "en": "The export has expired; export again if still needed."},
    "exp.err.export-destroyed": {"zh-CN": "该导出已登记销毁，不能再下载。", "en": "The export was destroyed."},
    "exp.err.invalid-witness": {"zh-CN": "监销人须是另一位同事，不能是您本人。", "en": "The witness must be someone else."},
    "exp.err.unknown-witness": {"zh-CN": "请选择本案场在职的同事作为监销人。", "en": "Choose an active colleague of the branch."},
    "exp.err.wrong-status": {"zh-CN": "该导出的状态已变化（可能已被他人处理），请刷新后再试。",
                             "en": "The export's state changed (someone else acted): reload."},
    "exp.err.forbidden": {"zh-CN": "您不能进行此操作（申请人不能自己审批；仅申请人可下载；完整号码须由经理申请）。",
                          "en": "You may not do this (no approving one's own request; only the requester downloads; "
                                "full numbers are a manager's request)."},
})


def readable(s: Screen, exc: ApiError) -> str:
    key = f"exp.err.{exc.kind or ('forbidden' if exc.status == 403 else '')}"
    if s.t(key) != key:
        return s.t(key).format(max_rows=exc.body.get("max_rows", ""))
    if exc.status == 404:
        return s.t("error.not_found")
    lead = s.t("error.bad_input") if exc.status == 422 else s.t("common.error")
    return f"{lead}：{exc.message}" if exc.message else lead


def status_code_of(exc: ApiError) -> int:
    return exc.status if 400 <= exc.status < 500 else 502


def api_filters(kind: str, form: dict[str, str]) -> dict[str, Any]:
    """The list's filters (`f_<name>` fields of the export form) as the export's `filters`."""
    f = {k[2:]: str(v).strip() for k, v in form.items() if k.startswith("f_") and str(v).strip()}
    out: dict[str, Any] = {}
    if f.get("q"):
        out["q"] = f["q"][:100]
    if kind == "leads":
        if f.get("status") in STATUSES:
            out["status"] = f["status"]
        if f.get("grade") in GRADES:
            out["grade"] = f["grade"]
        if f.get("channel") in CHANNELS:
            out["channel"] = f["channel"]
        if f.get("owner") == "pool":
            out["pool"] = True
        elif f.get("owner"):
            out["owner_id"] = f["owner"][:64]
        if f.get("overdue", "").lower() == "true":
            out["overdue"] = True
    else:
        if f.get("tier") in TIERS:
            out["tier"] = f["tier"]
        if f.get("category") in CATEGORIES:
            out["category"] = f["category"]
        if f.get("status") in ARCHIVE_STATUSES:
            out["status"] = f["status"]
        if f.get("account_manager_id"):
            out["account_manager_id"] = f["account_manager_id"][:64]
        if f.get("frozen") in ("true", "false"):
            out["frozen"] = f["frozen"] == "true"
    return out


def filter_words(s: Screen, kind: str, filters: dict[str, Any], people: dict[str, str]) -> str:
    """An export's filters as a reader says them: words and names, never codes or ids."""
    parts = []
    for key, value in (filters or {}).items():
        if value in (None, "", False):
            continue
        if key == "q":
            parts.append(f"「{value}」")
        elif key == "status":
            parts.append(s.t(f"lead.status.{value}") if kind == "leads" else s.t(f"cust.status.{value}"))
        elif key == "grade":
            parts.append(f"{s.t('lead.grade')} {value}")
        elif key == "channel":
            parts.append(s.t(f"src.{value}"))
        elif key == "pool":
            parts.append(s.t("lead.pool"))
        elif key == "overdue":
            parts.append(s.t("lead.overdue"))
        elif key in ("owner_id", "account_manager_id"):
            parts.append(people.get(str(value)) or s.t("mgr.unknown_person"))
        elif key == "tier":
            parts.append(s.t(f"cust.tier.{value}"))
        elif key == "category":
            parts.append(s.t(f"cust.category.{value}"))
        elif key == "frozen":
            parts.append(s.t("cust.frozen") if value is True else s.t("cust.not_frozen"))
        elif key == "key_account":
            parts.append(s.t("cust.key_account"))
    return "、".join(p for p in parts if p) or s.t("exp.no_filter")


def _state(e: dict) -> str:
    return "expired" if e.get("status") == "ready" and e.get("expired") else e.get("status") or "pending_approval"


async def _exports(s: Screen) -> tuple[list[dict], str]:
    out, error = [], ""
    for kind, path in API.items():
        if s.user.role not in KIND_ROLES[kind]:
            continue
        try:
            page_ = await s.api.get(path, branch_id=s.user.branch_id, limit=SHOWN)
        except ApiError as exc:
            error = readable(s, exc)
            continue
        out += [e | {"kind": kind} for e in page_.get("items", [])]
    out.sort(key=lambda e: str(e.get("created_at") or ""), reverse=True)
    return out, error


async def _screen(request: Request) -> Screen:
    return await branch_screen(request, *ROLES)


async def _page(s: Screen, status_code: int = 200, **context: Any) -> Response:
    exports, list_error = await _exports(s)
    staff = await staff_of(s)
    people = names(staff)
    rows = []
    for e in exports:
        state = _state(e)
        mine = e.get("requested_by") == s.user.id
        rows.append(e | {"state": state, "mine": mine, "filters_text": filter_words(s, e["kind"], e.get("filters") or {}, people),
                         "can_download": mine and state == "ready",
                         "can_decide": s.user.role in MANAGERS and not mine and state == "pending_approval",
                         "can_destroy": (mine or s.user.role in MANAGERS) and state not in ("rejected", "destroyed")})
    witnesses = [p for p in staff if p.get("active", True) and p.get("id") != s.user.id]
    context = dict(exports=rows, list_error=context.pop("list_error", "") or list_error, witnesses=witnesses,
                   made=s.request.query_params.get("made", "")[:64], **context)
    if s.user.role in MANAGERS:
        return await page(s, "exports.html", "exports", status_code=status_code, **context)
    return s.render("exports.html", status_code=status_code, **context)


@router.get("")
async def exports_screen(request: Request) -> Response:
    return await _page(await _screen(request))


@router.post("")
async def request_export(request: Request, kind: Annotated[str, Form(max_length=20)] = "",
                         full_numbers: Annotated[str, Form(max_length=10)] = "",
                         purpose: Annotated[str, Form(max_length=500)] = "") -> Response:
    s = await _screen(request)
    if kind not in API or s.user.role not in KIND_ROLES[kind]:
        return await _page(s, 404 if kind not in API else 403, action_error=s.t("exp.err.kind" if kind not in API else "error.forbidden"))
    full = full_numbers == "true" and s.user.role in MANAGERS
    if full and not purpose.strip():
        return await _page(s, 422, action_error=s.t("exp.err.purpose"))
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    body: dict[str, Any] = {"branch_id": s.user.branch_id, "kind": kind, "filters": api_filters(kind, form),
                            "full_numbers": full}
    if purpose.strip():
        body["purpose"] = purpose.strip()
    try:
        made = await s.api.post(API[kind], body)
    except ApiError as exc:
        return await _page(s, status_code_of(exc), action_error=readable(s, exc))
    flash = s.t("exp.made_pending" if made.get("status") == "pending_approval" else "exp.made_ready").format(n=made.get("rows", 0))
    return s.redirect(f"{HERE}?made={q(made['id'])}", flash=flash)


def _kind(s: Screen, kind: str) -> None:
    if kind not in API:
        raise ApiError(404, "not found", s.t("exp.err.kind"), "not-found")


@router.get("/{kind}/{export_id}/file.{fmt}")
async def download(request: Request, kind: str, export_id: str, fmt: str) -> Response:
    """The watermarked list, generated and audited by the API at this download (the requester only)."""
    s = await branch_screen(request, *ROLES)
    if kind not in API or fmt not in FORMATS:
        return s.render("error.html", status_code=404, message=s.t("error.not_found"))
    try:
        r = await s.api.call("GET", f"{API[kind]}/{q(export_id[:64])}/file", params={"format": fmt}, raw=True)
    except ApiError as exc:
        return s.render("error.html", status_code=status_code_of(exc), message=readable(s, exc))
    return Response(r.content, media_type=r.headers.get("content-type"), headers={
        "Content-Disposition": r.headers.get("content-disposition", "attachment"), "Cache-Control": "no-store"})


@router.post("/{kind}/{export_id}/decision")
async def decide(request: Request, kind: str, export_id: str, decision: Annotated[str, Form(max_length=20)] = "",
                 reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    s = await _screen(request)
    _kind(s, kind)
    if decision not in ("approved", "rejected"):
        return await _page(s, 422, action_error=s.t("error.bad_input"), failed=export_id)
    if decision == "rejected" and not reason.strip():
        return await _page(s, 422, action_error=s.t("exp.err.reason"), failed=export_id)
    body = {"decision": decision} | ({"reason": reason.strip()} if reason.strip() else {})
    try:
        await s.api.post(f"{API[kind]}/{q(export_id[:64])}/decision", body)
    except ApiError as exc:
        return await _page(s, status_code_of(exc), action_error=readable(s, exc), failed=export_id)
    return s.redirect(HERE, flash=s.t("exp.approved" if decision == "approved" else "exp.rejected"))


@router.post("/{kind}/{export_id}/destroy")
async def destroy(request: Request, kind: str, export_id: str, witness_id: Annotated[str, Form(max_length=64)] = "",
                  note: Annotated[str, Form(max_length=500)] = "") -> Response:
    s = await _screen(request)
    _kind(s, kind)
    if not witness_id.strip():
        return await _page(s, 422, action_error=s.t("exp.err.witness"), failed=export_id)
    body = {"witness_id": witness_id.strip()} | ({"note": note.strip()} if note.strip() else {})
    try:
        await s.api.post(f"{API[kind]}/{q(export_id[:64])}/destroy", body)
    except ApiError as exc:
        return await _page(s, status_code_of(exc), action_error=readable(s, exc), failed=export_id)
    return s.redirect(HERE, flash=s.t("exp.destroyed"))
