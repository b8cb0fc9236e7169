"""The archive card (顾客档案卡): the relationship card, tier and key-account status, category, the account
manager, the masked phone with an audited reveal, the revisit log and its form (回访记录, satisfaction
1–5 stars), evaluations (客户关系评估) with grade and recommendation, complaints and deals; key accounts
(重点客户): the pending tier requests with who asked and why, decided here by the list's approver (a manager the
branch's list, an admin either), and the account manager's request form; a manager reviews, freezes and unfreezes. That the person has an archive at another branch is said, never shown."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.customers_common import (ARCHIVE_ROLES, CARD_FIELDS, MANAGERS, RECOMMENDATIONS, REVISIT_KINDS,
                                                LEVELS, TIERS, anniversaries, archive_link, branch_screen,
                                                customer_deals, customer_of, elsewhere, key_account, may_decide, names,
                                                readable, word)
from crm_console.views.floor import error_status, if_match, int_in, q, staff_of
from crm_console.views.reveal import reveal_phone
from crm_console.web import PREFIX, ConsoleRoute, Screen, env

router = APIRouter(prefix=f"{PREFIX}/archives", route_class=ConsoleRoute, include_in_schema=False)
DEAL_STATUSES = ("subscribed", "signed", "paid", "cancelled")

i18n.register({
    "card.title": {"zh-CN": "顾客档案卡", "en": "Archive card"},
    "card.relationship": {"zh-CN": "客户关系卡", "en": "Relationship card"},
    "card.need_reason": {"zh-CN": "请填写原因。", "en": "Give a reason."},
    "card.revisits": {"zh-CN": "回访记录", "en": "Revisit log"},
    "card.open_tasks": {"zh-CN": "待回访", "en": "Revisits due"},
    "card.log_revisit": {"zh-CN": "记录回访", "en": "Log a revisit"},
    "card.revisit_kind": {"zh-CN": "回访方式", "en": "Kind"},
    "card.revisit_note": {"zh-CN": "回访内容", "en": "What was said"},
    "card.satisfaction": {"zh-CN": "满意度", "en": "Satisfaction"},
    "card.stars": {"zh-CN": "{n} 星", "en": "{n} stars"},
    "card.task": {"zh-CN": "对应回访任务", "en": "For the task"},
    "card.no_task": {"zh-CN": "计划外回访", "en": "Unplanned"},
    "card.revisit_logged": {"zh-CN": "已记录回访", "en": "Revisit logged"},
    "card.pick_satisfaction": {"zh-CN": "请选择满意度（1–5 星）。", "en": "Choose the satisfaction (1–5 stars)."},
    "card.evaluations": {"zh-CN": "客户关系评估", "en": "Relationship evaluations"},
    "card.score": {"zh-CN": "得分", "en": "Score"},
    "card.grade": {"zh-CN": "评级", "en": "Grade"},
    "card.recommendation": {"zh-CN": "建议", "en": "Recommendation"},
    "card.evaluate": {"zh-CN": "填写评估", "en": "File an evaluation"},
    "card.score_hint": {"zh-CN": "各项 0–100 分", "en": "Each 0–100"},
    "card.rec_default": {"zh-CN": "按评级默认", "en": "By grade"},
    "card.bad_score": {"zh-CN": "每项评分须为 0–100 的整数。", "en": "Each score is a whole number 0–100."},
    "card.evaluated": {"zh-CN": "已提交评估：{grade} 级，建议{rec}", "en": "Evaluation filed: grade {grade}, {rec}"},
    "card.approve": {"zh-CN": "通过", "en": "Approve"},
    "card.return": {"zh-CN": "退回", "en": "Return"},
    "card.complaints": {"zh-CN": "投诉记录", "en": "Complaints"},
    "card.new_complaint": {"zh-CN": "登记投诉", "en": "Take a complaint"},
    "card.deals": {"zh-CN": "成交记录", "en": "Deals"},
    "card.unit": {"zh-CN": "房号", "en": "Unit"},
    "card.price": {"zh-CN": "成交价", "en": "Price"},
    "card.yuan": {"zh-CN": "元", "en": "CNY"},
    "card.signed_at": {"zh-CN": "签约", "en": "Signed"},
    "card.contract_no": {"zh-CN": "合同号", "en": "Contract"},
    "card.review": {"zh-CN": "档案审核", "en": "Review"},
    "card.review_note": {"zh-CN": "审核意见（退回时必填）", "en": "Note (required to return)"},
    "card.reviewed": {"zh-CN": "已审核", "en": "Reviewed"},
    "card.freeze": {"zh-CN": "冻结档案", "en": "Freeze"},
    "card.unfreeze": {"zh-CN": "解除冻结", "en": "Unfreeze"},
    "card.freeze_hint": {"zh-CN": "冻结后，本案场停止对该客户的营销和回访。", "en": "Frozen: no marketing or revisits from this branch."},
    "card.frozen_done": {"zh-CN": "已冻结", "en": "Frozen"},
    "card.unfrozen_done": {"zh-CN": "已解除冻结", "en": "Unfrozen"},
    "card.edit": {"zh-CN": "修改档案", "en": "Edit the archive"},
    "card.saved": {"zh-CN": "已保存", "en": "Saved"},
    "card.opened_at": {"zh-CN": "建档时间", "en": "Opened"},
    "card.by": {"zh-CN": "记录人", "en": "By"},
    "card.consent": {"zh-CN": "节日问候/营销短信", "en": "Greetings and marketing SMS"},
    "card.consent_given": {"zh-CN": "已同意接收", "en": "Agreed"},
    "card.consent_not_given": {"zh-CN": "未同意（不发送问候短信）", "en": "Not agreed (no greeting SMS)"},
    "card.unknown": {"zh-CN": "未填写", "en": "Not given"},
    "card.need_return_note": {"zh-CN": "退回请填写审核意见。", "en": "Say why it is returned."},
    "card.tiers": {"zh-CN": "重点客户", "en": "Key account"},
    "card.tier_requests": {"zh-CN": "待审批的等级申请", "en": "Tier requests awaiting a decision"},
    "card.tier_history": {"zh-CN": "已处理的等级申请", "en": "Decided tier requests"},
    "card.requested_by": {"zh-CN": "申请人", "en": "Asked by"},
    "card.request_reason": {"zh-CN": "申请理由", "en": "Why"},
    "card.requested_tier": {"zh-CN": "申请等级", "en": "Tier asked"},
    "card.list": {"zh-CN": "名单", "en": "List"},
    "card.dedicated_manager": {"zh-CN": "专职客户经理", "en": "Dedicated account manager"},
    "card.request_tier": {"zh-CN": "申请调整客户等级", "en": "Ask for a tier change"},
    "card.request_hint": {"zh-CN": "核心、重点客户列入案场名单由销售经理审批，列入集团名单由管理员审批。",
                          "en": "Core and key accounts: the branch's list is approved by its manager, the group's by an administrator."},
    "card.request_submit": {"zh-CN": "提交申请", "en": "Ask"},
    "card.requested": {"zh-CN": "已提交等级申请，等待审批", "en": "Tier change asked; awaiting a decision"},
    "card.need_request_reason": {"zh-CN": "请填写申请理由。", "en": "Say why."},
    "card.pick_tier": {"zh-CN": "请选择客户等级和名单。", "en": "Choose the tier and the list."},
    "card.decision_note": {"zh-CN": "审批意见（可选）", "en": "Note (optional)"},
    "card.approve_request": {"zh-CN": "批准", "en": "Approve"},
    "card.reject_request": {"zh-CN": "驳回", "en": "Reject"},
    "card.request_approved": {"zh-CN": "已批准等级申请：{name} 调整为{tier}", "en": "Approved: {name} is now {tier}"},
    "card.request_rejected": {"zh-CN": "已驳回等级申请：{name}", "en": "Rejected: {name}"},
    "card.awaits_admin": {"zh-CN": "集团名单由管理员审批", "en": "The group's list is an administrator's to decide"},
    "card.decided_by": {"zh-CN": "审批人", "en": "Decided by"},
    "card.key_accounts": {"zh-CN": "重点客户名单", "en": "Key accounts"},
})


def money(value) -> str:
    """`"2980000.00"` as `2,980,000.00` (never through a float)."""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return ""


env.filters["money"] = money


def _stars(n) -> str:
    k = int_in(str(n or ""), 1, 5)
    return ("★" * k + "☆" * (5 - k)) if k else ""


env.filters["stars"] = _stars


async def _try_items(s: Screen, path: str, **params) -> list[dict]:
    try:
        return await s.api.items(path, **params)
    except ApiError:
        return []


async def _revisit_log(s: Screen, archive: dict) -> list[dict]:
    """Revisits logged on the archive: its done tasks with their log, newest first."""
    done = await _try_items(s, "/v1/revisits", branch_id=archive.get("branch_id") or s.user.branch_id,
                            archive_id=archive["id"], status="done")
    out = []
    for t in done:
        log = t.get("log") if isinstance(t.get("log"), dict) else None
        if t.get("archive_id") == archive["id"] and log:
            out.append({"id": t["id"], "task_kind": t.get("kind"), "task_kind_name": t.get("kind_name"), **log})
    return sorted(out, key=lambda r: str(r.get("logged_at") or ""), reverse=True)


async def _deals(s: Screen, archive: dict) -> list[dict]:
    """The archive's deals (linked when signed, and its lead's), with unit and price where the reader may see them."""
    out = await customer_deals(s, archive.get("branch_id") or s.user.branch_id, archive=archive)
    for x in out:
        d = x["deal"]
        x["price"] = money(d.get("agreed_price")) if d.get("agreed_price") is not None else ""
    return out


async def _tier_requests(s: Screen, archive: dict) -> tuple[list[dict], list[dict]]:
    """This archive's tier requests the reader may see: (pending, the last decided ones), newest first."""
    mine = [r for r in await _try_items(s, "/v1/tier-requests", branch_id=archive.get("branch_id") or s.user.branch_id)
            if r.get("archive_id") == archive["id"]]
    mine.sort(key=lambda r: str(r.get("created_at") or ""), reverse=True)
    current = (archive.get("key_account") or {}).get("level") if isinstance(archive.get("key_account"), dict) else None
    pending = [r | {"may_decide": may_decide(s.user.role, r.get("level")) and may_decide(s.user.role, current)}
               for r in mine if r.get("status") == "pending"]
    return pending, [r for r in mine if r.get("status") in ("approved", "rejected")][:5]


