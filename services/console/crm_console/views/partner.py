"""Partner portal (渠道报备): report a customer, follow one's own reports up (持续跟进), renew a confirmation
(续签), dispute an attribution. An agency's manager sees its agents' reports and disputes, by agent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.web import PREFIX, ConsoleRoute, Screen, branch_time, screen

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
HOME = f"{PREFIX}/partner"
GENDERS = ("male", "female")
SHOWN = 100  # newest reports on the page; older ones stay in the API
REASONS = ("open_lead", "customer_known", "reported_first", "confirmed_other", "no_follow_up")

i18n.register({
    "partner.title": {"zh-CN": "渠道报备", "en": "Partner portal"},
    "partner.report": {"zh-CN": "报备客户", "en": "Report a customer"},
    "partner.report_hint": {"zh-CN": "手机号可填完整号码，或隐号：前三后四（138****5678）或前四后五（1381**45678）。先报先得，"
                                     "报备有效期内到访即确认；每5天至少跟进一次，否则报备失效需重新报备。带团直接进场的，当日报备即确认。",
                            "en": "Full number, or masked: first 3 + last 4 (138****5678) or first 4 + last 5 (1381**45678). "
                                  "First report wins; a visit within the validity confirms it. Follow the customer up at "
                                  "least every 5 days or the report lapses. Bringing a group straight to the site: report "
                                  "the same day and it confirms at once."},
    "partner.customer_name": {"zh-CN": "客户姓名", "en": "Customer name"},
    "partner.gender.": {"zh-CN": "未填", "en": "Not given"},
    "partner.gender.male": {"zh-CN": "男", "en": "Male"},
    "partner.gender.female": {"zh-CN": "女", "en": "Female"},
    "partner.gender.other": {"zh-CN": "其他", "en": "Other"},
    "partner.gender.unknown": {"zh-CN": "未知", "en": "Unknown"},
    "partner.kind.agency": {"zh-CN": "中介公司（负责人）", "en": "Agency (manager)"},
    "partner.kind.agent": {"zh-CN": "经纪人", "en": "Agent"},
    "partner.submit": {"zh-CN": "提交报备", "en": "Submit report"},
    "partner.accepted": {"zh-CN": "报备成功：{name}，有效期至 {until}", "en": "Report accepted: {name}, valid until {until}"},
    "partner.confirmed_now": {"zh-CN": "报备成功并已确认到访（带团进场）：{name}，保护期至 {until}",
                              "en": "Reported and confirmed on arrival: {name}, protected until {until}"},
    "partner.mine": {"zh-CN": "我的报备", "en": "My reports"},
    "partner.agency_reports": {"zh-CN": "本公司报备（含经纪人）", "en": "The agency's reports (with its agents')"},
    "partner.agent": {"zh-CN": "经纪人", "en": "Agent"},
    "partner.all_agents": {"zh-CN": "全部", "en": "All"},
    "partner.reported_at": {"zh-CN": "报备时间", "en": "Reported"},
    "partner.expires": {"zh-CN": "报备有效期至", "en": "Valid until"},
    "partner.first_visit": {"zh-CN": "首次到访", "en": "First visit"},
    "partner.protection": {"zh-CN": "保护期至", "en": "Protected until"},
    "partner.same_day": {"zh-CN": "带团进场当日确认", "en": "Confirmed on arrival"},
    "partner.status.accepted": {"zh-CN": "有效", "en": "Accepted"},
    "partner.status.confirmed": {"zh-CN": "已确认到访", "en": "Confirmed"},
    "partner.status.expired": {"zh-CN": "已失效", "en": "Expired"},
    "partner.status.rejected": {"zh-CN": "未通过", "en": "Refused"},
    "partner.reason.open_lead": {"zh-CN": "该客户已在案场跟进中", "en": "The office already follows this customer"},
    "partner.reason.customer_known": {"zh-CN": "案场在报备前已接待或预约过该客户", "en": "The office knew the customer before the report"},
    "partner.reason.reported_first": {"zh-CN": "该客户已由其他渠道先行报备或确认（先报先得）",
                                      "en": "Another partner reported or confirmed this customer first"},
    "partner.reason.confirmed_other": {"zh-CN": "该客户已确认到访，归属其他渠道", "en": "The customer's visit confirmed another partner's report"},
    "partner.reason.no_follow_up": {"zh-CN": "超过跟进期限未跟进，报备已失效，需重新报备",
                                    "en": "Not followed up in time: the report lapsed, report the customer again"},
    "partner.follow_up": {"zh-CN": "记录跟进", "en": "Log a follow-up"},
    "partner.follow_up_note": {"zh-CN": "跟进内容", "en": "What happened"},
    "partner.follow_up_hint": {"zh-CN": "例如：电话回访，客户周六再来看样板间", "en": "E.g. called; the customer comes back on Saturday"},
    "partner.follow_up_due": {"zh-CN": "跟进截止", "en": "Follow up by"},
    "partner.last_follow_up": {"zh-CN": "最近跟进", "en": "Last follow-up"},
    "partner.followed_up": {"zh-CN": "已记录跟进，报备保持有效至 {until}", "en": "Follow-up logged; live until {until}"},
    "partner.renew": {"zh-CN": "申请续签（再延{months}个月）", "en": "Renew ({months} more months)"},
    "partner.renew_from": {"zh-CN": "可于 {date} 起续签", "en": "Renewable from {date}"},
    "partner.renewed": {"zh-CN": "确认书已续签，保护期至 {until}", "en": "Confirmation renewed; protected until {until}"},
    "partner.renewals": {"zh-CN": "已续签 {n} 次", "en": "Renewed {n} times"},
    "partner.dispute": {"zh-CN": "申诉（判客争议）", "en": "Dispute"},
    "partner.claim": {"zh-CN": "申诉理由", "en": "Your claim"},
    "partner.claim_hint": {"zh-CN": "例如：客户由我方带看，附带看记录", "en": "E.g. we brought the customer; showing record attached"},
    "partner.dispute_submit": {"zh-CN": "提交申诉", "en": "Raise dispute"},
    "partner.dispute_raised": {"zh-CN": "申诉已提交，经理将在一个工作日内处理。", "en": "Dispute raised; a manager decides within one working day."},
    "partner.dispute.open": {"zh-CN": "申诉处理中，截止 {deadline}", "en": "Dispute open, due {deadline}"},
    "partner.dispute.won": {"zh-CN": "申诉结果：判给我方（{reason}）", "en": "Decided in your favour ({reason})"},
    "partner.dispute.lost": {"zh-CN": "申诉结果：未判给我方（{reason}）", "en": "Decided against you ({reason})"},
    "partner.err.conflict": {"zh-CN": "报备未通过：该客户已由其他渠道先行报备或确认到访（先报先得）。本次报备已记为“未通过”。",
                             "en": "Report refused: another partner reported or confirmed this customer first (first "
                                   "report wins). It is listed as refused."},
    "partner.err.open_lead": {"zh-CN": "报备未通过：该客户已在案场跟进中，不属于渠道首报。本次报备已记为“未通过”。",
                              "en": "Report refused: the office already follows this customer. It is listed as refused."},
    "partner.err.known": {"zh-CN": "报备未通过：案场在您报备之前已接待或预约过该客户（非渠道首报），已记为驳回。",
                          "en": "Report refused: the sales office had already booked or received this customer before "
                                "your report. It is listed as refused."},
    "partner.err.phone": {"zh-CN": "手机号格式不正确：请填写11位手机号，或隐号（前三后四 138****5678，或前四后五 1381**45678）。",
                          "en": "Invalid phone: give a full mobile number or a mask: 138****5678 or 1381**45678."},
    "partner.err.name": {"zh-CN": "请填写客户姓名（最多100字）。", "en": "Give the customer's name (at most 100 characters)."},
    "partner.err.claim": {"zh-CN": "请填写申诉理由（最多2000字）。", "en": "Write your claim (at most 2000 characters)."},
    "partner.err.note": {"zh-CN": "请填写跟进内容（最多2000字）。", "en": "Write what happened (at most 2000 characters)."},
    "partner.err.report-not-live": {"zh-CN": "该报备已失效或未通过，不能再跟进或续签：请重新报备。",
                                    "en": "The report is no longer live: report the customer again."},
    "partner.err.not-renewable": {"zh-CN": "只有保护期内的已确认报备可以续签。", "en": "Only a live confirmation can be renewed."},
    "partner.err.renewal-too-early": {"zh-CN": "还未到续签时间：确认书到期前{days}天内可申请续签。",
                                      "en": "Too early: a confirmation is renewed in its last {days} days."},
    "partner.err.no_branch": {"zh-CN": "您的账号未关联案场，请联系案场经理。", "en": "Your account has no branch; ask the sales office."},
})


def readable(s: Screen, exc: ApiError) -> str:
    """The API's refusal in the partner's language: known cases by name, others with the API's own words."""
    fields = {str(e.get("loc", [""])[-1]) for e in exc.errors}
    reason = exc.body.get("reason")
    if exc.kind == "report-conflict":
        return s.t("partner.err.open_lead" if reason == "open_lead" else "partner.err.conflict")
    if exc.kind == "customer-known":
        return s.t("partner.err.known")
    if exc.kind == "renewal-too-early":
        return s.t("partner.err.renewal-too-early").format(days=s.branch.get("settings", {}).get("renewal_window_days", 10))
    if exc.kind in ("report-not-live", "not-renewable"):
        return s.t(f"partner.err.{exc.kind}")
    for field in ("phone", "customer_name", "claim", "note"):
        if exc.status == 422 and field in fields:
            return s.t(f"partner.err.{'name' if field == 'customer_name' else field}")
    return f"{s.t('error.bad_input') if exc.status == 422 else s.t('common.error')}：{exc.message}"


