"""Metrics of the tiered-versus-swarm comparison: events in, a report a statistician would sign."""