async def _card(s: Screen, archive_id: str, status_code: int = 200, **extra) -> Response:
    archive = await s.api.get(f"/v1/archives/{q(archive_id)}")
    branch_id = archive.get("branch_id") or s.user.branch_id
    role, me = s.user.role, s.user.id
    is_manager = role in MANAGERS
    manages = is_manager or (role == "consultant" and archive.get("account_manager_id") == me)
    staff = await staff_of(s)
    tasks = [t for t in await _try_items(s, "/v1/revisits", branch_id=branch_id, archive_id=archive["id"])
             if t.get("archive_id") == archive["id"] and t.get("status") in ("due", "overdue")]
    evaluations = [e for e in await _try_items(s, "/v1/evaluations", branch_id=branch_id, archive_id=archive["id"])
                   if e.get("archive_id") == archive["id"]]
    evaluations.sort(key=lambda e: str(e.get("created_at") or e.get("submitted_at") or ""), reverse=True)
    indicators = []
    if manages:
        try:
            raw = await s.api.get("/v1/evaluation-indicators", branch_id=branch_id)
            indicators = raw.get("items", raw.get("indicators", [])) if isinstance(raw, dict) else raw
        except ApiError:
            indicators = []
    complaints = [c for c in await _try_items(s, "/v1/complaints", branch_id=branch_id, archive_id=archive["id"])
                  if c.get("archive_id") == archive["id"]]
    complaints.sort(key=lambda c: str(c.get("created_at") or c.get("received_at") or ""), reverse=True)
    pending, decided = await _tier_requests(s, archive)
    extra.setdefault("form", {})
    return s.render(
        "archive_card.html", tier_requests=pending, tier_history=decided, levels=LEVELS,
        may_request=manages and role in ("consultant", "manager"), status_code=status_code, archive=archive, customer=customer_of(archive),
        card=archive.get("card") or {}, card_fields=CARD_FIELDS, dates=anniversaries(archive),
        key_account=key_account(s, archive), elsewhere=elsewhere(archive), names=names(staff),
        managers=[p for p in staff if p.get("role") in ("consultant", "manager") and p.get("active", True)],
        revisits=await _revisit_log(s, archive), tasks=tasks, evaluations=evaluations, indicators=indicators,
        complaints=complaints, deals=await _deals(s, archive), manages=manages, is_manager=is_manager,
        revisit_kinds=REVISIT_KINDS, recommendations=RECOMMENDATIONS, tiers=TIERS,
        task_kind=lambda t: word(s, "rv.task", t.get("kind"), t.get("kind_name") or s.t("rv.task.other")),
        revisit_kind=lambda r: word(s, "rv.kind", r.get("kind"), r.get("kind_name") or s.t("rv.kind.other")),
        chosen_task=extra.pop("chosen_task", "") or s.request.query_params.get("task", "")[:64], **extra)


