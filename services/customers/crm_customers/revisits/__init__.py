"""revisits."""
