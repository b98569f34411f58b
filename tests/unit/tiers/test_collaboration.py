"""Collaboration in the tiered arm: the one rule the services ask before anyone swarms."""

import pytest

from swarm.tiers.collaboration import collaboration_allows, collaboration_refusal

# (setting, ticket's tier, the agent's tiers or None for "anyone at all", allowed)
CASES = [
    ("off", 1, {1}, False),
    ("off", 2, None, False),
    ("within_tier", 2, {2}, True),
    ("within_tier", 2, {1, 2, 3}, True),
    ("within_tier", 2, {3}, False),
    ("within_tier", 2, set(), False),
    ("within_tier", 2, None, True),
    ("within_tier", None, {1}, False),  # not queued in a tier yet: no tier colleagues
    ("open", 2, set(), True),
    ("open", None, None, True),
]


@pytest.mark.parametrize(("setting", "tier", "agent_tiers", "allowed"), CASES)
def test_collaboration_allows(setting, tier, agent_tiers, allowed):
    assert collaboration_allows(setting, tier, agent_tiers) is allowed


def test_refusals_say_why_and_what_to_do_instead():
    assert collaboration_refusal("off", "raising a hand", "Tier 1 (Desk)") == (
        "Tier collaboration is off: escalate instead of raising a hand."
    )
    within = collaboration_refusal("within_tier", "inviting", "Tier 2 (L2)", "Mateo Rossi")
    assert "Mateo Rossi does not serve Tier 2 (L2)" in within
    assert within.endswith("escalate instead.")
