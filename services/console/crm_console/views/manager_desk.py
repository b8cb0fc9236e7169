"""Manager board, the decisions: attribution disputes (判客), business receptions to approve (接待审批),
and the audit log of full-phone reveals (客户信息保密)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.floor import if_match, q
from crm_console.views.manager_common import board, failure, page, staff_names
from crm_console.web import PREFIX, ConsoleRoute, Screen

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
SHOWN = 100
OPEN_RECEPTIONS = ("pending", "awaiting_general_manager")
DONE = {"approve": "mgr.reception.approved", "reject": "mgr.reception.rejected"}

i18n.register({
    "mgr.disputes": {"zh-CN": "判客争议", "en": "Attribution disputes"},
    "mgr.dispute.report": {"zh-CN": "报备", "en": "Report"},
    "mgr.dispute.customer": {"zh-CN": "客户", "en": "Customer"},
    "mgr.dispute.raised_by": {"zh-CN": "申诉方", "en": "Raised by"},
    "mgr.dispute.claim": {"zh-CN": "申诉理由", "en": "Claim"},
    "mgr.dispute.deadline": {"zh-CN": "处理截止", "en": "Decide by"},
    "mgr.dispute.winner": {"zh-CN": "判给", "en": "Winner"},
    "mgr.dispute.nobody": {"zh-CN": "无（归案场自然客户）", "en": "Nobody (the office's own customer)"},
    "mgr.dispute.decide": {"zh-CN": "提交判定", "en": "Decide"},
    "mgr.dispute.decided": {"zh-CN": "已判定：{winner}（{reason}）", "en": "Decided: {winner} ({reason})"},
    "mgr.dispute.done": {"zh-CN": "争议已判定。", "en": "Dispute decided."},
    "mgr.dispute.reason_hint": {"zh-CN": "判定依据，如到访记录、带看记录", "en": "Why: visit records, showing records"},
    "mgr.dispute.status.open": {"zh-CN": "待处理", "en": "Open"},
    "mgr.dispute.status.decided": {"zh-CN": "已判定", "en": "Decided"},
    "mgr.dispute.side": {"zh-CN": "报备方", "en": "Side"},
    "mgr.dispute.partner": {"zh-CN": "渠道", "en": "Partner"},
    "mgr.dispute.state": {"zh-CN": "报备状态", "en": "Report status"},
    "mgr.dispute.role.disputing": {"zh-CN": "申诉报备", "en": "Disputing report"},
    "mgr.dispute.role.competing": {"zh-CN": "对方报备", "en": "Competing report"},
    "mgr.dispute.choose": {"zh-CN": "请选择判给哪一方", "en": "Choose who wins"},
    "mgr.err.winner": {"zh-CN": "请选择判给哪一方（或判给案场）。", "en": "Choose who wins (or nobody)."},
    "mgr.overdue": {"zh-CN": "已超期", "en": "Overdue"},
    "mgr.receptions": {"zh-CN": "待审批的接待申请", "en": "Receptions to approve"},
    "mgr.reception.class": {"zh-CN": "{cls} 类接待", "en": "Class {cls}"},
    "mgr.reception.guests": {"zh-CN": "来宾", "en": "Guests"},
    "mgr.reception.when": {"zh-CN": "时间", "en": "When"},
    "mgr.reception.purpose": {"zh-CN": "事由", "en": "Purpose"},
    "mgr.reception.budget": {"zh-CN": "餐标（元/人）", "en": "Budget per head (CNY)"},
    "mgr.reception.host": {"zh-CN": "接待人", "en": "Host"},
    "mgr.reception.requested_by": {"zh-CN": "申请人", "en": "Requested by"},
    "mgr.reception.resources": {"zh-CN": "资源", "en": "Resources"},
    "mgr.reception.approvals": {"zh-CN": "已审批", "en": "Approved so far"},
    "mgr.reception.status.pending": {"zh-CN": "待部门负责人审批", "en": "Awaiting department head"},
    "mgr.reception.status.awaiting_general_manager": {"zh-CN": "待总经理审批", "en": "Awaiting general manager"},
    "mgr.reception.approve": {"zh-CN": "批准", "en": "Approve"},
    "mgr.reception.reject": {"zh-CN": "驳回", "en": "Reject"},
    "mgr.reception.note": {"zh-CN": "审批意见（可选）", "en": "Note (optional)"},
    "mgr.reception.reject_reason": {"zh-CN": "驳回原因（必填）", "en": "Reason (required)"},
    "mgr.reception.approved": {"zh-CN": "已批准该接待申请。", "en": "Reception approved."},
    "mgr.reception.rejected": {"zh-CN": "已驳回该接待申请。", "en": "Reception rejected."},
    "mgr.audit": {"zh-CN": "审计日志（完整手机号查看记录）", "en": "Audit log (full phone reveals)"},
    "mgr.audit.actor": {"zh-CN": "操作人", "en": "Who"},
    "mgr.audit.action": {"zh-CN": "操作", "en": "Action"},
    "mgr.audit.lead": {"zh-CN": "客户", "en": "Lead"},
    "mgr.audit.action.phone.reveal": {"zh-CN": "查看完整手机号", "en": "Revealed full phone"},
    "mgr.audit.more": {"zh-CN": "更早的记录", "en": "Older records"},
    "mgr.unknown_person": {"zh-CN": "非本案场人员", "en": "Not on this branch's staff"},
    "mgr.err.reason": {"zh-CN": "请填写原因。", "en": "Give a reason."},
    "mgr.err.stale-version": {"zh-CN": "该记录已被他人更新，请查看最新状态后重试。", "en": "Someone changed it meanwhile; check and retry."},
    "mgr.err.wrong-status": {"zh-CN": "该申请已不在待审批状态。", "en": "It is no longer awaiting approval."},
    "mgr.err.dispute-decided": {"zh-CN": "该争议已被判定。", "en": "The dispute is already decided."},
    "mgr.err.forbidden": {"zh-CN": "您不能审批这项申请（申请人不能自批；A类总经理审批须由另一位经理完成）。",
                          "en": "You cannot approve this one (not your own request; class A needs a second manager)."},
})


def readable(s: Screen, exc: ApiError) -> str:
    """Known refusals in the manager's language; anything else with the API's own words."""
    key = f"mgr.err.{exc.kind}"
    known = s.t(key)
    return known if known != key else failure(s, exc)


# --- disputes -------------------------------------------------------------------------------------

async def _disputes_page(s: Screen, status_code: int = 200, **context) -> Response:
    """Each dispute with both sides' reports and dates (the API's `sides`); the winner is never preselected."""
    disputes = (await s.api.get("/v1/attribution-disputes", branch_id=s.user.branch_id, limit=SHOWN))["items"]
    disputes.sort(key=lambda d: d["status"] != "open")  # open first, each group newest first
    failed = context.get("form_error")
    if failed and all(d["id"] != failed["id"] for d in disputes):  # not on the page: say so above the list
        context["page_error"] = failed["message"]
    return await page(s, "manager_disputes.html", "disputes", status_code=status_code, disputes=disputes,
                      names=await staff_names(s), **context)


@router.get("/manager/disputes")
async def disputes(request: Request) -> Response:
    s = await board(request)
    return await _disputes_page(s)


@router.post("/manager/disputes/{dispute_id}/decision")
async def decide(request: Request, dispute_id: str, winner: Annotated[str, Form(max_length=64)] = "",
                 reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
    s = await board(request)
    try:
        if not winner:  # the form preselects nobody: a choice is required (a missing dispute is still 404)
            await s.api.get(f"/v1/attribution-disputes/{q(dispute_id)}")
            raise ApiError(422, "validation", s.t("mgr.err.winner"))
        if not reason.strip():
            raise ApiError(422, "validation", s.t("mgr.err.reason"))
        await s.api.post(f"/v1/attribution-disputes/{q(dispute_id)}/decision",
                         {"winner": None if winner == "nobody" else winner, "reason": reason.strip()})
    except ApiError as exc:
        message = (s.t("mgr.err.winner") if not winner and exc.status == 422 else
                   s.t("mgr.err.reason") if exc.status == 422 and not reason.strip() else readable(s, exc))
        return await _disputes_page(s, status_code=exc.status if exc.status < 500 else 502,
                                    form_error={"id": dispute_id, "message": message, "reason": reason, "winner": winner})
    return s.redirect(f"{PREFIX}/manager/disputes", flash=s.t("mgr.dispute.done"))


# --- receptions -----------------------------------------------------------------------------------

async def _receptions_page(s: Screen, status_code: int = 200, **context) -> Response:
    waiting: list[dict] = []
    for status in OPEN_RECEPTIONS:
        waiting += await s.api.items("/v1/receptions", branch_id=s.user.branch_id, status=status)
    waiting.sort(key=lambda r: r.get("arrive_at") or "")
    failed = context.get("form_error")
    if failed and all(r["id"] != failed["id"] for r in waiting):  # decided meanwhile: say so above the list
        context["page_error"] = failed["message"]
    return await page(s, "manager_receptions.html", "receptions", status_code=status_code, receptions=waiting,
                      names=await staff_names(s), **context)


@router.get("/manager/receptions")
async def receptions(request: Request) -> Response:
    s = await board(request)
    return await _receptions_page(s)


@router.post("/manager/receptions/{reception_id}/{action}")
async def approve_or_reject(request: Request, reception_id: str, action: str,
                            note: Annotated[str, Form(max_length=1000)] = "",
                            version: Annotated[str, Form(max_length=12)] = "") -> Response:
    s = await board(request)
    if action not in ("approve", "reject"):
        return s.render("error.html", status_code=404, message=s.t("error.not_found"))
    path = f"/v1/receptions/{q(reception_id)}/{action}"
    try:
        if action == "reject" and not note.strip():
            raise ApiError(422, "validation", s.t("mgr.err.reason"))
        body = {"reason": note.strip()} if action == "reject" else ({"note": note.strip()} if note.strip() else {})
        await s.api.post(path, body, headers=if_match(version))
    except ApiError as exc:
        message = s.t("mgr.err.reason") if action == "reject" and not note.strip() else readable(s, exc)
        return await _receptions_page(s, status_code=exc.status if exc.status < 500 else 502,
                                      form_error={"id": reception_id, "action": action, "message": message, "note": note})
    return s.redirect(f"{PREFIX}/manager/receptions", flash=s.t(DONE[action]))


# --- audit ----------------------------------------------------------------------------------------

@router.get("/manager/audit")
async def audit(request: Request) -> Response:
    s = await board(request)
    cursor = request.query_params.get("cursor", "")[:200]
    result = await s.api.get("/v1/audit", branch_id=s.user.branch_id, limit=SHOWN, cursor=cursor)
    return await page(s, "manager_audit.html", "audit", records=result["items"], next_cursor=result.get("next_cursor"),
                      names=await staff_names(s))
