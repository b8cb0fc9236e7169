"""projections: reception's own copy of open leads (branches and staff: crm_shared.directory)."""
