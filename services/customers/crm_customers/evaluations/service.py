"""Relationship evaluations: the group's indicator table, evaluations filed by the account manager and reviewed
by a manager, the history per archive; the archive shows its latest evaluation."""

from __future__ import annotations

from decimal import Decimal

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from crm_shared.aggregates import event
from crm_shared.errors import Conflict, NotFound, Stale
from crm_shared.events.customers import EvaluationReviewed, EvaluationSubmitted
from crm_shared.http.auth import Principal
from crm_shared.ids import utcnow, uuid7
from crm_shared.plugins import ServiceContext

from crm_customers.archives import service as archives
from crm_customers.evaluations import rules
from crm_customers.evaluations.models import EvaluationIn, EvaluationOut

EVALUATIONS, INDICATORS, GROUP = "evaluations", "evaluation_indicators", "group"


async def indicators(ctx: ServiceContext) -> dict:
    """The group's table (the defaults until an admin sets one), with its version."""
    doc = await ctx.db[INDICATORS].find_one({"_id": GROUP})
    return doc or {"_id": GROUP, "items": [dict(i) for i in rules.DEFAULT_INDICATORS], "version": 0}


async def set_indicators(ctx: ServiceContext, items: list[dict], expected: int | None, who: Principal) -> dict:
    rules.check_indicators(items)
    current = await indicators(ctx)
    if expected is not None and expected != current["version"]:
        raise Stale(current["version"], expected)
    now = utcnow()
    fields = {"items": items, "updated_by": who.sub, "updated_at": now, "version": current["version"] + 1}
    if current["version"] == 0:
        try:
            await ctx.db[INDICATORS].insert_one({"_id": GROUP, **fields})
            return {"_id": GROUP, **fields}
        except DuplicateKeyError:  # another admin saved the first table meanwhile
            raise Stale(1, expected if expected is not None else 0) from None
    done = await ctx.db[INDICATORS].find_one_and_update({"_id": GROUP, "version": current["version"]},
                                                        {"$set": fields}, return_document=ReturnDocument.AFTER)
    if done is None:
        raise Stale((await indicators(ctx))["version"], expected if expected is not None else current["version"])
    return done


def _event(cls, doc: dict, **fields):
    return event(cls(evaluation_id=doc["_id"], archive_id=doc["archive_id"], score=float(Decimal(doc["score"])),
                     grade=doc["grade"], recommendation=doc["recommendation"],
                     account_manager_id=doc.get("account_manager_id"), **fields), doc["branch_id"], doc["_id"])


async def _show_on_archive(ctx: ServiceContext, doc: dict) -> None:
    """The archive's `evaluation`: the latest one (ids are time-ordered), never rolled back by an older one.
    A derived field: it does not raise the archive's version (an account manager's edit is not made stale)."""
    latest = {k: doc.get(k) for k in ("score", "grade", "recommendation", "status")} | {"id": doc["_id"],
                                                                                          "at": doc["created_at"]}
    await ctx.db[archives.ARCHIVES].update_one(
        {"_id": doc["archive_id"], "$or": [{"evaluation": None}, {"evaluation.id": {"$lte": doc["_id"]}}]},
        {"$set": {"evaluation": latest}})


async def submit(ctx: ServiceContext, body: EvaluationIn, who: Principal) -> dict:
    archive = await archives.get_scoped(ctx, body.archive_id, who)
    table = (await indicators(ctx))["items"]
    rules.check_scores(table, body.scores)
    score = rules.weighted(table, body.scores)
    grade = rules.grade(score)
    now, _id = utcnow(), uuid7()
    doc = {"_id": _id, "branch_id": archive["branch_id"], "archive_id": archive["_id"], "number": archive["number"],
           "customer_name": archive["customer"]["name"], "account_manager_id": archive.get("account_manager_id"),
           "indicators": table, "scores": {k: rules.text(v) for k, v in body.scores.items()},
           "score": rules.text(score), "grade": grade, "recommendation": rules.recommendation(grade, body.recommendation),
           "note": body.note, "status": "submitted", "submitted_by": who.sub, "review": None, "created_at": now}
    stored = await ctx.aggregate(EVALUATIONS).insert(doc, _event(EvaluationSubmitted, doc))
    await _show_on_archive(ctx, stored)
    return stored


async def get_scoped(ctx: ServiceContext, evaluation_id: str, who: Principal) -> dict:
    doc = await ctx.aggregate(EVALUATIONS).find_one({"_id": evaluation_id})
    if doc is None or not who.sees_branch(doc["branch_id"]):
        raise NotFound("evaluation")
    if who.role == "consultant":
        await archives.get_scoped(ctx, doc["archive_id"], who)  # 404 unless it manages the archive
    return doc


async def review(ctx: ServiceContext, doc: dict, decision: str, note: str | None, expected: int | None,
                 who: Principal) -> dict:
    if doc["status"] != "submitted":
        raise Conflict("wrong-status", f"the evaluation is {doc['status']}", status_now=doc["status"])
    after = {**doc, "status": decision}
    done = await ctx.aggregate(EVALUATIONS).change(
        doc, expected, {"$set": {"status": decision, "review": {"decision": decision, "note": note, "by": who.sub,
                                                                "at": utcnow()}}},
        _event(EvaluationReviewed, after, decision=decision, reviewed_by=who.sub))
    await _show_on_archive(ctx, done)
    return done


def public(doc: dict) -> EvaluationOut:
    return EvaluationOut(id=doc["_id"], **{k: doc.get(k) for k in EvaluationOut.model_fields if k not in (
        "id", "grade_name", "recommendation_name")}, grade_name=rules.GRADE_NAMES[doc["grade"]],
        recommendation_name=rules.RECOMMENDATION_NAMES[doc["recommendation"]])


async def ensure_indexes(ctx: ServiceContext) -> None:
    await ctx.db[EVALUATIONS].create_index([("archive_id", 1)])
    await ctx.db[EVALUATIONS].create_index([("branch_id", 1), ("status", 1)])
