"""Matching: owner ranking, swarm (team) recommendation, explanations, SwarmPolicy (pure)."""
