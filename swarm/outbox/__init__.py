"""Outgoing effects: the outbox, its delivery worker and webhooks (docs/webhooks.md)."""
