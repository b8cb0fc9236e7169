"""Import job and row shapes (docs/contract.md, "Importing a sheet")."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

State = Literal["running", "done", "failed"]


class ImportJobOut(BaseModel):
    """An import: where it stands and what it has done so far."""

    id: str = Field(description="The job id (`job_id` in the upload's answer).")
    job_id: str
    branch_id: str
    state: State = Field(description="`running`, then `done` (every row has an outcome) or `failed` (stopped after "
                         "repeated errors; rows not reached were not imported).")
    file_name: str
    total: int = Field(description="Rows in the sheet (blank rows not counted).")
    done: int = Field(description="Rows with an outcome so far.")
    created: int
    duplicates: int
    invalid: int
    warnings: int = Field(description="Imported rows with a value left out (see each row's `warnings`).")
    channel: str = Field(description="Channel of rows without a recognised 来源渠道.")
    columns: dict[str, str] = Field(description="Header as written -> the field it was read as.")
    ignored: list[str] = Field(description="Headers not recognised (their columns were not imported).")
    created_by: str
    created_by_role: str = Field(description="The uploader's role (a name is looked up by `created_by`).")
    created_at: datetime
    finished_at: datetime | None = None


def public(job: dict) -> ImportJobOut:
    return ImportJobOut(id=job["_id"], job_id=job["_id"], **{k: job.get(k) for k in (
        "branch_id", "state", "total", "done", "created", "duplicates", "invalid", "warnings", "channel", "columns",
        "ignored", "created_by", "created_by_role", "created_at", "finished_at")}, file_name=job.get("file_name") or "")
