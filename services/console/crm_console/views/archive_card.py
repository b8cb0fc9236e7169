"""The archive card (顾客档案卡): the relationship card, tier and key-account status, category, the account
manager, the masked phone with an audited reveal, the revisit log and its form (回访记录, satisfaction
1–5 stars), evaluations (客户关系评估) with grade and recommendation, complaints and deals; a manager
reviews, freezes and unfreezes. That the person has an archive at another branch is said, never shown."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.customers_common import (ARCHIVE_ROLES, CARD_FIELDS, MANAGERS, RECOMMENDATIONS, REVISIT_KINDS,
                                                TIERS, anniversaries, archive_link, branch_screen, customer_of,
                                                elsewhere, key_account, names, staff_list, word)
from crm_console.views.floor import error_status, int_in, q
from crm_console.web import PREFIX, ConsoleRoute, Screen, env

router = APIRouter(prefix=f"{PREFIX}/archives", route_class=ConsoleRoute, include_in_schema=False)
DEAL_STATUSES = ("subscribed", "signed", "paid", "cancelled")

i18n.register({
    "card.title": {"zh-CN": "顾客档案卡", "en": "Archive card"},
    "card.relationship": {"zh-CN": "客户关系卡", "en": "Relationship card"},
    "card.reveal": {"zh-CN": "查看完整号码", "en": "Show full number"},
    "card.reveal_audited": {"zh-CN": "查看完整号码会被记录审计（谁、何时、原因）。", "en": "Showing the full number is audited (who, when, why)."},
    "card.reveal_reason": {"zh-CN": "查看原因", "en": "Reason"},
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
    "card.unknown": {"zh-CN": "未填写", "en": "Not given"},
    "card.need_return_note": {"zh-CN": "退回请填写审核意见。", "en": "Say why it is returned."},
    "arcdeal.status.subscribed": {"zh-CN": "已认购", "en": "Subscribed"},
    "arcdeal.status.signed": {"zh-CN": "已签约", "en": "Signed"},
    "arcdeal.status.paid": {"zh-CN": "已付清", "en": "Paid"},
    "arcdeal.status.cancelled": {"zh-CN": "已取消", "en": "Cancelled"},
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
    """The archive's deals (linked when signed), with the deal's unit and price where the reader may see the deal."""
    links = {d["deal_id"]: d for d in archive.get("deals") or [] if isinstance(d, dict) and d.get("deal_id")}
    found: dict[str, dict] = {}
    if archive.get("lead_id"):
        for d in await _try_items(s, "/v1/deals", branch_id=archive.get("branch_id") or s.user.branch_id,
                                  lead_id=archive["lead_id"]):
            if d.get("lead_id") == archive["lead_id"]:
                found[d["id"]] = d
    for deal_id in list(set(links) - set(found))[:10]:
        try:
            found[deal_id] = await s.api.get(f"/v1/deals/{q(deal_id)}")
        except ApiError:
            found[deal_id] = {"id": deal_id, "status": "signed", "unit_id": links[deal_id].get("unit_id"),
                              "contract_no": links[deal_id].get("contract_no")}
    out = []
    for deal_id, d in found.items():
        link = links.get(deal_id) or {}
        unit = d.get("unit") if isinstance(d.get("unit"), dict) else None
        unit_id = d.get("unit_id") or link.get("unit_id")
        if unit is None and unit_id:
            try:
                unit = await s.api.get(f"/v1/units/{q(unit_id)}")
            except ApiError:
                unit = {}
        unit = unit or {}
        label = " ".join(str(x) for x in (unit.get("project"), unit.get("building"), unit.get("unit_no")) if x)
        out.append({"deal": d, "unit": label or (archive.get("card") or {}).get("unit_no") or "",
                    "price": money(d.get("agreed_price")) if d.get("agreed_price") is not None else "",
                    "status": word(s, "arcdeal.status", d.get("status")),
                    "contract_no": d.get("contract_no") or link.get("contract_no") or "",
                    "signed_at": d.get("signed_at") or link.get("signed_at")})
    return sorted(out, key=lambda x: str(x["signed_at"] or x["deal"].get("created_at") or ""), reverse=True)


async def _card(s: Screen, archive_id: str, status_code: int = 200, **extra) -> Response:
    archive = await s.api.get(f"/v1/archives/{q(archive_id)}")
    branch_id = archive.get("branch_id") or s.user.branch_id
    role, me = s.user.role, s.user.id
    is_manager = role in MANAGERS
    manages = is_manager or (role == "consultant" and archive.get("account_manager_id") == me)
    staff = await staff_list(s)
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
    extra.setdefault("form", {})
    return s.render(
        "archive_card.html", status_code=status_code, archive=archive, customer=customer_of(archive),
        card=archive.get("card") or {}, card_fields=CARD_FIELDS, dates=anniversaries(archive),
        key_account=key_account(s, archive), elsewhere=elsewhere(archive), names=names(staff),
        managers=[p for p in staff if p.get("role") in ("consultant", "manager") and p.get("active", True)],
        revisits=await _revisit_log(s, archive), tasks=tasks, evaluations=evaluations, indicators=indicators,
        complaints=complaints, deals=await _deals(s, archive), manages=manages, is_manager=is_manager,
        revisit_kinds=REVISIT_KINDS, recommendations=RECOMMENDATIONS, tiers=TIERS,
        task_kind=lambda t: word(s, "rv.task", t.get("kind"), t.get("kind_name") or s.t("rv.task.other")),
        revisit_kind=lambda r: word(s, "rv.kind", r.get("kind"), r.get("kind_name") or s.t("rv.kind.other")),
        chosen_task=extra.pop("chosen_task", "") or s.request.query_params.get("task", "")[:64], **extra)


def _if_match(version: str) -> dict:
    return {"If-Match": version.strip()} if version.strip().isdigit() else {}


@router.get("/{archive_id}")
async def archive_card(request: Request, archive_id: str) -> Response:
    s = await branch_screen(request, *ARCHIVE_ROLES)
    return await _card(s, archive_id[:64])


@router.post("/{archive_id}/reveal")
async def reveal(request: Request, archive_id: str, reason: Annotated[str, Form(max_length=200)] = "") -> Response:
    """The full number on this response only (never in a URL or a cookie); the API audits the reveal."""
    s = await branch_screen(request, *ARCHIVE_ROLES)
    archive_id = archive_id[:64]
    if not reason.strip():
        return await _card(s, archive_id, 422, reveal_error=s.t("card.need_reason"))
    try:
        shown = await s.api.get(f"/v1/archives/{q(archive_id)}/phone", reason=reason.strip())
    except ApiError as exc:
        return await _card(s, archive_id, error_status(exc), reveal_error=exc.message, form={"reveal": {"reason": reason}})
    return await _card(s, archive_id, phone=shown.get("phone") or shown.get("e164") or "")


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
                         {"decision": decision} | ({"note": note.strip()} if note.strip() else {}), headers=_if_match(version))
    except ApiError as exc:
        return await _card(s, archive_id, error_status(exc), review_error=exc.message, form={"review": {"note": note}})
    return s.redirect(archive_link(archive_id), flash=s.t("card.reviewed"))


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
        await s.api.post(f"/v1/archives/{q(archive_id)}/{action}", {"reason": reason.strip()}, headers=_if_match(version))
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
        await s.api.patch(f"/v1/archives/{q(archive_id)}", body, headers=_if_match(typed["version"]))
    except ApiError as exc:
        return await _card(s, archive_id, error_status(exc), edit_error=exc.message, form={"edit": typed})
    return s.redirect(archive_link(archive_id), flash=s.t("card.saved"))