async def _account(s: Screen) -> dict | None:
    """The signed-in partner's account (an agency or an agent), None when the token names no registered one."""
    try:
        return await s.api.get(f"/v1/partners/{quote(s.user.id, safe='')}")
    except ApiError:
        return None


async def _page(s: Screen, status_code: int = 200, **context) -> Response:
    if not s.user.branch_id:
        return s.render("partner.html", status_code=status_code, reports=[], disputes={}, genders=GENDERS, form={},
                        agents={}, error=s.t("partner.err.no_branch"), **context)
    account = await _account(s)
    agency = bool(account and account["kind"] == "agency")
    agents = {p["id"]: p["name"] for p in await s.api.items("/v1/partners", branch_id=s.user.branch_id)} if agency else {}
    chosen = s.request.query_params.get("agent", "")[:64]
    page = await s.api.get("/v1/channel-reports", branch_id=s.user.branch_id, limit=SHOWN,
                           partner_id=chosen if chosen in agents else None)
    disputes: dict[str, dict] = {}
    for d in (await s.api.get("/v1/attribution-disputes", branch_id=s.user.branch_id, limit=SHOWN))["items"]:
        disputes.setdefault(d.get("report_id") or "", d)  # newest first: keep the latest per report
    now = datetime.now(UTC)
    for r in page["items"]:  # the renewal window is open (续签): the partner may renew now
        opens = _moment(r.get("renewable_from"))
        r["renewable"] = r["status"] == "confirmed" and opens is not None and opens <= now
    context.setdefault("form", {})
    return s.render("partner.html", status_code=status_code, reports=page["items"], disputes=disputes, genders=GENDERS,
                    agency=agency, agents=agents, chosen_agent=chosen if chosen in agents else "",
                    settings=s.branch.get("settings") or {}, **context)


