"""CRM reception service."""
