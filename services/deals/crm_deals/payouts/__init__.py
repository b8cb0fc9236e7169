"""payouts."""