@router.get("/{archive_id}")
async def archive_card(request: Request, archive_id: str) -> Response:
    s = await branch_screen(request, *ARCHIVE_ROLES)
    return await _card(s, archive_id[:64])


@router.post("/{archive_id}/reveal")
async def reveal(request: Request, archive_id: str, reason: Annotated[str, Form(max_length=200)] = "") -> Response:
    """The full number, once, audited (views.reveal)."""
    s = await branch_screen(request, *ARCHIVE_ROLES)
    archive_id = archive_id[:64]
    return await reveal_phone(s, partial(_card, s, archive_id), f"/v1/archives/{q(archive_id)}/phone", reason)


@router.post("/{archive_id}/revisits")
async def log_revisit(request: Request, archive_id: str, kind: Annotated[str, Form(max_length=20)] = "phone",
                      note: Annotated[str, Form(max_length=2000)] = "", satisfaction: Annotated[str, Form(max_length=2)] = "",
                      task_id: Annotated[str, Form(max_length=64)] = "") -> Response:
    s = await branch_screen(request, *ARCHIVE_ROLES)
    archive_id = archive_id[:64]
    form = {"revisit": {"kind": kind, "note": note, "satisfaction": satisfaction, "task_id": task_id}}
    stars = int_in(satisfaction, 1, 5)
    if stars is None:
        return await _card(s, archive_id, 422, revisit_error=s.t("card.pick_satisfaction"), form=form, chosen_task=task_id)
    body = {"kind": kind, "note": note.strip(), "satisfaction": stars} | ({"task_id": task_id} if task_id else {})
    try:
        await s.api.post(f"/v1/archives/{q(archive_id)}/revisits", body)
    except ApiError as exc:
        return await _card(s, archive_id, error_status(exc), revisit_error=exc.message, form=form, chosen_task=task_id)
    return s.redirect(archive_link(archive_id), flash=s.t("card.revisit_logged"))


