"""Security matrix lines of personal-data requests (PIPL): erasures and the subject-access export.

Decisions: only a group administrator (role admin, branches `*`) may erase a customer or export what the services
hold about them -- both reach every branch. The world's admins each hold one branch, so every role here, the
admin included, is refused with 403 before anything is read (no erasure of the world's customers happens in the
matrix; the success path is tests/customers/test_erasure.py). An erasure id in the path names no branch: the
same 403 for every target.
"""

from __future__ import annotations

from uuid import uuid4

from tests.security.world import customer_phone

TABLE = """
# method path                                 admin        manager      consultant   reception    finance      partner      integrator
# -- customers: privacy (个人信息删除与查阅)
POST   /v1/privacy/erasures                   403          403          403          403          403          403          403
GET    /v1/privacy/erasures/{erasure_id}      403,403,403  403,403,403  403,403,403  403,403,403  403,403,403  403,403,403  403,403,403
GET    /v1/privacy/subject-access             403          403          403          403          403          403          403
"""


async def _erasure_body(case) -> dict:
    return {"json": {"phone": customer_phone(), "reason": "客户书面申请删除个人信息"}}


async def _erasure(case) -> str:
    return f"erasure-{uuid4().hex[:12]}"  # refused before it is looked up


async def _phone(case) -> str:
    return customer_phone()


BODIES = {("POST", "/v1/privacy/erasures"): _erasure_body}
KINDS = {"erasure": _erasure}
PARAMS = {"erasure_id": "erasure"}
QUERY = {"phone": _phone}
