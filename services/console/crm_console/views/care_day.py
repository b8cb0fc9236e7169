"""The account manager's day (客户维护): revisits due today and overdue, archives awaiting a manager's
review (managers), complaints assigned to me with their deadlines, the report and the improvement actions
(整改措施; a closed one stays while an action of its is open), and today's greetings, computed here from my
archives (the customers service offers no greetings list). Each line opens the archive card (or the complaint
board), where the rest of the work is done."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.complaints import action_done_from, action_owners, add_action_from
from crm_console.views.customers_common import (DAY_ROLES, customer_of, is_today, names, readable, when,
                                                word, anniversaries)
from crm_console.views.floor import error_status, q, staff_of, today_bounds
from crm_console.web import PREFIX, ConsoleRoute, Screen, screen

router = APIRouter(prefix=f"{PREFIX}/care", route_class=ConsoleRoute, include_in_schema=False)
REVIEW_DAYS = 7  # a new archive is reviewed by a manager within a week
OPEN_COMPLAINTS = ("received", "investigating", "responded", "reopened")
NAMES_FETCHED = 30  # archives looked up one by one for a task that does not name its customer

i18n.register({
    "care.title": {"zh-CN": "客户维护 · 今日", "en": "Customer care · today"},
    "care.revisits": {"zh-CN": "今日回访", "en": "Revisits due today"},
    "care.overdue": {"zh-CN": "逾期回访", "en": "Overdue revisits"},
    "care.reviews": {"zh-CN": "待审核档案", "en": "Archives awaiting review"},
    "care.complaints": {"zh-CN": "分派给我的投诉", "en": "Complaints assigned to me"},
    "care.greetings": {"zh-CN": "今日问候", "en": "Greetings today"},
    "care.log": {"zh-CN": "记录回访", "en": "Log the revisit"},
    "care.review": {"zh-CN": "审核", "en": "Review"},
    "care.review_by": {"zh-CN": "审核期限", "en": "Review by"},
    "care.opened": {"zh-CN": "建档", "en": "Opened"},
    "care.due": {"zh-CN": "应回访", "en": "Due"},
    "care.all_clear": {"zh-CN": "没有逾期的回访。", "en": "No overdue revisits."},
    "care.gift": {"zh-CN": "需备礼品", "en": "Gift due"},
    "care.board": {"zh-CN": "投诉看板", "en": "Complaint board"},
    "care.file_report": {"zh-CN": "调查报告待提交", "en": "Report to file"},
    "care.report_filed": {"zh-CN": "调查报告已提交", "en": "Report filed"},
    "care.report": {"zh-CN": "提交调查报告", "en": "File the report"},
    "care.report_saved": {"zh-CN": "调查报告已提交：{number}", "en": "Report filed: {number}"},
    "care.report_fields": {"zh-CN": "请填写原因、责任和处理方案。", "en": "Fill in cause, responsibility and proposal."},
    "care.actions_open": {"zh-CN": "已结案，整改措施未完成", "en": "Closed; actions still open"},
})


def _task_kind(s: Screen, task: dict) -> str:
    return word(s, "rv.task", task.get("kind"), task.get("kind_name") or s.t("rv.task.other"))


async def _archive_names(s: Screen, ids: set[str], known: dict[str, dict]) -> dict[str, dict]:
    for archive_id in list(ids - set(known))[:NAMES_FETCHED]:
        try:
            known[archive_id] = await s.api.get(f"/v1/archives/{q(archive_id)}")
        except ApiError:
            continue
    return known


async def _greetings(s: Screen, mine: list[dict], today) -> list[dict]:
    """Today's greetings: the service's list when it offers one, else birthdays and dates on my archives."""
    try:
        page = await s.api.get("/v1/greetings", branch_id=s.user.branch_id, on=today.isoformat(),
                               account_manager_id=s.user.id if s.user.role == "consultant" else None)
        return [{"archive_id": g.get("archive_id"), "name": customer_of(g).get("name"),
                 "occasion": word(s, "occasion", g.get("occasion")) or g.get("occasion_name") or "",
                 "what": g.get("occasion_name") or "", "gift": bool(g.get("gift"))} for g in page.get("items", [])
                if str(g.get("on") or today.isoformat())[:10] == today.isoformat()]
    except ApiError:
        pass
    out = []
    for a in mine:
        if a.get("frozen"):
            continue
        c = customer_of(a)
        if is_today(c.get("birthday"), today):
            out.append({"archive_id": a["id"], "name": c["name"], "occasion": s.t("occasion.birthday"), "what": "",
                        "gift": a.get("tier") in ("core", "key")})
        for d in anniversaries(a):
            if is_today(d["date"], today):
                out.append({"archive_id": a["id"], "name": c["name"], "occasion": s.t("occasion.important_date"),
                            "what": d["name"], "gift": False})
    return out


async def _page(s: Screen, status_code: int = 200, **extra) -> Response:
    me, branch_id = s.user.id, s.user.branch_id
    today, start, end = today_bounds(s.tz)
    now = datetime.now(UTC)
    tasks = [t for t in await s.api.items("/v1/revisits", branch_id=branch_id, assignee_id=me, due_before=today.isoformat())
             if t.get("assignee_id") in (None, me) and t.get("status") in ("due", "overdue")]
    mine = await s.api.items("/v1/archives", branch_id=branch_id, account_manager_id=me)
    by_id = {a["id"]: a for a in mine}
    await _archive_names(s, {t["archive_id"] for t in tasks if t.get("archive_id") and not t.get("customer_name")}, by_id)
    overdue, due = [], []
    for t in sorted(tasks, key=lambda t: str(t.get("due_at") or "")):
        archive = by_id.get(t.get("archive_id") or "", {})
        line = {"task": t, "archive_id": t.get("archive_id") or "", "kind": _task_kind(s, t),
                "name": t.get("customer_name") or customer_of(archive)["name"],
                "tier": archive.get("tier"), "due_at": t.get("due_at"), "due_on": t.get("due_on")}
        (overdue if t.get("status") == "overdue" else due).append(line)
    reviews = []
    if s.user.role == "manager":
        pending = await s.api.items("/v1/archives", branch_id=branch_id, status="pending_review")
        for a in sorted((a for a in pending if a.get("status") == "pending_review"), key=lambda a: str(a.get("created_at") or "")):
            opened = when(a.get("opened_at") or a.get("created_at"))
            review_by = when(a.get("review_due_at")) or (opened + timedelta(days=REVIEW_DAYS) if opened else None)
            reviews.append({"archive": a, "name": customer_of(a)["name"], "opened": opened, "review_by": review_by,
                            "late": bool(review_by and review_by < now)})
    complaints = []
    for c in await s.api.items("/v1/complaints", branch_id=branch_id, assignee_id=me):
        open_actions = any(isinstance(a, dict) and not a.get("done_at") for a in c.get("actions") or [])
        if c.get("assignee_id") != me or (c.get("status") not in OPEN_COMPLAINTS and not open_actions):
            continue  # closed ones stay while an improvement action of theirs is open
        report = c.get("report") if isinstance(c.get("report"), dict) else {}
        filed = bool(report) or c.get("status") in ("responded",)
        deadlines = [("cmp.due", when(c.get("due_at")))] + ([] if filed else [("cmp.report_due", when(c.get("report_due_at")))])
        if c.get("status") not in OPEN_COMPLAINTS:
            complaints.append({"c": c, "name": customer_of(c)["name"], "filed": True, "closed": True,
                               "deadlines": [], "late": False})
            continue
        complaints.append({"c": c, "name": customer_of(c)["name"], "filed": filed, "closed": False,
                           "deadlines": [(k, d, d < now) for k, d in deadlines if d],
                           "late": bool(c.get("overdue")) or any(d < now for _, d in deadlines if d)})
    complaints.sort(key=lambda x: min((d for _, d, _ in x["deadlines"]), default=now))
    greetings = await _greetings(s, mine, today)
    staff = await staff_of(s)
    extra.setdefault("errors", {})
    extra.setdefault("form", {})
    return s.render("care_day.html", status_code=status_code, **extra, today=today, overdue=overdue, due=due, reviews=reviews, complaints=complaints,
                    greetings=greetings, names=names(staff), owners=action_owners(staff))


@router.get("")
async def care_day(request: Request) -> Response:
    s = await screen(request, *DAY_ROLES)
    return await _page(s)


@router.post("/complaints/{complaint_id}/report")
async def file_report(request: Request, complaint_id: str, cause: Annotated[str, Form(max_length=4000)] = "",
                      responsibility: Annotated[str, Form(max_length=2000)] = "",
                      proposal: Annotated[str, Form(max_length=4000)] = "") -> Response:
    """The assignee's investigation report (调查报告); a manager approves it on the complaint board."""
    s = await screen(request, *DAY_ROLES)
    complaint_id = complaint_id[:64]
    typed = {"cause": cause, "responsibility": responsibility, "proposal": proposal}
    if not (cause.strip() and responsibility.strip() and proposal.strip()):
        return await _page(s, 422, errors={complaint_id: s.t("care.report_fields")}, form={complaint_id: typed})
    try:
        c = await s.api.post(f"/v1/complaints/{q(complaint_id)}/report",
                             {k: v.strip() for k, v in typed.items()})
    except ApiError as exc:
        return await _page(s, error_status(exc), errors={complaint_id: readable(s, exc)}, form={complaint_id: typed})
    return s.redirect(f"{PREFIX}/care", flash=s.t("care.report_saved").replace("{number}", c.get("number") or ""))


@router.post("/complaints/{complaint_id}/actions")
async def add_action(request: Request, complaint_id: str, what: Annotated[str, Form(max_length=1000)] = "",
                     owner_id: Annotated[str, Form(max_length=64)] = "", due: Annotated[str, Form(max_length=10)] = "") -> Response:
    """The assignee adds an improvement action (整改措施): what, the owner from the branch's staff, the due date."""
    s = await screen(request, *DAY_ROLES)
    return await add_action_from(s, partial(_page, s), f"{PREFIX}/care", complaint_id[:64], what, owner_id, due)


@router.post("/complaints/{complaint_id}/actions/{action_id}/done")
async def action_done(request: Request, complaint_id: str, action_id: str,
                      note: Annotated[str, Form(max_length=1000)] = "") -> Response:
    """The assignee marks an action done, also after the complaint was closed."""
    s = await screen(request, *DAY_ROLES)
    return await action_done_from(s, partial(_page, s), f"{PREFIX}/care", complaint_id[:64], action_id, note)