@router.post("/{archive_id}/evaluations")
async def evaluate(request: Request, archive_id: str) -> Response:
    s = await branch_screen(request, *ARCHIVE_ROLES)
    archive_id = archive_id[:64]
    raw = await request.form()
    scores: dict[str, int] = {}
    typed = {}
    for name, value in list(raw.items())[:40]:
        if name.startswith("score.") and isinstance(value, str):
            key = name.removeprefix("score.")[:60]
            typed[key] = value[:5]
            number = int_in(value, 0, 100)
            if number is None:
                return await _card(s, archive_id, 422, evaluation_error=s.t("card.bad_score"),
                                   form={"evaluation": {"scores": typed}})
            scores[key] = number
    note = str(raw.get("note") or "")[:2000].strip()
    rec = str(raw.get("recommendation") or "")[:20]
    body = {"archive_id": archive_id, "scores": scores} | ({"note": note} if note else {}) | (
        {"recommendation": rec} if rec in RECOMMENDATIONS else {})
    try:
        made = await s.api.post("/v1/evaluations", body)
    except ApiError as exc:
        return await _card(s, archive_id, error_status(exc), evaluation_error=exc.message,
                           form={"evaluation": {"scores": typed, "note": note}})
    flash = s.t("card.evaluated").format(grade=made.get("grade") or "", rec=word(s, "ev.rec", made.get("recommendation")))
    return s.redirect(archive_link(archive_id), flash=flash)


