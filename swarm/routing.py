"""The routing-policy interface shared by the live service and the simulator.

A policy is a plain object that looks at a snapshot of one ticket (:class:`TicketView`) and of the
organisation (:class:`OrgView`) at a moment ``now`` passed in by the caller, and returns
:data:`Decision` values. It never reads the clock or the database: the live driver applies the
decisions through the ticket services, the simulator applies the same decisions to its own state on
a virtual clock, so both sides of a tiered-vs-swarm comparison run the same code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from swarm.skills.graph import SkillGraph
from swarm.skills.proficiency import Proficiency

__all__ = [
    "AgentView",
    "Assign",
    "ClearDeadline",
    "Decision",
    "Escalate",
    "Offer",
    "OrgIndex",
    "OrgView",
    "Priority",
    "Proficiency",
    "Queue",
    "RoutingPolicy",
    "SetDeadline",
    "SuggestHelpers",
    "TicketView",
]

Priority = Literal["P1", "P2", "P3", "P4"]
Mode = Literal["swarm", "tiered"]


@dataclass(frozen=True)
class AgentView:
    """One agent as routing sees it.

    Parameters
    ----------
    id, name
        Identity; ``name`` is only used in explanations.
    present : bool
        Online and accepting work right now.
    load : int
        Tickets the agent currently owns.
    capacity : int
        How many tickets the agent may own at once.
    tiers : frozenset of int
        Tiers the agent serves in tiered mode (ignored by swarming).
    proficiencies : mapping
        ``skill id -> Proficiency``.
    wants_to_learn : frozenset of int
        Skill ids the agent has set as learning goals.
    recent_owned : int
        Tickets the agent took ownership of recently (the window is the caller's, e.g. 7 days);
        feeds the fairness term.
    """

    id: int
    name: str
    present: bool
    load: int
    capacity: int
    tiers: frozenset[int] = frozenset()
    proficiencies: Mapping[int, Proficiency] = field(default_factory=dict, hash=False)
    wants_to_learn: frozenset[int] = frozenset()
    recent_owned: int = 0


@dataclass(frozen=True)
class TicketView:
    """One ticket as routing sees it.

    Parameters
    ----------
    id : int
    priority : {"P1", "P2", "P3", "P4"}
    required_skills : mapping
        ``skill id -> weight`` (weights are relative; scoring normalises them to sum to 1).
    requester_id : int or None
    owner_id : int or None
        Current owner, ``None`` while unowned.
    tier : int or None
        Current tier (tiered mode); ``None`` when not queued in a tier.
    mode : {"swarm", "tiered"}
    excluded_agents : frozenset of int
        Agents who declined or released this ticket; they are not offered it again.
    deadlines : mapping
        ``kind -> due time`` of the ticket's pending deadlines, so that ``on_deadline`` can tell
        which one fired (those due at or before ``now``).
    """

    id: int
    priority: Priority
    # hash=False: a frozen view is still hashable by its scalar fields if a caller needs it.
    required_skills: Mapping[int, float] = field(default_factory=dict, hash=False)
    requester_id: int | None = None
    owner_id: int | None = None
    tier: int | None = None
    mode: Mode = "swarm"
    excluded_agents: frozenset[int] = frozenset()
    deadlines: Mapping[str, datetime] = field(default_factory=dict, hash=False)


class OrgIndex(Protocol):
    """Matrices about the agents that a caller keeps precomputed between routing calls.

    The interface names no implementation: :class:`swarm.matching.index.AgentIndex` is the one
    the matching functions read (they build their own from ``OrgView.agents`` when given none,
    or another kind), and the live driver and the simulator keep one up to date.
    """

    def at(self, now: datetime) -> OrgIndex:
        """The index with its time-dependent parts (proficiency decay) moved to ``now``."""
        ...


@dataclass(frozen=True)
class OrgView:
    """The organisation as routing sees it.

    Parameters
    ----------
    agents : mapping
        ``agent id -> AgentView``.
    skills : SkillGraph
        The taxonomy with its precomputed similarity matrix.
    collaboration : mapping
        ``agent id -> other agent id -> number of past tickets they worked on together``
        (symmetric; the caller may give one direction only, both are read).
    requester_history : mapping
        ``requester id -> agent id -> tickets of that requester the agent owned``; the
        continuity term.
    index : OrgIndex or None
        Precomputed matrices (:mod:`swarm.matching.index`), kept up to date by the caller
        (the live driver caches it and refreshes one agent's row on a change). When ``None`` the
        matching functions build one from ``agents``, which is fine for small organisations and
        tests but costs O(agents) per call.
    tier_rotation : mapping
        ``tier -> id of the agent last assigned automatically in that tier``: the round-robin
        cursor of tiered mode. Kept by the caller (the live driver derives it from the latest
        ``assigned {by: policy}`` event of the tier, the simulator from the last ``Assign`` it
        applied) so that the policy stays pure. Empty is fine: rotation then starts at a place
        derived from the ticket id.
    tier_members : mapping or None
        ``tier -> ids of the agents who serve it``: an optional index kept by a caller whose
        agents' tiers do not change (the simulator), so that tiered assignment reads a tier's
        agents instead of walking the organisation. Every id must be in ``agents`` and every
        agent serving a tier in its list; ``None`` (the live driver) walks ``agents``.
    """

    agents: Mapping[int, AgentView]
    skills: SkillGraph
    collaboration: Mapping[int, Mapping[int, int]] = field(default_factory=dict, hash=False)
    requester_history: Mapping[int, Mapping[int, int]] = field(default_factory=dict, hash=False)
    index: OrgIndex | None = field(default=None, compare=False, hash=False)
    tier_rotation: Mapping[int, int] = field(default_factory=dict, hash=False)
    tier_members: Mapping[int, Sequence[int]] | None = field(
        default=None, compare=False, hash=False
    )


@dataclass(frozen=True)
class Assign:
    """Make ``agent_id`` the owner."""

    agent_id: int
    why: str


@dataclass(frozen=True)
class Offer:
    """Offer ownership to these agents; the first to accept owns the ticket."""

    agent_ids: tuple[int, ...]
    why: str


@dataclass(frozen=True)
class Queue:
    """Put the ticket in a queue: tier ``tier``, or the triage (dispatch) queue when ``None``.

    ``intake`` is how a tier takes it: ``"push"`` (an ``Assign`` follows when someone can take
    it) or ``"pull"`` (it waits for an agent to take it); ``None`` outside tiered mode.
    """

    tier: int | None
    why: str = ""
    intake: str | None = None


@dataclass(frozen=True)
class Escalate:
    """Move the ticket to ``to_tier``."""

    to_tier: int
    reason: str


@dataclass(frozen=True)
class SuggestHelpers:
    """Suggest these agents to the owner as swarm members (the owner invites them)."""

    agent_ids: tuple[int, ...]
    why: str


@dataclass(frozen=True)
class SetDeadline:
    """Call ``on_deadline`` at ``at`` unless cleared first; one deadline per ``kind``."""

    kind: str
    at: datetime


@dataclass(frozen=True)
class ClearDeadline:
    """Forget the pending deadline of this ``kind``."""

    kind: str


Decision = Assign | Offer | Queue | Escalate | SuggestHelpers | SetDeadline | ClearDeadline


class RoutingPolicy(Protocol):
    """What the live driver and the simulator call. Pure: no I/O, no clock, no database."""

    def on_opened(self, ticket: TicketView, org: OrgView, now: datetime) -> list[Decision]:
        """A ticket was created (or its required skills were set for the first time)."""
        ...

    def on_deadline(self, ticket: TicketView, org: OrgView, now: datetime) -> list[Decision]:
        """One of the ticket's deadlines is due (``ticket.deadlines`` says which)."""
        ...

    def on_released(self, ticket: TicketView, org: OrgView, now: datetime) -> list[Decision]:
        """The owner gave the ticket up; it needs a new owner."""
        ...
