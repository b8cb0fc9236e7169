"""Rebuild of the read models by replaying the stream."""
