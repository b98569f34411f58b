"""Automatic assignment inside a tier: round-robin or least-loaded, deterministic and pure.

Who may be picked: agents who serve the tier, are present, are under capacity, did not open the
ticket, and have not declined or released it. The order is a rotation over agent ids that starts
after the agent assigned last in the tier (``OrgView.tier_rotation``, kept by the caller). Keeping
the cursor as an agent id rather than an index means an agent going offline or coming back does not
shift everyone's turn. When the caller has no cursor, the rotation starts at ``ticket id mod
number of candidates``: still deterministic, and with consecutive ids it is a rotation too.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from swarm.routing import AgentView, OrgView, TicketView
from swarm.tiers.config import Strategy

__all__ = ["Pick", "eligible_agents", "pick_agent", "rotation"]


@dataclass(frozen=True)
class Pick:
    """The agent chosen, and why in words (it becomes ``Assign.why``)."""

    agent: AgentView
    why: str


def eligible_agents(ticket: TicketView, tier: int, org: OrgView) -> list[AgentView]:
    """Agents who may be assigned ``ticket`` in ``tier`` right now, sorted by id.

    Examples
    --------
    >>> from swarm.skills.graph import build_skill_graph
    >>> org = OrgView({
    ...     1: AgentView(1, "Ada", True, 0, 5, tiers=frozenset({1})),
    ...     2: AgentView(2, "Bob", False, 0, 5, tiers=frozenset({1})),   # offline
    ...     3: AgentView(3, "Cy", True, 5, 5, tiers=frozenset({1})),     # full
    ...     4: AgentView(4, "Di", True, 0, 5, tiers=frozenset({2})),     # other tier
    ... }, build_skill_graph([]))
    >>> [a.name for a in eligible_agents(TicketView(7, "P3"), 1, org)]
    ['Ada']

    With the caller's index of who serves which tier (``OrgView.tier_members``), the same:

    >>> from dataclasses import replace
    >>> indexed = replace(org, tier_members={1: [1, 2, 3], 2: [4]})
    >>> [a.name for a in eligible_agents(TicketView(7, "P3"), 1, indexed)]
    ['Ada']
    """
    # The current owner is left out too: on a release the driver may not yet have added the
    # releasing agent to excluded_agents, and giving the ticket straight back helps nobody.
    skip = set(ticket.excluded_agents)
    if ticket.owner_id is not None:
        skip.add(ticket.owner_id)
    if ticket.requester_id is not None:
        skip.add(ticket.requester_id)
    # Cheapest tests first (most agents are off shift or full at any moment); all are plain reads.
    if org.tier_members is None:
        candidates = [
            agent
            for agent in org.agents.values()
            if agent.present
            and agent.load < agent.capacity
            and tier in agent.tiers
            and agent.id not in skip
        ]
    else:
        # The caller's index of who serves the tier: the same agents, without walking everyone.
        agents = org.agents
        candidates = [
            agent
            for agent in map(agents.__getitem__, org.tier_members.get(tier, ()))
            if agent.present
            and agent.load < agent.capacity
            and tier in agent.tiers
            and agent.id not in skip
        ]
    candidates.sort(key=_agent_id)
    return candidates


def _agent_id(agent: AgentView) -> int:
    return agent.id


def rotation(candidates: list[AgentView], after: int | None, ticket_id: int) -> list[AgentView]:
    """``candidates`` (sorted by id) in turn order: first the one after agent ``after``.

    Examples
    --------
    >>> agents = [AgentView(i, f"a{i}", True, 0, 5) for i in (2, 5, 9)]
    >>> [a.id for a in rotation(agents, after=5, ticket_id=0)]
    [9, 2, 5]
    >>> [a.id for a in rotation(agents, after=9, ticket_id=0)]  # wraps around
    [2, 5, 9]
    >>> [a.id for a in rotation(agents, after=None, ticket_id=7)]  # no cursor: 7 mod 3 = 1
    [5, 9, 2]
    """
    if not candidates:
        return []
    if after is None:
        start = ticket_id % len(candidates)
    else:
        # The cursor agent may have left the candidates (offline, full): the next id still works.
        start = bisect_right([agent.id for agent in candidates], after) % len(candidates)
    return candidates[start:] + candidates[:start]


def pick_agent(
    ticket: TicketView, tier: int, org: OrgView, strategy: Strategy, tier_name: str
) -> Pick | None:
    """The agent to assign ``ticket`` in ``tier``, or ``None`` when nobody can take it.

    Only for tiers that push: a pull tier's tickets wait for an agent (the policy asks first).

    ``round_robin`` takes the next in turn; ``least_loaded`` the lowest share of capacity in use
    (load / capacity, so a part-timer with 1 of 2 is as busy as a full-timer with 5 of 10), ties
    broken by the turn order so that equal agents still take turns.
    """
    candidates = eligible_agents(ticket, tier, org)
    turn = rotation(candidates, org.tier_rotation.get(tier), ticket.id)
    if not turn:
        return None
    if strategy == "round_robin":
        agent = turn[0]
        how = f"round-robin in {tier_name}: {agent.name} is next in turn"
    else:
        # min() keeps the first of equals, i.e. the earliest in turn.
        agent = min(turn, key=lambda a: a.load / a.capacity)
        how = f"least loaded in {tier_name}: {agent.name}"
    return Pick(agent, f"{how} ({agent.load} of {agent.capacity} tickets open)")
