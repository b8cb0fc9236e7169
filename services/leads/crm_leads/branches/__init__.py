"""branches aggregate."""
