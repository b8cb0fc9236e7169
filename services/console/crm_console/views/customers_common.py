"""What the customers screens share (顾客档案, 客户维护, 客户投诉): the words for the customers service's
codes, the roles of each screen, the branch an admin must pick, and readers that take the API's
objects as they are (a field the service does not send shows nothing, never a code or an id)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import Request

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.views.floor import failure, q
from crm_console.web import Answer, Screen, render, screen

ARCHIVE_ROLES = ("consultant", "manager", "admin")  # archives: a consultant sees those it manages
DAY_ROLES = ("consultant", "manager")  # the account manager's day
BOARD_ROLES = ("manager", "admin")  # the complaint board, reviews, freezes
MANAGERS = ("manager", "admin")
INTAKE_ROLES = ("consultant", "reception", "manager", "admin", "finance")  # any staff member takes a complaint

TIERS = ("core", "key", "general")
KEY_TIERS = ("core", "key")
LEVELS = ("branch", "group")  # the branch's key-account list (its manager decides), the group's (an admin)
CATEGORIES = ("owner", "prospect", "member")
ARCHIVE_STATUSES = ("pending_review", "active", "returned")
COMPLAINT_STATUSES = ("received", "investigating", "responded", "reopened", "closed")
COMPLAINT_CATEGORIES = ("quality", "service", "delivery", "sales_promise", "other")
SEVERITIES = ("major", "normal")
CHANNELS = ("phone", "visit", "wechat", "letter", "online", "other")
REVISIT_KINDS = ("phone", "visit", "wechat", "gift", "other")
RECOMMENDATIONS = ("improve", "maintain", "end")
RESPONSES = ("satisfied", "unsatisfied")
RESOLUTIONS = ("explanation", "apology", "repair", "compensation", "refund", "exchange", "other")
RESOLUTIONS_WITH_DEAL = ("refund", "exchange")
CARD_FIELDS = ("employer", "position", "address", "family", "preferences")

i18n.register({
    "nav.archives": {"zh-CN": "顾客档案", "en": "Archives"},
    "nav.complaints": {"zh-CN": "客户投诉", "en": "Complaints"},
    "nav.care": {"zh-CN": "客户维护", "en": "Customer care"},
    "cust.tier.core": {"zh-CN": "核心", "en": "Core"},
    "cust.tier.key": {"zh-CN": "重点", "en": "Key"},
    "cust.tier.general": {"zh-CN": "一般", "en": "General"},
    "cust.category.owner": {"zh-CN": "业主", "en": "Owner"},
    "cust.category.prospect": {"zh-CN": "意向客户", "en": "Prospect"},
    "cust.category.member": {"zh-CN": "会员", "en": "Member"},
    "cust.status.pending_review": {"zh-CN": "待审核", "en": "Awaiting review"},
    "cust.status.active": {"zh-CN": "已审核", "en": "Approved"},
    "cust.status.returned": {"zh-CN": "已退回", "en": "Returned"},
    "cust.frozen": {"zh-CN": "已冻结", "en": "Frozen"},
    "cust.not_frozen": {"zh-CN": "未冻结", "en": "Not frozen"},
    "cust.key_account": {"zh-CN": "重点客户", "en": "Key account"},
    "cust.key_level.branch": {"zh-CN": "案场名单", "en": "branch list"},
    "cust.key_level.group": {"zh-CN": "集团名单", "en": "group list"},
    "cust.key_approved": {"zh-CN": "已批准", "en": "approved"},
    "cust.key_pending": {"zh-CN": "待批准", "en": "awaiting approval"},
    "cust.level.branch": {"zh-CN": "案场重点客户名单（销售经理审批）", "en": "The branch's list (its manager decides)"},
    "cust.level.group": {"zh-CN": "集团重点客户名单（管理员审批）", "en": "The group's list (an administrator decides)"},
    "cust.request.pending": {"zh-CN": "待审批", "en": "Pending"},
    "cust.request.approved": {"zh-CN": "已批准", "en": "Approved"},
    "cust.request.rejected": {"zh-CN": "已驳回", "en": "Rejected"},
    "cust.contract_no": {"zh-CN": "合同号", "en": "Contract"},
    "cust.deal": {"zh-CN": "成交", "en": "Deal"},
    "arcdeal.status.subscribed": {"zh-CN": "已认购", "en": "Subscribed"},
    "arcdeal.status.signed": {"zh-CN": "已签约", "en": "Signed"},
    "arcdeal.status.paid": {"zh-CN": "已付清", "en": "Paid"},
    "arcdeal.status.cancelled": {"zh-CN": "已取消", "en": "Cancelled"},
    "cust.err.stale": {"zh-CN": "记录刚被他人修改，请刷新后重试。", "en": "Someone else changed it: reload and retry."},
    "cust.err.wrong-status": {"zh-CN": "当前状态不能进行此操作（可能已被他人处理），请刷新后再试。",
                              "en": "Not possible in the current state (someone may have done it): reload."},
    "cust.err.action-done": {"zh-CN": "该整改措施已完成。", "en": "This action is already done."},
    "cust.err.too-many-actions": {"zh-CN": "一条投诉最多 50 项整改措施。", "en": "At most 50 actions per complaint."},
    "cust.err.unknown-staff": {"zh-CN": "请选择本案场在职的员工。", "en": "Choose an active member of the branch's staff."},
    "cust.err.unknown-deal": {"zh-CN": "请选择本案场的成交记录。", "en": "Choose one of the branch's deals."},
    "cust.err.no-change": {"zh-CN": "客户已是该等级和名单，无需申请。", "en": "The archive already has this tier and list."},
    "cust.err.unknown-account-manager": {"zh-CN": "请选择本案场在职的置业顾问或销售经理作为客户经理。",
                                         "en": "Choose an active consultant or manager of the branch."},
    "cust.err.no-report": {"zh-CN": "调查报告尚未提交。", "en": "No report filed yet."},
    "cust.err.report-approved": {"zh-CN": "调查报告已批准。", "en": "The report is already approved."},
    "cust.tier": {"zh-CN": "客户等级", "en": "Tier"},
    "cust.category": {"zh-CN": "客户类别", "en": "Category"},
    "cust.number": {"zh-CN": "档案编号", "en": "Archive no."},
    "cust.account_manager": {"zh-CN": "客户经理", "en": "Account manager"},
    "cust.no_manager": {"zh-CN": "未指定", "en": "Not assigned"},
    "cust.card.name": {"zh-CN": "姓名", "en": "Name"},
    "cust.card.employer": {"zh-CN": "工作单位", "en": "Employer"},
    "cust.card.position": {"zh-CN": "职位", "en": "Position"},
    "cust.card.address": {"zh-CN": "住址", "en": "Address"},
    "cust.card.family": {"zh-CN": "家庭", "en": "Family"},
    "cust.card.preferences": {"zh-CN": "喜好", "en": "Preferences"},
    "cust.card.birthday": {"zh-CN": "生日", "en": "Birthday"},
    "cust.card.anniversaries": {"zh-CN": "纪念日", "en": "Important dates"},
    "cust.all": {"zh-CN": "全部", "en": "All"},
    "cust.filter": {"zh-CN": "筛选", "en": "Filter"},
    "cust.open_archive": {"zh-CN": "查看档案", "en": "Open the archive"},
    "cust.elsewhere": {"zh-CN": "该客户在其他分公司也有档案", "en": "This customer has an archive at another branch too"},
    "cmp.status.received": {"zh-CN": "已受理", "en": "Received"},
    "cmp.status.investigating": {"zh-CN": "调查中", "en": "Investigating"},
    # the customers service's own words (complaints/rules.py STATUS_NAMES, answered as `status_name`)
    "cmp.status.responded": {"zh-CN": "已答复", "en": "Responded"},
    "cmp.status.closed": {"zh-CN": "已结案", "en": "Closed"},
    "cmp.status.reopened": {"zh-CN": "已重开", "en": "Reopened"},
    "cmp.category.quality": {"zh-CN": "质量", "en": "Quality"},
    "cmp.category.service": {"zh-CN": "服务", "en": "Service"},
    "cmp.category.delivery": {"zh-CN": "交付", "en": "Delivery"},
    "cmp.category.sales_promise": {"zh-CN": "销售承诺", "en": "Sales promise"},
    "cmp.category.other": {"zh-CN": "其他", "en": "Other"},
    "cmp.severity.major": {"zh-CN": "重大", "en": "Major"},
    "cmp.severity.normal": {"zh-CN": "一般", "en": "Normal"},
    "cmp.channel.phone": {"zh-CN": "电话", "en": "Phone"},
    "cmp.channel.visit": {"zh-CN": "来访", "en": "In person"},
    "cmp.channel.wechat": {"zh-CN": "微信", "en": "WeChat"},
    "cmp.channel.letter": {"zh-CN": "信函", "en": "Letter"},
    "cmp.channel.online": {"zh-CN": "网络", "en": "Online"},
    "cmp.resolution.explanation": {"zh-CN": "解释说明", "en": "Explanation"},
    "cmp.resolution.apology": {"zh-CN": "致歉", "en": "Apology"},
    "cmp.resolution.repair": {"zh-CN": "维修整改", "en": "Repair"},
    "cmp.resolution.compensation": {"zh-CN": "补偿", "en": "Compensation"},
    "cmp.resolution.refund": {"zh-CN": "退款退房", "en": "Refund"},
    "cmp.resolution.exchange": {"zh-CN": "换房", "en": "Exchange"},
    "cmp.resolution.other": {"zh-CN": "其他", "en": "Other"},
    "cmp.channel.other": {"zh-CN": "其他", "en": "Other"},
    "cmp.response.satisfied": {"zh-CN": "满意", "en": "Satisfied"},
    "cmp.response.unsatisfied": {"zh-CN": "不满意", "en": "Unsatisfied"},
    "cmp.number": {"zh-CN": "投诉编号", "en": "Complaint no."},
    "cmp.report_due": {"zh-CN": "调查报告截止", "en": "Report due"},
    "cmp.due": {"zh-CN": "处理截止", "en": "Handling due"},
    "cmp.overdue": {"zh-CN": "已逾期", "en": "Overdue"},
    "cmp.assignee": {"zh-CN": "处理人", "en": "Handled by"},
    "cmp.unassigned": {"zh-CN": "待分派", "en": "Not assigned"},
    "cmp.customer": {"zh-CN": "客户", "en": "Customer"},
    "cmp.channel": {"zh-CN": "投诉渠道", "en": "Channel"},
    "cmp.category": {"zh-CN": "投诉类别", "en": "Category"},
    "cmp.severity": {"zh-CN": "严重程度", "en": "Severity"},
    "cmp.summary": {"zh-CN": "投诉内容", "en": "Summary"},
    "cmp.received_at": {"zh-CN": "受理时间", "en": "Received"},
    "rv.kind.phone": {"zh-CN": "电话回访", "en": "Call"},
    "rv.kind.visit": {"zh-CN": "上门拜访", "en": "Visit"},
    "rv.kind.wechat": {"zh-CN": "微信", "en": "WeChat"},
    "rv.kind.gift": {"zh-CN": "赠礼", "en": "Gift"},
    "rv.kind.other": {"zh-CN": "其他", "en": "Other"},
    "rv.task.tier_cycle": {"zh-CN": "定期回访", "en": "Regular revisit"},
    "rv.task.after_sale": {"zh-CN": "签约后回访", "en": "After signing"},
    "rv.task.handover": {"zh-CN": "交房回访", "en": "At handover"},
    "rv.task.anniversary": {"zh-CN": "签约周年回访", "en": "Anniversary"},
    "rv.task.unplanned": {"zh-CN": "计划外回访", "en": "Unplanned"},
    "rv.task.other": {"zh-CN": "回访", "en": "Revisit"},
    "ev.rec.improve": {"zh-CN": "改进", "en": "Improve"},
    "ev.rec.maintain": {"zh-CN": "维持", "en": "Maintain"},
    "ev.rec.end": {"zh-CN": "终止", "en": "End"},
    "ev.status.submitted": {"zh-CN": "待审核", "en": "Submitted"},
    "ev.status.approved": {"zh-CN": "已审核", "en": "Approved"},
    "ev.status.returned": {"zh-CN": "已退回", "en": "Returned"},
    "occasion.birthday": {"zh-CN": "生日", "en": "Birthday"},
    "occasion.important_date": {"zh-CN": "纪念日", "en": "Important date"},
    "occasion.holiday": {"zh-CN": "节日", "en": "Holiday"},
})


def word(s: Screen, prefix: str, code: Any, fallback: str = "") -> str:
    """A code of the customers service in the reader's words; an unknown code shows the fallback, never itself."""
    key = f"{prefix}.{code}"
    text = s.t(key)
    return fallback if text == key else text


