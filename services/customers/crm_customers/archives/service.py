"""Archives (顾客档案): open, read in scope, change, review, freeze; the account manager's and managers' rules.

A branch sees only its own archives; a consultant only those it manages (another's is missing to it,
like another branch's). Phones are kept masked, hashed and sealed, never in clear.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from crm_shared.aggregates import event
from crm_shared.errors import Conflict, Forbidden, Invalid, NotFound
from crm_shared.events.customers import (ArchiveFrozen, ArchiveReviewed, ArchiveTierChanged, ArchiveUnfrozen,
                                         ArchiveUpdated)
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.phones import InvalidPhone, mask, normalize, normalize_masked, phone_hash
from crm_shared.plugins import ServiceContext

from crm_customers.archives import opening, rules
from crm_customers.leads import known_lead
from crm_customers.archives.models import ArchiveIn, ArchiveOut, ArchivePatch, CardIn

ARCHIVES = opening.ARCHIVES
MANAGERS = ("manager", "admin")
READERS = ("consultant", *MANAGERS)
ACCOUNT_MANAGER_ROLES = ("consultant", "manager")
OTHER_BRANCH = "其他售楼处"
_LAST4, _MASK = re.compile(r"[0-9]{4}"), re.compile(r"[0-9]{3}\*{4}[0-9]{4}")


def visible(doc: dict, who: Principal) -> bool:
    """Within the branch: all for managers, those it manages for a consultant."""
    return who.role != "consultant" or doc.get("account_manager_id") == who.sub


async def get_scoped(ctx: ServiceContext, archive_id: str, who: Principal) -> dict:
    doc = await ctx.aggregate(ARCHIVES).find_one({"_id": archive_id})
    if doc is None or not who.sees_branch(doc["branch_id"]) or not visible(doc, who):
        raise NotFound("archive")
    return doc


async def customer_fields(ctx: ServiceContext, name: str, e164: str, birthday: str | None = None) -> dict:
    return {"name": name, "phone_masked": mask(e164), "phone_hash": phone_hash(e164, ctx.settings.phone_hash_key),
            "phone_sealed": await ctx.keys.seal(e164), "birthday": birthday}


def card_fields(card: CardIn, only_set: bool = False) -> dict:
    """The card as stored: dates as ISO text, important dates with their month and day."""
    raw = card.model_dump(exclude_unset=only_set, exclude_none=not only_set)
    if raw.get("important_dates") is not None:
        raw["important_dates"] = rules.stored_dates(raw["important_dates"])
    if raw.get("handover_on") is not None:
        raw["handover_on"] = raw["handover_on"].isoformat()
    return raw


async def check_account_manager(ctx: ServiceContext, branch_id: str, staff_id: str, loc: list[str]) -> None:
    """An active consultant or manager of the branch (the directory copy), else 422 `unknown-account-manager`."""
    member = await ctx.state.member(staff_id)
    if not member or member.get("branch_id") != branch_id or member.get("role") not in ACCOUNT_MANAGER_ROLES:
        raise Invalid("the account manager must be an active consultant or manager of the branch",
                      kind="unknown-account-manager", loc=loc)


def new_doc(ctx: ServiceContext, branch_id: str, customer: dict, *, category: str, tier: str, by: str,
            account_manager_id: str | None, card: dict, tz: str, lead_id: str | None = None,
            deals: list[dict] | None = None, key_level: str | None = None, consent: dict | None = None) -> dict:
    now = utcnow()
    return {
        "_id": uuid7(), "branch_id": branch_id, "person_key": rules.person_key(branch_id, customer["phone_hash"]),
        "phone_hash": customer["phone_hash"], "phone_last4": customer["phone_masked"][-4:], "lead_id": lead_id,
        "customer": customer, "category": category, "tier": tier,
        "key_account": rules.key_account(tier, key_level or "branch", by, now), "account_manager_id": account_manager_id,
        "card": card, "marketing_consent": consent or rules.NO_CONSENT, "status": "pending_review", "review_due_at": rules.review_due(now, ctx.config.review_days, tz),
        "review_overdue_at": None, "frozen": False, "deals": deals or [], "opened_by": by, "created_at": now,
        "updated_at": now}


async def open_by_staff(ctx: ServiceContext, body: ArchiveIn, who: Principal) -> dict:
    """A consultant opens for itself; a manager for any account manager of the branch (default: itself)."""
    manager = body.account_manager_id or who.sub
    if who.role == "consultant" and manager != who.sub:
        raise Forbidden("a consultant opens archives it manages itself; a manager assigns another account manager")
    if manager != who.sub:
        await check_account_manager(ctx, body.branch_id, manager, ["body", "account_manager_id"])
    await known_lead(ctx, body.branch_id, body.lead_id)
    try:
        e164, _ = normalize_masked(body.customer.phone, ctx.settings.default_region)
    except InvalidPhone as exc:
        raise Invalid(str(exc), loc=["body", "customer", "phone"]) from None
    birthday = body.customer.birthday.isoformat() if body.customer.birthday else None
    tier = body.tier or "general"
    direct = tier == "general" or who.role in MANAGERS
    facts = await ctx.state.branch(body.branch_id)
    consent = rules.consent(body.marketing_consent, who.sub, utcnow(), "opening") \
        if "marketing_consent" in body.model_fields_set else None
    doc = new_doc(ctx, body.branch_id, await customer_fields(ctx, body.customer.name, e164, birthday),
                  category=body.category, tier=tier if direct else "general", by=who.sub, account_manager_id=manager,
                  card=card_fields(body.card), tz=facts.timezone, lead_id=body.lead_id, consent=consent)
    return await opening.open_one(ctx, doc)


def change_event(cls, doc: dict, subject: str | None = None, **fields):
    """An archive event carrying the archive's current facts (after the change); about the archive unless told."""
    return event(cls(archive_id=doc["_id"], number=doc["number"], category=doc["category"], tier=doc["tier"],
                     account_manager_id=doc.get("account_manager_id"), lead_id=doc.get("lead_id"),
                     customer_name=doc["customer"]["name"], status=doc["status"], frozen=bool(doc.get("frozen")),
                     **fields), doc["branch_id"], subject or doc["_id"])


