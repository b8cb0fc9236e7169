"""HTTP of archive exports (`/v1/archive-exports`): request, approve, download, destroy (crm_shared.http.exports)."""

from __future__ import annotations

from crm_shared.http.exports import export_router

from crm_customers.exports import service
from crm_customers.exports.models import ArchiveExportIn

router = export_router(
    plugin="customers", prefix="/v1/archive-exports", noun="archives", listed="/v1/archives",
    body_model=ArchiveExportIn, service=service, settings_prefix="CRM_CUSTOMERS__",
    who_exports="Consultants export only the archives they manage (masked).")