@router.post("/{archive_id}/evaluations/{evaluation_id}/review")
async def review_evaluation(request: Request, archive_id: str, evaluation_id: str,
                            decision: Annotated[str, Form(max_length=10)] = "",
                            note: Annotated[str, Form(max_length=1000)] = "") -> Response:
    s = await branch_screen(request, *MANAGERS)
    archive_id = archive_id[:64]
    try:
        await s.api.post(f"/v1/evaluations/{q(evaluation_id[:64])}/review",
                         {"decision": decision} | ({"note": note.strip()} if note.strip() else {}))
    except ApiError as exc:
        return await _card(s, archive_id, error_status(exc), evaluation_error=exc.message)
    return s.redirect(archive_link(archive_id), flash=s.t("card.reviewed"))


@router.post("/{archive_id}/review")
async def review(request: Request, archive_id: str, version: Annotated[str, Form(max_length=12)] = "",
                 decision: Annotated[str, Form(max_length=10)] = "", note: Annotated[str, Form(max_length=1000)] = "") -> Response:
    s = await branch_screen(request, *MANAGERS)
    archive_id = archive_id[:64]
    if decision == "returned" and not note.strip():
        return await _card(s, archive_id, 422, review_error=s.t("card.need_return_note"), form={"review": {"note": note}})
    try:
        await s.api.post(f"/v1/archives/{q(archive_id)}/review",
                         {"decision": decision} | ({"note": note.strip()} if note.strip() else {}), headers=if_match(version))
    except ApiError as exc:
        return await _card(s, archive_id, error_status(exc), review_error=exc.message, form={"review": {"note": note}})
    return s.redirect(archive_link(archive_id), flash=s.t("card.reviewed"))


