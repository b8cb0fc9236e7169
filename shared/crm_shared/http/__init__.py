"""HTTP conventions shared by every service (CONTRACT.md "Conventions")."""
