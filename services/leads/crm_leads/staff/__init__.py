"""staff aggregate."""
