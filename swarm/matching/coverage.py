"""What a proposed swarm covers, worked out once: the bar, each skill's colour and the sentences.

The ticket page's coverage panel and the ``team`` part of ``GET /tickets/<id>/suggestions`` show
three things that must never disagree: a bar of how much of the ticket is covered, a colour per
required skill, and sentences saying who covers what. They are all read off the one
:class:`Coverage` that :func:`assess_coverage` returns, so a skill cannot be red in one place while
a sentence next to it says someone covers it.

A person's *cover* of a skill is the one :mod:`swarm.matching.team` picks helpers by:
``min(1, fit / threshold)``, where fit is the decayed proficiency / 5 × 0.5^hops of the person's
closest skill (:func:`~swarm.matching.scoring.skill_fits`) and the threshold 0.5 by default — 3/5 on
the skill itself, or 5/5 one hop away, is a full cover. Each required skill is given to the one
member of the swarm whose cover of it is highest (the owner first on a tie, then helpers online,
then helpers away), and takes one state:

========== ===================================================================== ==========
state      meaning                                                               colour
========== ===================================================================== ==========
covered    the owner (or proposed owner) or an online helper covers it fully     green
away       only a suggested helper who is away now covers it                     amber
partial    the best cover in the swarm is above 0 but below full                 amber
missing    nobody in the swarm knows it or anything within 3 hops                red
========== ===================================================================== ==========

The bar is the skills laid end to end, each as wide as its weight and coloured by its state; its
figure is the weight share of ``covered`` skills. A ticket with no owner says so and never claims
that "the owner" covers anything: the swarm is then formed around the proposed owner, named as such.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np

from swarm.matching.scoring import (
    fit_reason,
    index_for,
    load_reason,
    normalised_weights,
    skill_fits,
)
from swarm.matching.team import FULL, TeamSettings, TeamSuggestion
from swarm.routing import AgentView, OrgView, TicketView
from swarm.skills.graph import MAX_HOPS

CoverState = Literal["covered", "away", "partial", "missing"]
Role = Literal["owner", "proposed owner", "helper"]

#: The order of the bar and of the skill list: what is done first, what is missing last.
STATES: tuple[CoverState, ...] = ("covered", "away", "partial", "missing")


@dataclass(frozen=True)
class SkillCover:
    """One required skill: how well the swarm covers it, by whom, in one sentence."""

    skill_id: int
    name: str
    #: Share of the ticket's needs (the normalised weights of all required skills sum to 1).
    weight: float
    #: The swarm's best cover, 0 (nothing close) to 1 (fully covered).
    level: float
    state: CoverState
    #: Who gives ``level``; ``None`` when nobody in the swarm knows anything close.
    by: int | None
    role: Role | None
    sentence: str
    #: Someone available outside the swarm who knows more of it (the greedy stopped short).
    elsewhere: int | None = None


@dataclass(frozen=True)
class HelperCover:
    """A suggested helper as the panel shows them: what they are the swarm's best at."""

    agent_id: int
    name: str
    online: bool
    #: Skills this helper covers fully and better than anyone else in the swarm.
    covers: list[int]
    #: Skills this helper covers only partly, yet better than anyone else in the swarm.
    partly: list[int]
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Coverage:
    """Everything the coverage panel shows, skills in bar order (see :data:`STATES`)."""

    owner_id: int | None
    #: The best candidate the swarm is formed around while nobody owns the ticket.
    proposed_owner_id: int | None
    skills: list[SkillCover]
    helpers: list[HelperCover]
    summary: list[str]

    def share(self, state: CoverState) -> float:
        """Weight share of the skills in ``state``: one segment of the bar."""
        return sum(s.weight for s in self.skills if s.state == state)

    @property
    def complete(self) -> bool:
        """Every required skill is covered now (and there is at least one)."""
        return bool(self.skills) and all(s.state == "covered" for s in self.skills)

    @property
    def percent(self) -> int:
        """The bar's figure: covered weight in whole percent, 100 only when complete."""
        if self.complete:
            return 100
        share = self.share("covered")
        # Rounded down, so that 99.6 % does not read as "all of it" beside an amber chip.
        return max(1, math.floor(share * 100 + 1e-9)) if share > 0 else 0

    @property
    def covered(self) -> list[int]:
        return [s.skill_id for s in self.skills if s.state == "covered"]

    @property
    def uncovered(self) -> list[int]:
        return [s.skill_id for s in self.skills if s.state != "covered"]