async def patch(ctx: ServiceContext, doc: dict, body: ArchivePatch, expected: int | None, who: Principal) -> dict:
    given = body.model_dump(exclude_unset=True)
    now = utcnow()
    sets: dict = {}
    if "account_manager_id" in given or "tier" in given:
        if who.role not in MANAGERS:
            raise Forbidden("the account manager and the tier are a manager's; file a tier request "
                            "(POST /v1/archives/{id}/tier-requests)")
    if body.account_manager_id and body.account_manager_id != doc.get("account_manager_id"):
        await check_account_manager(ctx, doc["branch_id"], body.account_manager_id, ["body", "account_manager_id"])
        sets["account_manager_id"] = body.account_manager_id
    if body.card is not None:
        sets |= {f"card.{k}": v for k, v in card_fields(body.card, only_set=True).items()}
    if body.customer is not None:
        c = body.customer.model_dump(exclude_unset=True)
        if c.get("name"):
            sets["customer.name"] = c["name"]
        if "birthday" in c:
            sets["customer.birthday"] = c["birthday"].isoformat() if c["birthday"] else None
    if body.category and body.category != doc["category"]:
        sets["category"] = body.category
    if body.marketing_consent is not None and (
            consent := rules.consent_change(doc.get("marketing_consent"), body.marketing_consent, who.sub, now)):
        sets["marketing_consent"] = consent
    tier_changed = body.tier is not None and body.tier != doc["tier"]
    if tier_changed:
        if (doc.get("key_account") or {}).get("level") == "group" and who.role != "admin":
            raise Forbidden("this archive is on the group's key-account list: an admin changes its tier")
        sets |= {"tier": body.tier, "key_account": rules.key_account(body.tier, "branch", who.sub, now)}
    if not sets:
        return doc
    changes = sorted({k.split(".")[0] for k in sets} - {"tier", "key_account"})
    if doc["status"] == "returned" and set(changes) - {"marketing_consent"}:  # corrected after a return: reviewed again
        facts = await ctx.state.branch(doc["branch_id"])
        sets |= {"status": "pending_review", "review_overdue_at": None,
                 "review_due_at": rules.review_due(now, ctx.config.review_days, facts.timezone)}
    after = _applied(doc, sets)
    events = []
    if changes:
        events.append(change_event(ArchiveUpdated, after, changes=changes))
    if tier_changed:
        events.append(change_event(ArchiveTierChanged, after, previous_tier=doc["tier"], approved_by=who.sub,
                                   level="branch"))
    return await ctx.aggregate(ARCHIVES).change(doc, expected, {"$set": sets | {"updated_at": now}}, *events)


def _applied(doc: dict, sets: dict) -> dict:
    """The document as it will be after `$set` of top-level and `customer.`/`card.` fields (for the events)."""
    out = {**doc, "customer": dict(doc["customer"]), "card": dict(doc.get("card") or {})}
    for k, v in sets.items():
        head, _, tail = k.partition(".")
        if tail:
            out[head][tail] = v
        else:
            out[head] = v
    return out


