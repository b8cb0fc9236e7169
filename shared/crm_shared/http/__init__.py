"""HTTP conventions shared by every service (docs/contract.md, "Conventions")."""