def assess_coverage(
    ticket: TicketView,
    org: OrgView,
    now: datetime,
    team: TeamSuggestion,
    *,
    proposed_owner_id: int | None = None,
    settings: TeamSettings | None = None,
) -> Coverage:
    """Who in the swarm covers each of the ticket's skills, and what the panel says about it.

    Parameters
    ----------
    ticket : TicketView
        Its ``owner_id`` is the owner; ``None`` means nobody owns the ticket.
    org : OrgView
        Presence in ``org.agents`` decides whether a helper is online or away.
    now : datetime
        UTC-aware moment, for the decay of proficiencies.
    team : TeamSuggestion
        The helpers proposed (by :func:`~swarm.matching.team.recommend_team`); their order is the
        order in which they are shown.
    proposed_owner_id : int, optional
        While the ticket is unowned, the candidate the swarm was formed around. Ignored when the
        ticket has an owner.
    settings : TeamSettings, optional
        Its ``cover_threshold`` and ``target_coverage`` (the same ones the team was picked with).

    Returns
    -------
    Coverage
        ``skills`` in bar order (covered, away, partial, missing; the ticket's order within each),
        ``helpers`` who are the swarm's best on at least one skill, and ``summary`` sentences.

    Raises
    ------
    UnknownSkillError
        A required skill is not in the taxonomy.

    Examples
    --------
    Ada owns a ticket needing VPN and DNS; she knows VPN, Bob (online) knows DNS a little:

    >>> from datetime import datetime, timezone
    >>> from swarm.matching.team import recommend_team
    >>> from swarm.routing import AgentView, OrgView, Proficiency, TicketView
    >>> from swarm.skills.graph import Skill, build_skill_graph
    >>> now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    >>> g = build_skill_graph([Skill(1, "VPN"), Skill(2, "DNS")])
    >>> org = OrgView({1: AgentView(1, "Ada", True, 1, 5, proficiencies={1: Proficiency(5)}),
    ...                2: AgentView(2, "Bob", True, 0, 5, proficiencies={2: Proficiency(2)})}, g)
    >>> ticket = TicketView(7, "P2", {1: 1.0, 2: 1.0}, owner_id=1)
    >>> panel = assess_coverage(ticket, org, now, recommend_team(ticket, org, now))
    >>> [(s.name, s.state) for s in panel.skills], panel.percent
    ([('VPN', 'covered'), ('DNS', 'partial')], 50)
    >>> panel.skills[1].sentence
    'partly, 0.80 of a full cover: at best Bob (suggested helper) knows DNS (2/5)'
    >>> panel.summary
    ['Owned by Ada.', 'Covered now: 50 % of what this ticket needs; DNS only partly.']

    Unowned, the same people are named for what they are:

    >>> unowned = TicketView(8, "P2", {1: 1.0}, owner_id=None)
    >>> panel = assess_coverage(unowned, org, now, recommend_team(unowned, org, now, owner_id=1),
    ...                         proposed_owner_id=1)
    >>> for sentence in panel.summary:
    ...     print(sentence)
    Nobody owns this ticket yet; what follows assumes Ada, the best candidate, takes it.
    Ada alone would cover every skill this ticket needs.
    """
    settings = settings or TeamSettings()
    owner_id = ticket.owner_id
    proposed = proposed_owner_id if owner_id is None else None
    lead_id = owner_id if owner_id is not None else proposed
    lead = org.agents.get(lead_id) if lead_id is not None else None
    required = normalised_weights(ticket)
    org.skills.require(ticket.required_skills, "the ticket's required skills")
    skill_ids = list(required)
    summary = [_ownership(owner_id, lead, org)]
    if not skill_ids:
        summary.append(
            "No skills are known for this ticket yet, so nobody can be said to cover it."
        )
        return Coverage(owner_id, proposed, [], [], summary)

    index = index_for(org, now)
    cover = np.minimum(1.0, skill_fits(index, skill_ids) / settings.cover_threshold)
    none = np.zeros(len(skill_ids))

    def cover_of(agent_id: int) -> np.ndarray:
        row = index.row.get(agent_id)
        return cover[row] if row is not None else none

    members = [
        org.agents[m.agent_id]
        for m in team.members
        if m.agent_id in org.agents and m.agent_id != lead_id
    ]
    # Ties go to the owner, then to whoever can help now: someone away is named only if better.
    swarm: list[tuple[AgentView, Role]] = []
    if lead is not None:
        swarm.append((lead, "owner" if owner_id is not None else "proposed owner"))
    swarm += [(a, "helper") for a in members if a.present]
    swarm += [(a, "helper") for a in members if not a.present]

    outside = index.active & index.present
    for someone in (
        *ticket.excluded_agents,
        ticket.requester_id,
        lead_id,
        *(a.id for a in members),
    ):
        row = index.row.get(someone) if someone is not None else None
        if row is not None:
            outside[row] = False

    skills = []
    for j, skill_id in enumerate(skill_ids):
        level, by, role = 0.0, None, None
        for agent, its_role in swarm:
            value = float(cover_of(agent.id)[j])
            if value > level + 1e-12:
                level, by, role = value, agent, its_role
        state: CoverState
        if by is None:
            state = "missing"
        elif role == "helper" and not by.present:
            state = "away"
        else:
            state = "covered" if level >= FULL else "partial"
        better = None
        if state != "covered":
            column = np.where(outside, cover[:, j], -1.0)
            best = int(np.argmax(column)) if len(column) else -1
            if best >= 0 and column[best] > level + 1e-12:
                better = index.views[int(index.ids[best])]
        skills.append(
            SkillCover(
                skill_id=skill_id,
                name=org.skills.name(skill_id),
                weight=required[skill_id],
                level=min(1.0, level),
                state=state,
                by=by.id if by is not None else None,
                role=role,
                sentence=_skill_sentence(state, level, by, role, better, skill_id, org, now),
                elsewhere=better.id if better is not None else None,
            )
        )
    skills.sort(key=lambda s: STATES.index(s.state))

    helpers = [_helper(agent, skills, team, org, now) for agent in members]
    coverage = Coverage(owner_id, proposed, skills, helpers, summary)
    summary += _coverage_sentences(coverage, lead, org, settings)
    return coverage


