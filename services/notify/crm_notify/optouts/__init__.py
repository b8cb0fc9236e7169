"""optouts."""
