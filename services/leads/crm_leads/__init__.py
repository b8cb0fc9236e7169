"""CRM leads service."""
