"""HTTP of lead exports (`/v1/lead-exports`): request, approve, download, destroy (crm_shared.http.exports)."""

from __future__ import annotations

from crm_shared.http.exports import export_router

from crm_leads.exports import service
from crm_leads.exports.models import LeadExportIn

router = export_router(
    plugin="leads", prefix="/v1/lead-exports", noun="leads", listed="/v1/leads", body_model=LeadExportIn,
    service=service, settings_prefix="CRM_LEADS__",
    who_exports="Consultants export only their own leads (masked), the front desk the branch's (masked).")
