"""CRM notify service."""
