"""Import of an office's existing owners (老业主) from its sheet: XLSX, or CSV in UTF-8 or GBK, with Chinese or
English headers (姓名 电话 生日 房号 类别 等级 客户经理 工作单位 职务 地址 家庭 爱好 交房日期 同意营销短信). Each row opens an
archive, meets the person's archive in the branch (`exists`, naming it), or is invalid (why); what is only
unreadable in an optional cell is left empty with a warning. Numbers are taken as one block per chunk."""

from __future__ import annotations

from typing import Any

from crm_shared.errors import Conflict
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.phones import InvalidPhone, normalize
from crm_shared.plugins import ServiceContext
from crm_shared.sheets import Columns, Sheet, plain
from crm_shared.text import clean_line, clean_paragraph, lived

from crm_customers.archives import opening, rules, service

CHUNK = 500
COLUMNS = Columns(
    headers={
        "name": ("姓名", "客户姓名", "业主姓名", "name"),
        "phone": ("电话", "手机", "手机号", "手机号码", "联系电话", "phone", "mobile"),
        "birthday": ("生日", "出生日期", "birthday"),
        "unit_no": ("房号", "房间号", "房屋", "unit", "unit_no"),
        "category": ("类别", "客户类别", "category"),
        "tier": ("等级", "客户等级", "级别", "tier"),
        "account_manager": ("客户经理", "置业顾问", "专属顾问", "account_manager"),
        "employer": ("工作单位", "单位", "公司", "employer"),
        "position": ("职务", "职位", "position"),
        "address": ("地址", "住址", "联系地址", "address"),
        "family": ("家庭", "家庭情况", "家庭成员", "family"),
        "preferences": ("爱好", "兴趣爱好", "偏好", "preferences"),
        "handover_on": ("交房日期", "交付日期", "handover", "handover_on"),
        "marketing_consent": ("同意营销短信", "同意接收营销短信", "同意接收问候", "同意短信问候", "营销短信", "短信问候",
                              "marketing_consent", "consent"),
    },
    required=("name", "phone"), required_text="姓名 and 电话 (name and phone)",
    longest={"family": 500, "preferences": 500})
LINES = {"unit_no": 50, "employer": 100, "position": 100, "address": 200}
PARAGRAPHS = {"family": 500, "preferences": 500}
MESSAGES = {
    "opened": "已建档 {number}", "exists": "该客户在本售楼处已有档案 {number}",
    "duplicate_in_sheet": "与第 {first} 行是同一客户，未重复建档", "opening": "该客户正在建档，请稍后重试",
    "bad_name": "姓名无效", "bad_phone": "电话「{value}」不是有效号码", "unreadable": "该行无法读取",
    "birthday_bad": "生日「{value}」无法识别，未填写", "category_bad": "类别「{value}」无法识别，按业主建档",
    "tier_bad": "等级「{value}」无法识别，按一般客户建档", "handover_bad": "交房日期「{value}」无法识别，未填写",
    "manager_unknown": "客户经理「{value}」不是本售楼处在职员工，由导入人负责", "text_bad": "「{field}」内容无效，未填写",
    "consent_bad": "同意营销短信「{value}」无法识别，按未同意建档",
}


def _msg(code: str, **values: Any) -> dict:
    return {"code": code, "message": MESSAGES[code].format(**values), **values}


def _text(cells: dict, field: str, warnings: list) -> str | None:
    value = cells.get(field)
    if value is None:
        return None
    try:
        return clean_paragraph(str(value)) if field in PARAGRAPHS else clean_line(str(value))
    except ValueError:
        warnings.append(_msg("text_bad", field=COLUMNS.headers[field][0]))
        return None


def _day(cells: dict, field: str, code: str, warnings: list, birthday: bool = False) -> str | None:
    value = cells.get(field)
    if value is None:
        return None
    day = rules.day_of(value)
    try:
        if day is not None and birthday:
            lived(day)
    except ValueError:
        day = None
    if day is None:
        warnings.append(_msg(code, value=str(value)[:40]))
    return day.isoformat() if day else None


