"""Collaboration in the tiered arm: may a tiered ticket's people swarm, and with whom?

Tiered support is compared against swarming; if tiered tickets may also invite helpers, raise a
hand to suggested experts and take offers of help, the comparison measures a hybrid. The
organisation chooses (the ``collaboration`` key of the tier settings, ``docs/tiers.md``):

- ``off`` (the default): pure tiers. A tiered ticket is worked by its tier's owner alone; what
  the tier cannot solve is escalated, which is the handoff the tiered model is made of;
- ``within_tier``: the owner may ask, and be offered help by, agents who serve the ticket's
  current tier (a team of L2 colleagues helping each other, but no Tier 3 expert pulled down);
- ``open``: like swarming: anyone may be invited or offer help.

The rule is one pure function, called by the services that invite, raise a hand, offer help and
suggest helpers on a tiered ticket; swarm tickets never ask it.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal, get_args

__all__ = [
    "COLLABORATION_SETTINGS",
    "Collaboration",
    "collaboration_allows",
    "collaboration_refusal",
]

Collaboration = Literal["off", "within_tier", "open"]
COLLABORATION_SETTINGS: tuple[str, ...] = get_args(Collaboration)


def collaboration_allows(
    setting: Collaboration, ticket_tier: int | None, agent_tiers: Collection[int] | None = None
) -> bool:
    """Whether a tiered ticket in ``ticket_tier`` may involve an agent serving ``agent_tiers``.

    ``agent_tiers`` is ``None`` when no particular agent is named (raising a hand asks whoever
    is suggested): then the question is whether the setting lets anyone be asked at all. A
    ticket not in a tier (never queued) has no tier colleagues, so ``within_tier`` refuses.

    Examples
    --------
    >>> collaboration_allows("off", 2, {2})
    False
    >>> collaboration_allows("within_tier", 2, {2, 3}), collaboration_allows("within_tier", 2, {3})
    (True, False)
    >>> collaboration_allows("within_tier", 2), collaboration_allows("open", 2, set())
    (True, True)
    """
    if setting == "open":
        return True
    if setting == "off" or ticket_tier is None:
        return False
    return agent_tiers is None or ticket_tier in agent_tiers


def collaboration_refusal(
    setting: Collaboration, doing: str, tier_name: str, agent_name: str | None = None
) -> str:
    """The sentence that says why ``doing`` is refused on a ticket in ``tier_name``.

    Examples
    --------
    >>> collaboration_refusal("off", "inviting", "Tier 1 (Service desk)")
    'Tier collaboration is off: escalate instead of inviting.'
    >>> collaboration_refusal("within_tier", "inviting", "Tier 2 (L2)", "Mateo")
    'Tier collaboration stays within the tier: Mateo does not serve Tier 2 (L2); escalate instead.'
    """
    if setting == "off":
        return f"Tier collaboration is off: escalate instead of {doing}."
    who = agent_name or "that person"
    return (
        f"Tier collaboration stays within the tier: {who} does not serve {tier_name}; "
        "escalate instead."
    )
