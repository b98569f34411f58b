"""``SwarmPolicy``: intelligent swarming as a :class:`~swarm.routing.RoutingPolicy`.

On a new ticket the best-placed owner is assigned (or, when configured, the top few are offered the
ticket and the best is assigned if nobody accepts in time), and the helpers who cover what the owner
cannot are suggested. The policy never raises on bad routing input: a ticket without skills, with a
skill the taxonomy lacks, or that nobody can take right now goes to the triage queue with a reason,
and a retry deadline when waiting may help.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from swarm.matching.scoring import DEFAULT_WEIGHTS, OwnerSuggestion, ScoringWeights, rank_owners
from swarm.matching.team import TeamSettings, recommend_team
from swarm.routing import (
    Assign,
    ClearDeadline,
    Decision,
    Offer,
    OrgView,
    Priority,
    Queue,
    SetDeadline,
    SuggestHelpers,
    TicketView,
)
from swarm.skills.graph import UnknownSkillError

#: Deadline kinds this policy sets.
OFFER_DEADLINE = "offer"
RETRY_DEADLINE = "reroute"

#: ``Queue(tier=TRIAGE)`` is the dispatch (triage) queue, outside any tier.
TRIAGE: None = None


@dataclass(frozen=True)
class SwarmSettings:
    """How :class:`SwarmPolicy` routes.

    Parameters
    ----------
    offer : bool
        Offer the ticket to the top ``offer_size`` candidates instead of assigning the best one.
    offer_size : int
    offer_priorities : frozenset
        Priorities for which offering applies; P1 is always assigned straight away because an
        offer round costs minutes that an outage does not have.
    offer_timeout : timedelta
        When an offer is not accepted by then, the best available candidate is assigned.
    retry_after : timedelta
        When nobody can take the ticket, try again after this long.
    weights : mapping
        Owner-score weights per priority.
    team : TeamSettings
    suggest_helpers : bool
    """

    offer: bool = False
    offer_size: int = 3
    offer_priorities: frozenset[Priority] = frozenset({"P2", "P3", "P4"})
    offer_timeout: timedelta = timedelta(minutes=10)
    retry_after: timedelta = timedelta(minutes=15)
    weights: Mapping[Priority, ScoringWeights] = field(default_factory=lambda: DEFAULT_WEIGHTS)
    team: TeamSettings = field(default_factory=TeamSettings)
    suggest_helpers: bool = True


class SwarmPolicy:
    """Routes a ticket to the person best placed to own it, and suggests the swarm.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from swarm.routing import AgentView, OrgView, Proficiency, TicketView
    >>> from swarm.skills.graph import Skill, build_skill_graph
    >>> g = build_skill_graph([Skill(1, "VPN"), Skill(2, "DNS")])
    >>> org = OrgView({
    ...     1: AgentView(1, "Ada", True, 0, 5, proficiencies={1: Proficiency(5)}),
    ...     2: AgentView(2, "Bob", True, 0, 5, proficiencies={2: Proficiency(4)}),
    ... }, g)
    >>> now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    >>> assign, helpers = SwarmPolicy().on_opened(TicketView(7, "P2", {1: 2, 2: 1}), org, now)
    >>> assign.agent_id, helpers.agent_ids
    (1, (2,))
    >>> print(assign.why)  # doctest: +NORMALIZE_WHITESPACE
    best placed: Ada — knows VPN (5/5); nothing close to DNS; online;
    no open tickets of 5 (score 0.77)
    >>> print(helpers.why)
    Bob: covers DNS: knows DNS (4/5)
    """

    def __init__(self, settings: SwarmSettings | None = None) -> None:
        self.settings = settings or SwarmSettings()

    def on_opened(self, ticket: TicketView, org: OrgView, now: datetime) -> list[Decision]:
        """Assign (or offer) a new ticket and suggest helpers; triage when it cannot be routed."""
        return self._route(ticket, org, now, allow_offer=True)

    def on_deadline(self, ticket: TicketView, org: OrgView, now: datetime) -> list[Decision]:
        """An offer expired (assign the best) or a retry is due (route again)."""
        due = sorted(kind for kind, at in ticket.deadlines.items() if at <= now)
        mine = [kind for kind in due if kind in (OFFER_DEADLINE, RETRY_DEADLINE)]
        if not mine:
            return []
        cleared: list[Decision] = [ClearDeadline(kind) for kind in mine]
        if ticket.owner_id is not None:
            # Someone took it in the meantime: the deadline has nothing left to do.
            return cleared
        return cleared + self._route(ticket, org, now, allow_offer=False)

    def on_released(self, ticket: TicketView, org: OrgView, now: datetime) -> list[Decision]:
        """The owner let go: route again, never back to the agents in ``excluded_agents``."""
        return self._route(replace(ticket, owner_id=None), org, now, allow_offer=True)

    def _route(
        self, ticket: TicketView, org: OrgView, now: datetime, *, allow_offer: bool
    ) -> list[Decision]:
        settings = self.settings
        if not any(weight > 0 for weight in ticket.required_skills.values()):
            return [Queue(TRIAGE, "no required skill is known for this ticket: triage it")]
        offering = allow_offer and settings.offer and ticket.priority in settings.offer_priorities
        try:
            ranked = rank_owners(
                ticket,
                org,
                now,
                limit=settings.offer_size if offering else 1,
                weights=settings.weights[ticket.priority],
                # The decisions carry the reasons; the score in words is for ranking pages.
                explain=False,
            )
        except UnknownSkillError as error:
            return [Queue(TRIAGE, f"cannot route: {error}; triage it")]

        retry = SetDeadline(RETRY_DEADLINE, now + settings.retry_after)
        if not ranked:
            return [Queue(TRIAGE, "nobody in the organisation can take tickets"), retry]
        best = ranked[0]
        if best.absent or best.over_capacity:
            state = "absent" if best.absent else "over capacity"
            return [
                Queue(
                    TRIAGE,
                    f"everyone able is absent or at capacity; best candidate: {best.name} "
                    f"({state}) — {'; '.join(best.reasons)}",
                ),
                retry,
            ]
        # Assigning someone with no relevant skill at all only hides the ticket in a queue: a
        # dispatcher does better.
        if best.fit <= 0:
            skills = ", ".join(org.skills.name(s) for s in sorted(ticket.required_skills))
            return [Queue(TRIAGE, f"nobody available knows {skills} or anything close: triage it")]

        # An offer to one person is an assignment with a delay: assign instead.
        if offering and len(ranked) > 1:
            names = ", ".join(s.name for s in ranked)
            return [
                Offer(
                    tuple(s.agent_id for s in ranked),
                    f"best placed: {names} — first to accept owns it; "
                    f"{best.name} is assigned if nobody accepts in time",
                ),
                SetDeadline(OFFER_DEADLINE, now + settings.offer_timeout),
            ]
        decisions: list[Decision] = [Assign(best.agent_id, _why(best))]
        if settings.suggest_helpers:
            team = recommend_team(ticket, org, now, owner_id=best.agent_id, settings=settings.team)
            if team.members:
                decisions.append(
                    SuggestHelpers(
                        tuple(m.agent_id for m in team.members),
                        "; ".join(f"{m.name}: {m.reasons[0]}" for m in team.members),
                    )
                )
        return decisions


def _why(best: OwnerSuggestion) -> str:
    return f"best placed: {best.name} — {'; '.join(best.reasons)} (score {best.score:.2f})"