async def row_doc(ctx: ServiceContext, branch_id: str, row: dict, staff: dict[str, str], who: Principal, tz: str,
            job_id: str) -> tuple[dict | None, list, dict | None]:
    """(archive doc, warnings, error) of one sheet row."""
    cells, warnings = row["cells"], []
    try:
        name = clean_line(str(cells.get("name") or ""))
    except ValueError:
        return None, warnings, _msg("bad_name")
    try:
        e164 = normalize(str(cells.get("phone") or ""), ctx.settings.default_region)
    except InvalidPhone:
        return None, warnings, _msg("bad_phone", value=str(cells.get("phone") or "")[:40])
    category = rules.category_of(cells.get("category"))
    if category is None:
        warnings.append(_msg("category_bad", value=str(cells["category"])[:40]))
    tier = rules.tier_of(cells.get("tier"))
    if tier is None:
        warnings.append(_msg("tier_bad", value=str(cells["tier"])[:40]))
    manager = who.sub
    if cells.get("account_manager") is not None:
        found = staff.get(plain(str(cells["account_manager"])))
        if found is None:
            warnings.append(_msg("manager_unknown", value=str(cells["account_manager"])[:40]))
        manager = found or manager
    card = {f: v for f in (*LINES, *PARAGRAPHS) if (v := _text(cells, f, warnings)) is not None}
    if handover := _day(cells, "handover_on", "handover_bad", warnings):
        card["handover_on"] = handover
    birthday = _day(cells, "birthday", "birthday_bad", warnings, birthday=True)
    consent = None
    if "marketing_consent" in cells:  # what the sheet says is recorded, by the importer; a blank cell says nothing
        given = rules.consent_of(cells["marketing_consent"])
        if given is None:
            warnings.append(_msg("consent_bad", value=str(cells["marketing_consent"])[:40]))
        consent = rules.consent(bool(given), who.sub, utcnow(), "import")
    doc = service.new_doc(ctx, branch_id, await service.customer_fields(ctx, name, e164, birthday),
                          category=category or "owner", tier=tier or "general", by=who.sub,
                          account_manager_id=manager, card=card, tz=tz, consent=consent)
    doc |= {"opened_by": f"import:{job_id}", "imported_by": who.sub}
    return doc, warnings, None


async def run(ctx: ServiceContext, branch_id: str, sheet: Sheet, who: Principal) -> dict:
    """Open the sheet's archives; the per-row report, in sheet order."""
    job_id = uuid7()
    facts = await ctx.state.branch(branch_id)
    members = await ctx.state.members(branch_id)
    staff = {plain(m["name"]): m["_id"] for m in members if m.get("name") and m.get("role") in service.ACCOUNT_MANAGER_ROLES}
    report: list[dict] = []
    pending: list[tuple[dict, dict]] = []  # (report row, doc)
    first_row: dict[str, int] = {}
    for row in sheet.rows:
        if "error" in row:
            report.append({"n": row["n"], "outcome": "invalid", "error": _msg("unreadable")})
            continue
        doc, warnings, error = await row_doc(ctx, branch_id, row, staff, who, facts.timezone, job_id)
        item = {"n": row["n"], "warnings": warnings}
        report.append(item)
        if error is not None:
            item |= {"outcome": "invalid", "error": error}
        elif doc["person_key"] in first_row:
            item |= {"outcome": "duplicate_in_sheet", "error": _msg("duplicate_in_sheet", first=first_row[doc["person_key"]])}
        else:
            first_row[doc["person_key"]] = row["n"]
            item["customer_name"] = doc["customer"]["name"]
            pending.append((item, doc))
    for start in range(0, len(pending), CHUNK):
        chunk = pending[start:start + CHUNK]
        for (item, _), result in zip(chunk, await opening.open_many(ctx, branch_id, [d for _, d in chunk]), strict=True):
            if isinstance(result, Conflict):
                code = "exists" if result.kind == "archive-exists" else "opening"
                item |= {"outcome": code, "archive_id": result.fields.get("existing_archive_id"),
                         "number": result.fields.get("existing_number"),
                         "error": _msg(code, number=result.fields.get("existing_number"))}
            else:
                item |= {"outcome": "opened", "archive_id": result["_id"], "number": result["number"],
                         "message": MESSAGES["opened"].format(number=result["number"])}
    counts = {k: sum(1 for r in report if r["outcome"] == k) for k in ("opened", "exists", "duplicate_in_sheet", "invalid")}
    return {"job_id": job_id, "branch_id": branch_id, "total": len(report), **counts,
            "ignored_columns": sheet.ignored, "rows": report}
