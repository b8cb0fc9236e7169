"""Partner portal (渠道报备): report a customer, follow one's own reports, dispute an attribution."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from crm_console import i18n
from crm_console.api import ApiError
from crm_console.web import PREFIX, ConsoleRoute, Screen, branch_time, screen

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
HOME = f"{PREFIX}/partner"
GENDERS = ("male", "female")
SHOWN = 100  # newest reports on the page; older ones stay in the API

i18n.register({
    "partner.title": {"zh-CN": "渠道报备", "en": "Partner portal"},
    "partner.report": {"zh-CN": "报备客户", "en": "Report a customer"},
    "partner.report_hint": {"zh-CN": "手机号可填完整号码，或前三后四隐号，如 138****5678。先报先得，报备有效期内到访即确认。",
                            "en": "Full number, or masked 3+4 like 138****5678. First report wins; a visit within the "
                                  "validity confirms it."},
    "partner.customer_name": {"zh-CN": "客户姓名", "en": "Customer name"},
    "partner.gender.": {"zh-CN": "未填", "en": "Not given"},
    "partner.gender.male": {"zh-CN": "男", "en": "Male"},
    "partner.gender.female": {"zh-CN": "女", "en": "Female"},
    "partner.gender.other": {"zh-CN": "其他", "en": "Other"},
    "partner.gender.unknown": {"zh-CN": "未知", "en": "Unknown"},
    "partner.submit": {"zh-CN": "提交报备", "en": "Submit report"},
    "partner.accepted": {"zh-CN": "报备成功：{name}，有效期至 {until}", "en": "Report accepted: {name}, valid until {until}"},
    "partner.mine": {"zh-CN": "我的报备", "en": "My reports"},
    "partner.reported_at": {"zh-CN": "报备时间", "en": "Reported"},
    "partner.expires": {"zh-CN": "报备有效期至", "en": "Valid until"},
    "partner.first_visit": {"zh-CN": "首次到访", "en": "First visit"},
    "partner.protection": {"zh-CN": "保护期至", "en": "Protected until"},
    "partner.status.accepted": {"zh-CN": "有效", "en": "Accepted"},
    "partner.status.confirmed": {"zh-CN": "已确认到访", "en": "Confirmed"},
    "partner.status.expired": {"zh-CN": "已过期", "en": "Expired"},
    "partner.status.rejected": {"zh-CN": "未通过", "en": "Refused"},
    "partner.dispute": {"zh-CN": "申诉（判客争议）", "en": "Dispute"},
    "partner.claim": {"zh-CN": "申诉理由", "en": "Your claim"},
    "partner.claim_hint": {"zh-CN": "例如：客户由我方带看，附带看记录", "en": "E.g. we brought the customer; showing record attached"},
    "partner.dispute_submit": {"zh-CN": "提交申诉", "en": "Raise dispute"},
    "partner.dispute_raised": {"zh-CN": "申诉已提交，经理将在一个工作日内处理。", "en": "Dispute raised; a manager decides within one working day."},
    "partner.dispute.open": {"zh-CN": "申诉处理中，截止 {deadline}", "en": "Dispute open, due {deadline}"},
    "partner.dispute.won": {"zh-CN": "申诉结果：判给我方（{reason}）", "en": "Decided in your favour ({reason})"},
    "partner.dispute.lost": {"zh-CN": "申诉结果：未判给我方（{reason}）", "en": "Decided against you ({reason})"},
    "partner.err.conflict": {"zh-CN": "报备未通过：该客户在本案场已有跟进中的客户或他人的有效报备（先报先得）。本次报备已记为“未通过”。",
                             "en": "Report refused: the customer already has an open lead or another partner's live "
                                   "report in this branch (first report wins). It is listed as refused."},
    "partner.err.known": {"zh-CN": "报备未通过：案场在您报备之前已接待或预约过该客户（非渠道首报），已记为驳回。",
                          "en": "Report refused: the sales office had already booked or received this customer before "
                                "your report. It is listed as refused."},
    "partner.err.phone": {"zh-CN": "手机号格式不正确：请填写11位手机号，或前三后四隐号（如 138****5678）。",
                          "en": "Invalid phone: give a full mobile number or the masked form 138****5678."},
    "partner.err.name": {"zh-CN": "请填写客户姓名（最多100字）。", "en": "Give the customer's name (at most 100 characters)."},
    "partner.err.claim": {"zh-CN": "请填写申诉理由（最多2000字）。", "en": "Write your claim (at most 2000 characters)."},
    "partner.err.no_branch": {"zh-CN": "您的账号未关联案场，请联系案场经理。", "en": "Your account has no branch; ask the sales office."},
})


def readable(s: Screen, exc: ApiError) -> str:
    """The API's refusal in the partner's language: known cases by name, others with the API's own words."""
    fields = {str(e.get("loc", [""])[-1]) for e in exc.errors}
    if exc.kind == "report-conflict":
        return s.t("partner.err.conflict")
    if exc.kind == "customer-known":
        return s.t("partner.err.known")
    if exc.status == 422 and "phone" in fields:
        return s.t("partner.err.phone")
    if exc.status == 422 and "customer_name" in fields:
        return s.t("partner.err.name")
    if exc.status == 422 and "claim" in fields:
        return s.t("partner.err.claim")
    return f"{s.t('error.bad_input') if exc.status == 422 else s.t('common.error')}：{exc.message}"


async def _page(s: Screen, status_code: int = 200, **context) -> Response:
    if not s.user.branch_id:
        return s.render("partner.html", status_code=status_code, reports=[], disputes={}, genders=GENDERS,
                        form={}, error=s.t("partner.err.no_branch"), **context)
    page = await s.api.get("/v1/channel-reports", branch_id=s.user.branch_id, limit=SHOWN)
    disputes: dict[str, dict] = {}
    for d in (await s.api.get("/v1/attribution-disputes", branch_id=s.user.branch_id, limit=SHOWN))["items"]:
        disputes.setdefault(d.get("report_id") or "", d)  # newest first: keep the latest per report
    context.setdefault("form", {})
    return s.render("partner.html", status_code=status_code, reports=page["items"], disputes=disputes,
                    genders=GENDERS, **context)


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
    flash = s.t("partner.accepted").format(name=created.get("customer_name", ""),
                                            until=branch_time(created.get("expires_at"), s.tz, "%Y-%m-%d %H:%M"))
    return s.redirect(HOME, flash=flash)


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
