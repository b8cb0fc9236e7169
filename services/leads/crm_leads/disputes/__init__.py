"""disputes aggregate."""