def names(staff: list[dict]) -> dict[str, str]:
    return {p["id"]: p.get("name") or "" for p in staff}


async def branch_screen(request: Request, *roles: str) -> Screen:
    """The signed-in user on a screen of the branch; an admin of several branches picks one first."""
    s = await screen(request, *roles)
    if not s.user.branch_id:
        branches = await s.api.items("/v1/branches")
        raise Answer(render(request, "manager_branch.html", user=s.user, branch={}, branches=branches))
    return s


def when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    return None


def customer_of(obj: dict) -> dict:
    """`{name, phone_masked}` of an archive or a complaint, whichever shape the service sends."""
    c = obj.get("customer") if isinstance(obj.get("customer"), dict) else {}
    return {"name": c.get("name") or obj.get("customer_name") or "",
            "phone_masked": c.get("phone_masked") or obj.get("phone_masked") or "",
            "birthday": c.get("birthday") or (obj.get("card") or {}).get("birthday") or ""}


def elsewhere(archive: dict) -> bool:
    """The group knows the same person has an archive at another branch (never its content)."""
    for key in ("elsewhere", "in_other_branches", "other_branches", "has_other_branches", "archives_elsewhere"):
        value = archive.get(key)
        if value:
            return True
    return False


def _date_text(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("date") or value.get("on") or (
            f"{value['month']:02d}-{value['day']:02d}" if isinstance(value.get("month"), int) and isinstance(value.get("day"), int) else "")
    return str(value or "")


def anniversaries(archive: dict) -> list[dict]:
    """The card's dates worth a greeting as `{name, date}` (a list of objects or a name → date mapping)."""
    card = archive.get("card") or {}
    raw = None
    for key in ("important_dates", "anniversaries", "dates"):
        if card.get(key) or archive.get(key):
            raw = card.get(key) or archive.get(key)
            break
    out: list[dict] = []
    if isinstance(raw, dict):
        out = [{"name": str(k), "date": _date_text(v)} for k, v in raw.items()]
    elif isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict):
                out.append({"name": str(item.get("name") or item.get("label") or item.get("occasion") or ""),
                            "date": _date_text(item)})
    return out


