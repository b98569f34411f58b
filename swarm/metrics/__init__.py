"""Metrics from the event log: per-ticket facts, the tiered-vs-swarm comparison and its
statistics (docs/metrics.md). Pure: SQL text, numpy and scipy, no web and no ORM."""