def _who(agent: AgentView, role: Role | None) -> str:
    if role == "helper":
        return f"{agent.name} (suggested helper{'' if agent.present else ', away now'})"
    if role is None:
        return f"{agent.name} (online, not in the swarm)"
    return f"{agent.name} ({role})"


def _skill_sentence(
    state: CoverState,
    level: float,
    by: AgentView | None,
    role: Role | None,
    better: AgentView | None,
    skill_id: int,
    org: OrgView,
    now: datetime,
) -> str:
    if by is None:
        text = f"not covered: nobody in the swarm knows it or anything within {MAX_HOPS} hops"
        if better is None:
            text = f"not covered: nobody available knows it or anything within {MAX_HOPS} hops"
    else:
        known = f"{_who(by, role)} {fit_reason(by, skill_id, org.skills, now)}"
        if state == "covered":
            text = f"covered: {known}"
        elif state == "away":
            extent = "fully" if level >= FULL else f"partly ({level:.2f} of a full cover)"
            text = f"waits for someone away: {known}, {extent}"
        else:
            text = f"partly, {level:.2f} of a full cover: at best {known}"
    if better is not None:
        text += f"; {_who(better, None)} {fit_reason(better, skill_id, org.skills, now)}"
    return text


def _helper(
    agent: AgentView,
    skills: Sequence[SkillCover],
    team: TeamSuggestion,
    org: OrgView,
    now: datetime,
) -> HelperCover:
    mine = [s for s in skills if s.by == agent.id]
    covers = [s.skill_id for s in mine if s.level >= FULL]
    partly = [s.skill_id for s in mine if s.level < FULL]
    if covers:
        first = "would cover " + _names(org.skills.name(s) for s in covers)
        if partly:
            first += "; partly " + _names(org.skills.name(s) for s in partly)
    elif partly:
        first = "would partly cover " + _names(org.skills.name(s) for s in partly)
    else:
        first = "adds nothing the rest of the swarm does not already cover"
    reasons = [first]
    reasons += [fit_reason(agent, s.skill_id, org.skills, now) for s in mine]
    shared = next((m.shared for m in team.members if m.agent_id == agent.id), 0)
    if shared:
        reasons.append(f"worked with the swarm on {shared} ticket{'s' if shared != 1 else ''}")
    reasons += ["online" if agent.present else "away now", load_reason(agent)]
    return HelperCover(agent.id, agent.name, agent.present, covers, partly, reasons)


def _ownership(owner_id: int | None, lead: AgentView | None, org: OrgView) -> str:
    if owner_id is not None:
        owner = org.agents.get(owner_id)
        if owner is None:
            return "Owned by someone who no longer takes tickets."
        return f"Owned by {owner.name}{'' if owner.present else ' (away now)'}."
    if lead is None:
        return "Nobody owns this ticket yet, and nobody available is proposed to take it."
    return (
        f"Nobody owns this ticket yet; what follows assumes {lead.name}, "
        "the best candidate, takes it."
    )


def _coverage_sentences(
    coverage: Coverage, lead: AgentView | None, org: OrgView, settings: TeamSettings
) -> list[str]:
    by_state = {state: [s.name for s in coverage.skills if s.state == state] for state in STATES}
    if coverage.complete:
        helping = [h.name for h in coverage.helpers if h.covers]
        if helping:
            return [f"With {_names(helping)}, the swarm covers every skill this ticket needs."]
        if coverage.owner_id is not None:
            return ["The owner covers every skill this ticket needs."]
        assert lead is not None  # complete without helpers means someone covers it all
        return [f"{lead.name} alone would cover every skill this ticket needs."]
    clauses = [f"Covered now: {coverage.percent} % of what this ticket needs"]
    if by_state["away"]:
        clauses.append(f"{_names(by_state['away'])} only by someone away")
    if by_state["partial"]:
        clauses.append(f"{_names(by_state['partial'])} only partly")
    if by_state["missing"]:
        clauses.append(f"{_names(by_state['missing'])} not at all")
    sentences = ["; ".join(clauses) + "."]
    if not coverage.helpers:
        if coverage.share("covered") >= settings.target_coverage - 1e-12:
            target = round(settings.target_coverage * 100)
            sentences.append(f"No helper is suggested: the swarm stops at {target} % covered.")
        elif all(s.elsewhere is None for s in coverage.skills):
            sentences.append("Nobody else available knows more of the rest.")
    return sentences


def _names(names: Iterable[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    items = list(names)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