def readable(s: Screen, exc: ApiError) -> str:
    """The customers service's refusals in the reader's language; the rest with the API's words after a lead-in."""
    if exc.status == 412:
        return s.t("cust.err.stale")
    key = f"cust.err.{exc.kind}"
    if exc.kind and s.t(key) != key:
        return s.t(key)
    return failure(s, exc)


def may_decide(role: str, level: str | None) -> bool:
    """A branch's key-account list is its manager's (or an admin's), the group's an admin's (as the service rules)."""
    return role == "admin" or (role == "manager" and level in (None, "branch"))


async def customer_deals(s: Screen, branch_id: str, *, archive: dict | None = None, lead_id: str | None = None,
                         deal_ids: tuple = ()) -> list[dict]:
    """The customer's deals the reader may see, newest first: those of its lead (the archive's or the one given),
    the archive's linked deals (linked when signed) and any named, each with `label` (房号 · 阶段 · 合同号)."""
    archive = archive or {}
    links = {d["deal_id"]: d for d in archive.get("deals") or [] if isinstance(d, dict) and d.get("deal_id")}
    found: dict[str, dict] = {}
    for lid in dict.fromkeys(x for x in (lead_id, archive.get("lead_id")) if x):
        try:
            listed = await s.api.items("/v1/deals", branch_id=branch_id, lead_id=lid)
        except ApiError:
            listed = []
        found |= {d["id"]: d for d in listed if d.get("lead_id") == lid and d.get("id")}
    for deal_id in [i for i in dict.fromkeys((*links, *deal_ids)) if i and i not in found][:10]:
        try:
            found[deal_id] = await s.api.get(f"/v1/deals/{q(deal_id)}")
        except ApiError:
            link = links.get(deal_id) or {}
            found[deal_id] = {"id": deal_id, "status": "signed" if link else "", "unit_id": link.get("unit_id"),
                              "contract_no": link.get("contract_no")}
    units: dict[str, str] = {}
    out = []
    for deal_id, d in found.items():
        link = links.get(deal_id) or {}
        unit = d.get("unit_label") or ""
        if not unit and isinstance(d.get("unit"), dict):
            u = d["unit"]
            unit = " ".join(str(x) for x in (u.get("project"), u.get("building"), u.get("unit_no")) if x)
        unit_id = d.get("unit_id") or link.get("unit_id")
        if not unit and unit_id:
            if unit_id not in units:
                try:
                    u = await s.api.get(f"/v1/units/{q(unit_id)}")
                except ApiError:
                    u = {}
                units[unit_id] = " ".join(str(x) for x in (u.get("project"), u.get("building"), u.get("unit_no")) if x)
            unit = units[unit_id]
        unit = unit or (archive.get("card") or {}).get("unit_no") or ""
        status = word(s, "arcdeal.status", d.get("status"), d.get("status_name") or "")
        contract_no = d.get("contract_no") or link.get("contract_no") or ""
        parts = [unit or s.t("cust.deal"), status] + ([f"{s.t('cust.contract_no')} {contract_no}"] if contract_no else [])
        out.append({"id": deal_id, "deal": d, "unit": unit, "status": status, "status_code": d.get("status") or "",
                    "contract_no": contract_no, "signed_at": d.get("signed_at") or link.get("signed_at"),
                    "label": " · ".join(p for p in parts if p)})
    return sorted(out, key=lambda x: str(x["signed_at"] or x["deal"].get("created_at") or ""), reverse=True)