async def review(ctx: ServiceContext, doc: dict, decision: str, note: str | None, expected: int | None,
                 who: Principal) -> dict:
    if doc["status"] != "pending_review":
        raise Conflict("wrong-status", f"the archive is {doc['status']}, not waiting for review", status_now=doc["status"])
    now = utcnow()
    status = "active" if decision == "approved" else "returned"
    last = {"decision": decision, "note": note, "by": who.sub, "at": now}
    after = {**doc, "status": status}
    env = change_event(ArchiveReviewed, after, decision=decision, reviewed_by=who.sub, note=note)
    return await ctx.aggregate(ARCHIVES).change(doc, expected, {"$set": {"status": status, "last_review": last,
                                                                         "updated_at": now}}, env)


async def set_frozen(ctx: ServiceContext, doc: dict, frozen: bool, reason: str, expected: int | None,
                     who: Principal) -> dict:
    """冻结 stops marketing, greetings and revisits for this archive, in this branch only; a repeat changes nothing."""
    if bool(doc.get("frozen")) == frozen:
        return doc
    now = utcnow()
    after = {**doc, "frozen": frozen}
    env = change_event(ArchiveFrozen if frozen else ArchiveUnfrozen, after, reason=reason)
    sets = {"frozen": frozen, "frozen_reason": reason if frozen else None, "frozen_by": who.sub, "frozen_at": now,
            "updated_at": now}
    return await ctx.aggregate(ARCHIVES).change(doc, expected, {"$set": sets}, env)


async def other_branches(ctx: ServiceContext, doc: dict) -> list[str]:
    """Names of the other branches where the same person has an archive: never their ids or content."""
    others = await ctx.db[ARCHIVES].find({"phone_hash": doc["phone_hash"], "branch_id": {"$ne": doc["branch_id"]}},
                                         {"branch_id": 1}).limit(100).to_list()
    ids = sorted({o["branch_id"] for o in others})
    named = {b["_id"]: b.get("name") for b in await ctx.db.branches.find({"_id": {"$in": ids}}).to_list()} if ids else {}
    return [named.get(i) or OTHER_BRANCH for i in ids]


async def staff_names(ctx: ServiceContext, ids: set[str | None]) -> dict[str, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {s["_id"]: s.get("name") for s in await ctx.db.staff.find({"_id": {"$in": sorted(ids)}}).to_list()}


def public(doc: dict, names: dict[str, str], now: datetime | None = None, others: list[str] | None = None) -> ArchiveOut:
    now = now or utcnow()
    c = doc["customer"]
    due = doc.get("review_due_at")
    return ArchiveOut(
        id=doc["_id"], **{k: doc.get(k) for k in ("branch_id", "number", "status", "category", "tier", "key_account",
                                                  "account_manager_id", "lead_id", "frozen_reason", "review_due_at",
                                                  "last_review", "opened_by", "version", "created_at", "updated_at")},
        tier_name=rules.TIER_NAMES[doc["tier"]], account_manager_name=names.get(doc.get("account_manager_id") or ""),
        customer={"name": c["name"], "phone_masked": c["phone_masked"], "birthday": c.get("birthday")},
        card=doc.get("card") or {}, frozen=bool(doc.get("frozen")), deals=doc.get("deals") or [],
        marketing_consent=consent_out(doc.get("marketing_consent"), names),
        review_overdue=doc["status"] == "pending_review" and due is not None and _aware(due) < now,
        latest_evaluation=doc.get("evaluation"), other_branches=others)


def consent_out(record: dict | None, names: dict[str, str]) -> dict:
    """The consent as answers show it: with the name of who recorded it (an import names its importer)."""
    record = record or rules.NO_CONSENT
    return {k: record.get(k) for k in ("given", "at", "by", "source")} | {"by_name": names.get(record.get("by") or "")}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def text_query(ctx: ServiceContext, q: str) -> dict:
    """`q`: the last four digits, a mask, a full number, else part of the name."""
    if _LAST4.fullmatch(q):
        return {"phone_last4": q}
    if _MASK.fullmatch(q):
        return {"customer.phone_masked": q}
    try:
        return {"phone_hash": phone_hash(normalize(q, ctx.settings.default_region), ctx.settings.phone_hash_key)}
    except InvalidPhone:
        return {"customer.name": {"$regex": re.escape(q)}}
