"""NATS JetStream plumbing: stream set-up, the outbox relay and idempotent consumers."""