def key_account(s: Screen, archive: dict) -> str:
    """`重点客户（案场名单，已批准）` for a core or key account, from whatever the service says of its list."""
    if archive.get("tier") not in ("core", "key"):
        return ""
    info = archive.get("key_account") if isinstance(archive.get("key_account"), dict) else {}
    level = info.get("level") or archive.get("key_account_level") or archive.get("level")
    status = info.get("status") or archive.get("key_account_status")
    approved = info.get("approved") if "approved" in info else (
        status == "approved" if status else bool(info.get("approved_by") or archive.get("tier_approved_by")))
    parts = [word(s, "cust.key_level", level)] if level else []
    if status or info or archive.get("tier_approved_by"):
        parts.append(s.t("cust.key_approved") if approved else s.t("cust.key_pending"))
    parts = [p for p in parts if p]
    return s.t("cust.key_account") + (f"（{'，'.join(parts)}）" if parts else "")


def month_day(value: Any) -> tuple[int, int] | None:
    """(month, day) of a birthday or a date: `YYYY-MM-DD`, `MM-DD` or `--MM-DD`."""
    text = _date_text(value).strip().lstrip("-")
    parts = text.split("-")
    try:
        if len(parts) == 3:
            return int(parts[1]), int(parts[2])
        if len(parts) == 2:
            return int(parts[0]), int(parts[1])
    except ValueError:
        return None
    return None


def is_today(value: Any, today: date) -> bool:
    return month_day(value) == (today.month, today.day)


def archive_link(archive_id: str) -> str:
    return f"/console/archives/{q(archive_id)}"
