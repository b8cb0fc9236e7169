"""The managers' daily digest."""