@router.post("/{archive_id}/tier-requests")
async def request_tier(request: Request, archive_id: str, tier: Annotated[str, Form(max_length=20)] = "",
                       level: Annotated[str, Form(max_length=10)] = "branch",
                       account_manager_id: Annotated[str, Form(max_length=64)] = "",
                       reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    """The account manager (or a manager) asks for a tier on a key-account list; the list's approver decides."""
    s = await branch_screen(request, *ARCHIVE_ROLES)
    archive_id = archive_id[:64]
    typed = {"tier": tier, "level": level, "account_manager_id": account_manager_id, "reason": reason}
    problem = ("card.pick_tier" if tier not in TIERS or level not in LEVELS else
               "card.need_request_reason" if not reason.strip() else None)
    if problem:
        return await _card(s, archive_id, 422, tier_error=s.t(problem), form={"tier": typed})
    body = {"tier": tier, "level": level, "reason": reason.strip()} | (
        {"account_manager_id": account_manager_id} if account_manager_id else {})
    try:
        await s.api.post(f"/v1/archives/{q(archive_id)}/tier-requests", body)
    except ApiError as exc:
        return await _card(s, archive_id, error_status(exc), tier_error=readable(s, exc), form={"tier": typed})
    return s.redirect(archive_link(archive_id) + "#tiers", flash=s.t("card.requested"))


@router.post("/{archive_id}/tier-requests/{request_id}/decision")
async def decide_tier(request: Request, archive_id: str, request_id: str,
                      decision: Annotated[str, Form(max_length=10)] = "",
                      note: Annotated[str, Form(max_length=500)] = "") -> Response:
    """A manager decides the branch's list, an admin either; the service refuses the others (403)."""
    s = await branch_screen(request, *MANAGERS)
    archive_id, request_id = archive_id[:64], request_id[:64]
    if decision not in ("approved", "rejected"):
        return await _card(s, archive_id, 422, tier_error=s.t("error.bad_input"))
    try:
        done = await s.api.post(f"/v1/tier-requests/{q(request_id)}/decision",
                                {"decision": decision} | ({"note": note.strip()} if note.strip() else {}))
    except ApiError as exc:
        return await _card(s, archive_id, error_status(exc), tier_error=readable(s, exc),
                           form={"decision": {request_id: note}})
    name = done.get("customer_name") or ""
    flash = (s.t("card.request_approved").replace("{tier}", word(s, "cust.tier", done.get("tier"), done.get("tier_name") or ""))
             if decision == "approved" else s.t("card.request_rejected")).replace("{name}", name)
    return s.redirect(archive_link(archive_id) + "#tiers", flash=flash)


@router.post("/{archive_id}/{action}")
async def freeze(request: Request, archive_id: str, action: str, version: Annotated[str, Form(max_length=12)] = "",
                 reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    s = await branch_screen(request, *MANAGERS)
    archive_id = archive_id[:64]
    if action not in ("freeze", "unfreeze"):
        return await _card(s, archive_id, 404)
    if not reason.strip():
        return await _card(s, archive_id, 422, freeze_error=s.t("card.need_reason"))
    try:
        await s.api.post(f"/v1/archives/{q(archive_id)}/{action}", {"reason": reason.strip()}, headers=if_match(version))
    except ApiError as exc:
        return await _card(s, archive_id, error_status(exc), freeze_error=exc.message, form={"freeze": {"reason": reason}})
    return s.redirect(archive_link(archive_id), flash=s.t("card.frozen_done" if action == "freeze" else "card.unfrozen_done"))


@router.post("/{archive_id}")
async def edit(request: Request, archive_id: str) -> Response:
    """The relationship card, the tier and the account manager (`PATCH`, If-Match)."""
    s = await branch_screen(request, *ARCHIVE_ROLES)
    archive_id = archive_id[:64]
    raw = await request.form()
    typed = {k: str(raw.get(k) or "")[:500] for k in (*CARD_FIELDS, "tier", "account_manager_id", "version")}
    archive = await s.api.get(f"/v1/archives/{q(archive_id)}")
    card = archive.get("card") or {}
    changed = {f: (typed[f].strip() or None) for f in CARD_FIELDS if typed[f].strip() != str(card.get(f) or "")}
    body: dict = {"card": changed} if changed else {}
    if s.user.role in MANAGERS:
        if typed["tier"] in TIERS and typed["tier"] != archive.get("tier"):
            body["tier"] = typed["tier"]
        if typed["account_manager_id"] and typed["account_manager_id"] != archive.get("account_manager_id"):
            body["account_manager_id"] = typed["account_manager_id"]
    if not body:
        return s.redirect(archive_link(archive_id), flash=s.t("card.saved"))
    try:
        await s.api.patch(f"/v1/archives/{q(archive_id)}", body, headers=if_match(typed["version"]))
    except ApiError as exc:
        return await _card(s, archive_id, error_status(exc), edit_error=exc.message, form={"edit": typed})
    return s.redirect(archive_link(archive_id), flash=s.t("card.saved"))
