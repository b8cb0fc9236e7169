"""Lead exports: which leads a caller may list, and their rows as the console words them.

The rows are chosen at the request (the approver sees how many) and read again at each download, so
no file is ever stored; the full number is put in only for an approved export with full numbers.
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
from crm_shared.words import CHANNELS, LEAD_STATUSES

from crm_leads.context import MANAGERS, OPEN_STATUSES, load_branch
from crm_leads.exports.models import LeadExportIn
from crm_leads.leads import search
from crm_leads.staff import service as staff

EXPORTS, DOWNLOADS = "lead_exports", "lead_export_downloads"
EXPORTERS = ("consultant", "reception", *MANAGERS)
TITLE = "客户名单"
COLUMNS = [exports.Column(k, h) for k, h in (
    ("name", "客户姓名"), ("phone", "手机号码"), ("gender", "性别"), ("grade", "意向等级"), ("status", "状态"),
    ("owner", "归属顾问"), ("channel", "来源渠道"), ("next_follow_up_at", "下次跟进"), ("created_at", "登记时间"),
    ("interest", "意向"))]
STATUS_NAMES = LEAD_STATUSES["zh-CN"]
GENDER_NAMES = {"male": "男", "female": "女", "other": "其他", "unknown": "未知"}
POOL = "公海"
CHUNK = 500


def keep(ctx: ServiceContext) -> timedelta:
    return timedelta(hours=ctx.config.export_expiry_hours)


def selection(ctx: ServiceContext, body: LeadExportIn, who: Principal) -> dict:
    """The store query of the export: the list's filters, narrowed to what the caller may export."""
    f = body.filters
    query: dict = {"branch_id": body.branch_id}
    query |= {k: v for k, v in (("status", f.status), ("grade", f.grade), ("owner_id", f.owner_id),
                                ("source.channel", f.channel)) if v is not None}
    if f.pool is not None:
        query["in_pool"] = f.pool
    if f.overdue:
        query |= {"next_follow_up_at": {"$lt": utcnow()}, "owner_id": f.owner_id or {"$ne": None}}
        query.setdefault("status", {"$in": list(OPEN_STATUSES)})
    if f.q:
        query |= search.text_query(ctx, f.q)
    if who.role == "consultant":  # its own leads only: not a colleague's, not the pool's
        if f.owner_id not in (None, who.sub) or f.pool:
            raise Forbidden("a consultant exports only its own leads")
        query["owner_id"] = who.sub
    return query


async def name_of(ctx: ServiceContext, who: Principal) -> str:
    doc = await ctx.db.staff.find_one({"_id": who.sub})
    return exports.display_name(who, doc.get("name") if doc else None)


async def create(ctx: ServiceContext, body: LeadExportIn, who: Principal) -> dict:
    await load_branch(ctx, body.branch_id, who)
    who.require_role(*EXPORTERS)
    exports.require_requestable(body, who)
    limit = ctx.config.export_max_rows
    found = await ctx.db.leads.find(selection(ctx, body, who), {"_id": 1}).sort("_id", -1).limit(limit + 1).to_list()
    if len(found) > limit:
        raise Invalid(f"more than {limit} leads: narrow the filters", kind="export-too-large", max_rows=limit)
    doc = exports.new_record(kind="leads", body=body, filters=body.filters.model_dump(exclude_none=True), who=who,
                             who_name=await name_of(ctx, who), row_ids=[d["_id"] for d in found], now=utcnow(),
                             keep=keep(ctx))
    await ctx.db[EXPORTS].insert_one(doc)
    return doc


async def witness_name(ctx: ServiceContext, branch_id: str, witness_id: str) -> str | None:
    doc = await staff.get(ctx, witness_id, branch_id)
    return doc.get("name") if doc and doc.get("active") else None


def _phone(customer: dict, full: bool) -> str:
    e164 = customer.get("phone")
    if not full or not e164:
        return customer.get("phone_masked") or ""
    return national_digits(e164) if e164.startswith("+86") else e164


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    if moment is None:
        return ""
    return exports.aware(moment).astimezone(tz).strftime("%Y-%m-%d %H:%M")


async def rows(ctx: ServiceContext, doc: dict, tz: str) -> list[list]:
    """The chosen leads still in the branch, in the order chosen."""
    ids, found = doc["row_ids"], {}
    for at in range(0, len(ids), CHUNK):
        for lead in await ctx.db.leads.find({"_id": {"$in": ids[at:at + CHUNK]}, "branch_id": doc["branch_id"]}).to_list():
            found[lead["_id"]] = lead
    owners = {d.get("owner_id") for d in found.values()} - {None}
    names = {s["_id"]: s.get("name") for s in await ctx.db.staff.find({"_id": {"$in": sorted(owners)}}).to_list()} if owners else {}
    zone, full = ZoneInfo(tz), doc["full_numbers"]
    out = []
    for lead in (found[i] for i in ids if i in found):
        c = lead.get("customer") or {}
        owner = lead.get("owner_id")
        channel = (lead.get("source") or {}).get("channel")
        out.append([c.get("name"), _phone(c, full), GENDER_NAMES.get(c.get("gender") or "", ""), lead.get("grade") or "",
                    STATUS_NAMES.get(lead.get("status"), lead.get("status")),
                    names.get(owner) or "" if owner else POOL, CHANNELS["zh-CN"].get(channel, channel or ""),
                    _local(lead.get("next_follow_up_at"), zone), _local(lead.get("created_at"), zone),
                    lead.get("interest") or ""])
    return out


async def download(ctx: ServiceContext, doc: dict, who: Principal, fmt: exports.Format) -> tuple[bytes, str]:
    """The file, generated now; the download is audited first."""
    now = utcnow()
    exports.require_downloadable(doc, who, now)
    tz = (await load_branch(ctx, doc["branch_id"])).timezone
    name = await name_of(ctx, who)
    listed = await rows(ctx, doc, tz)
    await exports.record_download(ctx.db[EXPORTS], ctx.db[DOWNLOADS], doc, who, name, len(listed), fmt, now)
    return exports.render(fmt, TITLE, COLUMNS, listed, exports.watermark(name, now, tz, doc["_id"]), author=name, now=now)


async def ensure_indexes(ctx: ServiceContext) -> None:
    await exports.ensure_indexes(ctx.db[EXPORTS], ctx.db[DOWNLOADS])
