"""receptions."""
