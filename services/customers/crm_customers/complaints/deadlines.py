"""The complaint deadlines timer: each missed deadline (the report's, the handling one) raises one
`complaint.overdue`, escalated to the branch's managers.

The flag of the deadline is set in the same write as the event, guarded by the deadline and the flag, so a
second replica, a rerun or a restart never raises it twice; a closed complaint never raises one.
"""

from __future__ import annotations

from datetime import datetime

from crm_shared.events.customers import ComplaintOverdue
from crm_shared.plugins import ServiceContext
from crm_shared.timers import AGAIN

from crm_customers.complaints import rules
from crm_customers.complaints.service import COMPLAINTS, complaint_event, history_line

BATCH = 200
SLIM = {"history": 0, "actions": 0, "earlier": 0, "report": 0}


async def raise_overdue(ctx: ServiceContext, now: datetime) -> object:
    """Timer pass: the number of overdue events raised (AGAIN when a batch was full)."""
    raised, full = 0, False
    managers: dict[str, list[str]] = {}
    for deadline in rules.DEADLINES:
        flag, due = rules.FLAG[deadline], rules.DUE[deadline]
        query = {"status": {"$in": list(rules.OPEN)}, flag: None, due: {"$lt": now}}
        if deadline == "report":
            query["report_filed_at"] = None
        docs = await ctx.aggregate(COMPLAINTS).find(query, SLIM).limit(BATCH).to_list()
        full = full or len(docs) == BATCH
        for doc in docs:
            if not rules.missed(doc, deadline, now):
                continue
            branch = doc["branch_id"]
            if branch not in managers:
                managers[branch] = [m["_id"] for m in await ctx.state.members(branch, role="manager")]
            env = complaint_event(ComplaintOverdue, doc, deadline=deadline, missed_at=doc[due], escalated_to=managers[branch])
            guard = {"_id": doc["_id"], "status": {"$in": list(rules.OPEN)}, flag: None, due: doc[due]}
            if deadline == "report":
                guard["report_filed_at"] = None
            done = await ctx.aggregate(COMPLAINTS).update(guard, {
                "$set": {flag: now},
                "$push": {"history": history_line("overdue", "system", doc["status"], deadline, now)}}, env)
            raised += done is not None
    return AGAIN if full and raised else raised
