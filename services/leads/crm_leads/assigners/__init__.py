"""assigners aggregate."""
