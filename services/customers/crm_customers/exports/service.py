"""Archive exports: which archives a caller may list, and their rows as the console words them.

The rows are chosen at the request (the approver sees how many) and read again at each download, so
no file is ever stored; the full number is unsealed only for an approved export with full numbers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from crm_shared import exports
from crm_shared.errors import Forbidden, Invalid
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow
from crm_shared.phones import national_digits
from crm_shared.plugins import ServiceContext

from crm_customers.archives import rules
from crm_customers.archives import service as archives
from crm_customers.exports.models import ArchiveExportIn

EXPORTS, DOWNLOADS = "archive_exports", "archive_export_downloads"
EXPORTERS = archives.READERS
TITLE = "顾客档案名单"
COLUMNS = [exports.Column(k, h) for k, h in (
    ("number", "档案编号"), ("name", "客户姓名"), ("phone", "手机号码"), ("category", "客户类别"), ("tier", "客户等级"),
    ("status", "审核状态"), ("account_manager", "客户经理"), ("frozen", "冻结"), ("created_at", "建档时间"))]
CATEGORY_NAMES = {"owner": "业主", "prospect": "意向客户", "member": "会员"}
STATUS_NAMES = {"pending_review": "待审核", "active": "已审核", "returned": "已退回"}
UNASSIGNED = "未指定"
CHUNK = 500


def keep(ctx: ServiceContext) -> timedelta:
    return timedelta(hours=ctx.config.export_expiry_hours)


def selection(ctx: ServiceContext, body: ArchiveExportIn, who: Principal) -> dict:
    """The store query of the export: the list's filters, narrowed to what the caller may export."""
    f = body.filters
    query: dict = {"branch_id": body.branch_id}
    query |= {k: v for k, v in (("tier", f.tier), ("category", f.category), ("status", f.status), ("frozen", f.frozen),
                                ("account_manager_id", f.account_manager_id), ("key_account.level", f.key_account))
              if v is not None}
    if f.q:
        query |= archives.text_query(ctx, f.q)
    if who.role == "consultant":  # the archives it manages only
        if f.account_manager_id not in (None, who.sub):
            raise Forbidden("a consultant exports only the archives it manages")
        query["account_manager_id"] = who.sub
    return query


async def name_of(ctx: ServiceContext, who: Principal) -> str:
    return exports.display_name(who, (await archives.staff_names(ctx, {who.sub})).get(who.sub))


async def create(ctx: ServiceContext, body: ArchiveExportIn, who: Principal) -> dict:
    who.require_branch(body.branch_id)
    exports.require_requestable(body, who)
    limit = ctx.config.export_max_rows
    found = await ctx.db[archives.ARCHIVES].find(selection(ctx, body, who), {"_id": 1}).sort("_id", -1) \
        .limit(limit + 1).to_list()
    if len(found) > limit:
        raise Invalid(f"more than {limit} archives: narrow the filters", kind="export-too-large", max_rows=limit)
    doc = exports.new_record(kind="archives", body=body, filters=body.filters.model_dump(exclude_none=True), who=who,
                             who_name=await name_of(ctx, who), row_ids=[d["_id"] for d in found], now=utcnow(),
                             keep=keep(ctx))
    await ctx.db[EXPORTS].insert_one(doc)
    return doc


async def witness_name(ctx: ServiceContext, branch_id: str, witness_id: str) -> str | None:
    doc = await ctx.state.member(witness_id)
    return doc.get("name") if doc and doc.get("branch_id") == branch_id else None


async def _phone(ctx: ServiceContext, customer: dict, full: bool) -> str:
    """The mask, or for a full export the number opened with the customer's own key (none once erased)."""
    e164 = await ctx.keys.unseal(customer.get("phone_sealed")) if full else None
    if not e164:
        return customer.get("phone_masked") or ""
    return national_digits(e164) if e164.startswith("+86") else e164


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    return exports.aware(moment).astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


async def rows(ctx: ServiceContext, doc: dict, tz: str) -> list[list]:
    """The chosen archives still in the branch, in the order chosen."""
    ids, found = doc["row_ids"], {}
    for at in range(0, len(ids), CHUNK):
        for one in await ctx.db[archives.ARCHIVES].find({"_id": {"$in": ids[at:at + CHUNK]},
                                                         "branch_id": doc["branch_id"]}).to_list():
            found[one["_id"]] = one
    names = await archives.staff_names(ctx, {d.get("account_manager_id") for d in found.values()})
    zone, full = ZoneInfo(tz), doc["full_numbers"]
    out = []
    for a in (found[i] for i in ids if i in found):
        c = a.get("customer") or {}
        out.append([a.get("number"), c.get("name"), await _phone(ctx, c, full), CATEGORY_NAMES.get(a.get("category"), ""),
                    rules.TIER_NAMES.get(a.get("tier"), ""), STATUS_NAMES.get(a.get("status"), a.get("status")),
                    names.get(a.get("account_manager_id") or "") or UNASSIGNED, "是" if a.get("frozen") else "否",
                    _local(a.get("created_at"), zone)])
    return out


async def download(ctx: ServiceContext, doc: dict, who: Principal, fmt: exports.Format) -> tuple[bytes, str]:
    """The file, generated now; the download is audited first."""
    now = utcnow()
    exports.require_downloadable(doc, who, now)
    tz = (await ctx.state.branch(doc["branch_id"])).timezone
    name = await name_of(ctx, who)
    listed = await rows(ctx, doc, tz)
    await exports.record_download(ctx.db[EXPORTS], ctx.db[DOWNLOADS], doc, who, name, len(listed), fmt, now)
    return exports.render(fmt, TITLE, COLUMNS, listed, exports.watermark(name, now, tz, doc["_id"]), author=name, now=now)


async def ensure_indexes(ctx: ServiceContext) -> None:
    await exports.ensure_indexes(ctx.db[EXPORTS], ctx.db[DOWNLOADS])
