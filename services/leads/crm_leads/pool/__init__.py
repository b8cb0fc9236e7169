"""pool aggregate."""
