"""leads aggregate."""