def _moment(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


@router.get("/partner")
async def portal(request: Request) -> Response:
    s = await screen(request, "partner")
    return await _page(s)


@router.post("/partner/reports")
async def report_customer(
    request: Request, customer_name: Annotated[str, Form(max_length=100)] = "",
    gender: Annotated[str, Form(max_length=20)] = "", phone: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    s = await screen(request, "partner")
    form = {"customer_name": customer_name, "gender": gender, "phone": phone}
    body = {"branch_id": s.user.branch_id, "customer_name": customer_name.strip(), "phone": phone.strip()}
    if gender in GENDERS:
        body["gender"] = gender
    try:
        if not body["customer_name"]:
            raise ApiError(422, "validation", errors=[{"loc": ["customer_name"], "msg": "required"}])
        created = await s.api.post("/v1/channel-reports", body)
    except ApiError as exc:
        return await _page(s, status_code=exc.status if exc.status < 500 else 502, form=form, error=readable(s, exc))
    if created.get("status") == "confirmed":
        flash = s.t("partner.confirmed_now").format(name=created.get("customer_name", ""),
                                                    until=branch_time(created.get("protection_until"), s.tz, "%Y-%m-%d"))
    else:
        flash = s.t("partner.accepted").format(name=created.get("customer_name", ""),
                                                until=branch_time(created.get("expires_at"), s.tz, "%Y-%m-%d %H:%M"))
    return s.redirect(HOME, flash=flash)


@router.post("/partner/reports/{report_id}/follow-ups")
async def follow_up(request: Request, report_id: str, note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    s = await screen(request, "partner")
    try:
        if not note.strip():
            raise ApiError(422, "validation", errors=[{"loc": ["note"], "msg": "required"}])
        done = await s.api.post(f"/v1/channel-reports/{quote(report_id, safe='')}/follow-ups", {"note": note.strip()})
    except ApiError as exc:
        return await _page(s, status_code=exc.status if exc.status < 500 else 502,
                           row_error={"report_id": report_id, "message": readable(s, exc), "note": note})
    return s.redirect(HOME, flash=s.t("partner.followed_up").format(
        until=branch_time(done.get("follow_up_due_at"), s.tz, "%Y-%m-%d %H:%M")))


@router.post("/partner/reports/{report_id}/renew")
async def renew(request: Request, report_id: str) -> Response:
    s = await screen(request, "partner")
    try:
        done = await s.api.post(f"/v1/channel-reports/{quote(report_id, safe='')}/renew")
    except ApiError as exc:
        return await _page(s, status_code=exc.status if exc.status < 500 else 502,
                           row_error={"report_id": report_id, "message": readable(s, exc)})
    return s.redirect(HOME, flash=s.t("partner.renewed").format(until=branch_time(done.get("protection_until"), s.tz, "%Y-%m-%d")))


@router.post("/partner/disputes")
async def raise_dispute(
    request: Request, report_id: Annotated[str, Form(max_length=64)] = "",
    claim: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    s = await screen(request, "partner")
    try:
        if not claim.strip():
            raise ApiError(422, "validation", errors=[{"loc": ["claim"], "msg": "required"}])
        await s.api.post("/v1/attribution-disputes", {"report_id": report_id, "claim": claim.strip()})
    except ApiError as exc:
        return await _page(s, status_code=exc.status if exc.status < 500 else 502,
                           dispute_error={"report_id": report_id, "message": readable(s, exc), "claim": claim})
    return s.redirect(HOME, flash=s.t("partner.dispute_raised"))
