"""HTTP of personal-data requests (PIPL): erasures and the subject-access export; group administrators only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from crm_shared.http.auth import Principal, require_roles
from crm_shared.plugins import ServiceContext, context_of
from crm_shared.text import Line

from crm_customers.privacy import service

router = APIRouter(tags=["privacy"])
Ctx = Annotated[ServiceContext, Depends(context_of("customers"))]
ErasureId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
HOLDINGS_TIMEOUT = 5.0


class ErasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = Field(min_length=3, max_length=40, examples=["13812345678"], description="The customer's number, any format.")
    reason: Line(500) = Field(examples=["客户书面申请删除个人信息"])


class ServiceProgress(BaseModel):
    service: str
    service_name: str
    status: Literal["pending", "done"]
    records: int | None = Field(None, description="Documents the service deleted or anonymised.")
    at: datetime | None = None


class ErasureOut(BaseModel):
    id: str
    status: Literal["running", "done"]
    phone_hash: str
    reason: str | None = None
    requested_by: str | None = None
    key_erased: bool | None = Field(None, description="Whether the customer had a data key (now purged).")
    branches: list[str] = Field(default_factory=list, description="Branches `customer.erased` went to.")
    services: list[ServiceProgress]
    created_at: datetime
    finished_at: datetime | None = None
    version: int


@router.post("/v1/privacy/erasures", status_code=202, response_model=ErasureOut,
             summary="Erase a customer (个人信息删除, PIPL art. 47)",
             description="Group administrators (role admin, branches `*`). Purges the customer's data key and its "
             "history from the key bucket at once (every sealed copy of their number, in the stream and in backups, "
             "stays shut from then on), then publishes `customer.erased` to every branch; each of leads, reception, "
             "notify, reports, deals and customers deletes or anonymises its records and reports back. 202 with "
             "`status: running`; follow it at `GET /v1/privacy/erasures/{id}`.")
async def erase(body: ErasureIn, c: Ctx, who: Principal = require_roles("admin")) -> ErasureOut:
    return ErasureOut(**service.public(await service.request(c, body.phone, body.reason, who)))


@router.get("/v1/privacy/erasures/{erasure_id}", response_model=ErasureOut, summary="An erasure's progress per service",
            description="Group administrators. `status` is `done` when all six services have answered.")
async def get_erasure(erasure_id: ErasureId, c: Ctx, who: Principal = require_roles("admin")) -> ErasureOut:
    return ErasureOut(**service.public(await service.get(c, erasure_id, who)))


@router.get("/v1/privacy/subject-access", summary="What every service holds about a customer (个人信息查阅)",
            description="Group administrators. Asks each service over NATS (`<prefix>_privacy.holdings`, services "
            "only) what it keeps about the number: per kind of record a label, a count and the first records' "
            "non-secret fields (names, masks, dates, states; never the full number). `missing` names the services "
            "that did not answer within 5 s. Whether the customer still has a data key, and their erasures. Logged.")
async def subject_access(request: Request, c: Ctx, phone: Annotated[str, Query(min_length=3, max_length=40)],
                         who: Principal = require_roles("admin")) -> dict:
    return await service.subject_access(c, request.app.state.nc, phone, who, HOLDINGS_TIMEOUT)
