"""Swarm (team) recommendation: the few helpers who cover what the owner cannot.

Finding the smallest set of experts who together cover a ticket's skills is a set-cover problem
(NP-hard in general; Lappas, Liu & Terzi, KDD 2009, add communication cost on a social graph). A
ticket needs a handful of skills, so the greedy algorithm is both near-optimal and explainable:

1. Each person's *cover* of a required skill s is ``min(1, F[a, s] / threshold)`` where F is the
   per-skill fit of :func:`~swarm.matching.scoring.skill_fits` (decayed proficiency × σ) and
   ``threshold`` is 0.5 by default — 3/5 on the skill itself, or 5/5 one hop away, counts as
   covering it fully.
2. The team's cover of s is the best cover among its members, starting with the owner.
3. Repeatedly add the helper with the largest

       gain − load_penalty · Load² + collaboration_bonus · min(1, shared / 3),

   where gain is the weighted cover the helper adds and ``shared`` the number of past tickets they
   worked on with the people already in the team (so the swarm is people who know each other).
   Only helpers who add cover are considered.
4. Stop at ``max_helpers`` (3, i.e. four people with the owner), once ``target_coverage`` (80 %)
   of the weight is fully covered, or when nobody adds anything.
5. Drop, latest pick first, any helper whom later picks made redundant (the team covers every
   skill as well without them), so that every suggested helper is the swarm's best on something.

What the result means for the people reading it — which skill is covered by whom, the bar and the
sentences of the ticket page — is worked out by :func:`swarm.matching.coverage.assess_coverage`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from swarm.matching.index import AgentIndex
from swarm.matching.scoring import (
    fit_reasons,
    index_for,
    load_ratio,
    load_reason,
    normalised_weights,
    skill_fits,
)
from swarm.routing import OrgView, TicketView

#: A cover at least this close to 1 counts as full (float sums of weights and fits).
FULL = 1.0 - 1e-12


@dataclass(frozen=True)
class TeamSettings:
    """Knobs of the greedy cover; the defaults follow ``docs/matching.md``."""

    max_helpers: int = 3
    target_coverage: float = 0.8
    cover_threshold: float = 0.5
    load_penalty: float = 0.35
    collaboration_bonus: float = 0.10
    #: Shared past tickets at which the collaboration bonus is full.
    collaboration_saturation: int = 3


@dataclass(frozen=True)
class HelperSuggestion:
    """One suggested swarm member, what they add, and why."""

    agent_id: int
    name: str
    gain: float
    #: The required skills this helper raised the swarm's cover of when picked (fully or partly).
    covers: list[int]
    reasons: list[str] = field(default_factory=list)
    #: Past tickets worked on with the people already in the swarm when picked.
    shared: int = 0


@dataclass(frozen=True)
class TeamSuggestion:
    """The recommended helpers and which of the ticket's skills the swarm covers.

    ``coverage`` is the weight share of the required skills fully covered by owner and helpers.
    """

    members: list[HelperSuggestion]
    covered: list[int]
    uncovered: list[int]
    coverage: float


def recommend_team(
    ticket: TicketView,
    org: OrgView,
    now: datetime,
    *,
    owner_id: int | None = None,
    settings: TeamSettings | None = None,
) -> TeamSuggestion:
    """Greedily pick helpers who, with the owner, cover the ticket's required skills.

    Parameters
    ----------
    ticket : TicketView
    org : OrgView
        ``org.collaboration`` should be symmetric (``a -> b`` and ``b -> a``).
    now : datetime
        UTC-aware moment, for the decay of proficiencies.
    owner_id : int, optional
        The owner the swarm forms around; defaults to ``ticket.owner_id``. Without an owner the
        team starts from nothing.
    settings : TeamSettings, optional

    Returns
    -------
    TeamSuggestion
        Members in the order they were picked. Only present agents are suggested; the owner, the
        requester and agents in ``ticket.excluded_agents`` never are.

    Raises
    ------
    UnknownSkillError
        A required skill is not in the taxonomy.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from swarm.routing import AgentView, OrgView, Proficiency, TicketView
    >>> from swarm.skills.graph import Skill, build_skill_graph
    >>> g = build_skill_graph([Skill(1, "VPN"), Skill(2, "DNS")])
    >>> agents = {
    ...     1: AgentView(1, "Ada", True, 1, 5, proficiencies={1: Proficiency(5)}),
    ...     2: AgentView(2, "Bob", True, 0, 5, proficiencies={2: Proficiency(4)}),
    ... }
    >>> team = recommend_team(TicketView(7, "P2", {1: 1.0, 2: 1.0}), OrgView(agents, g),
    ...                       datetime(2025, 1, 1, tzinfo=timezone.utc), owner_id=1)
    >>> [m.name for m in team.members], team.covered, team.uncovered
    (['Bob'], [1, 2], [])
    >>> team.members[0].reasons
    ['covers DNS: knows DNS (4/5)', 'online', 'no open tickets of 5']

    A helper who only gets part of the way says so:

    >>> agents[2] = AgentView(2, "Bob", True, 0, 5, proficiencies={2: Proficiency(2)})
    >>> team = recommend_team(TicketView(7, "P2", {1: 1.0, 2: 1.0}), OrgView(agents, g),
    ...                       datetime(2025, 1, 1, tzinfo=timezone.utc), owner_id=1)
    >>> team.members[0].reasons[0], team.uncovered
    ('partly covers DNS: knows DNS (2/5)', [2])
    """
    settings = settings or TeamSettings()
    owner_id = ticket.owner_id if owner_id is None else owner_id
    required = normalised_weights(ticket)
    org.skills.require(ticket.required_skills, "the ticket's required skills")
    skill_ids = list(required)
    if not skill_ids:
        return TeamSuggestion([], [], [], 0.0)
    w = np.array([required[skill_id] for skill_id in skill_ids], dtype=np.float64)
    index = index_for(org, now)

    # Capped at 1: beyond "good enough" a second expert on the same skill adds nothing to the
    # swarm, which is what makes the greedy pick people for the *uncovered* skills.
    threshold = settings.cover_threshold
    cover = index.memo(
        ("cover", tuple(skill_ids), threshold), lambda: _cover(index, skill_ids, threshold)
    )
    team_cover = np.zeros(len(skill_ids))
    owner_row = index.row.get(owner_id) if owner_id is not None else None
    if owner_row is not None:
        team_cover = cover[owner_row].copy()

    members: list[HelperSuggestion] = []
    rows: list[int] = []
    if settings.max_helpers > 0 and _covered(team_cover, w) < settings.target_coverage:
        # Only when a helper is wanted at all: the owner often covers the ticket alone.
        members, rows, team_cover = _pick_helpers(
            ticket, org, now, index, owner_id, skill_ids, w, cover, team_cover, settings
        )
    members, team_cover = _drop_redundant(members, rows, cover, owner_row, len(skill_ids))
    full = team_cover >= FULL
    return TeamSuggestion(
        members=members,
        covered=[s for j, s in enumerate(skill_ids) if full[j]],
        uncovered=[s for j, s in enumerate(skill_ids) if not full[j]],
        coverage=_covered(team_cover, w),
    )


def _cover(index: AgentIndex, skill_ids: list[int], threshold: float) -> np.ndarray:
    """Each agent's cover of each skill, read-only (kept by :meth:`AgentIndex.memo`)."""
    cover = np.minimum(1.0, skill_fits(index, skill_ids) / threshold)
    cover.flags.writeable = False
    return cover


def _pick_helpers(
    ticket: TicketView,
    org: OrgView,
    now: datetime,
    index: AgentIndex,
    owner_id: int | None,
    skill_ids: list[int],
    w: np.ndarray,
    cover: np.ndarray,
    team_cover: np.ndarray,
    settings: TeamSettings,
) -> tuple[list[HelperSuggestion], list[int], np.ndarray]:
    """The greedy steps 3 and 4: helpers in the order picked, their rows, the team's cover."""
    candidates = index.active & index.present
    for someone in (*ticket.excluded_agents, ticket.requester_id, owner_id):
        row = index.row.get(someone) if someone is not None else None
        if row is not None:
            candidates[row] = False
    # Helping does not take an ownership slot, so capacity is no hard filter here; a full queue
    # only costs as much as the owner score's worst case (clipped at 1).
    penalty = settings.load_penalty * np.minimum(load_ratio(index.load, index.capacity), 1.0) ** 2
    shared = np.zeros(len(index.ids))
    acquainted = False
    if owner_id is not None:
        acquainted = _add_collaboration(shared, owner_id, org.collaboration, index.row)

    members: list[HelperSuggestion] = []
    rows: list[int] = []
    while (
        len(members) < settings.max_helpers and _covered(team_cover, w) < settings.target_coverage
    ):
        gain = (np.maximum(cover, team_cover) - team_cover) @ w
        value = gain - penalty
        if acquainted:
            together = np.minimum(shared / settings.collaboration_saturation, 1.0)
            value = value + settings.collaboration_bonus * together
        # (Without any acquaintance the bonus is 0 for everyone: adding it changes no value.)
        # A helper must add cover; load and acquaintance only order those who do.
        value = np.where(candidates & (gain > 1e-12), value, -np.inf)
        if not np.isfinite(value.max(initial=-np.inf)):
            break
        best = _argmax_lowest_id(value, index.ids)
        agent = index.views[int(index.ids[best])]
        adds = [s for j, s in enumerate(skill_ids) if cover[best, j] > team_cover[j] + 1e-12]
        fully = [s for j, s in enumerate(skill_ids) if s in adds and cover[best, j] >= FULL]
        reasons = [_covers_reason(fully, [s for s in adds if s not in fully], org)]
        reasons[0] += ": " + "; ".join(fit_reasons(agent, adds, org.skills, now))
        times = int(shared[best])
        if times > 0:
            reasons.append(f"worked with the swarm on {times} ticket{'s' if times != 1 else ''}")
        reasons += ["online", load_reason(agent)]
        members.append(
            HelperSuggestion(agent.id, agent.name, float(gain[best]), adds, reasons, times)
        )
        rows.append(best)

        team_cover = np.maximum(team_cover, cover[best])
        candidates[best] = False
        acquainted = (
            _add_collaboration(shared, agent.id, org.collaboration, index.row) or acquainted
        )

    return members, rows, team_cover


def _covered(team_cover: np.ndarray, w: np.ndarray) -> float:
    if len(w) < 8:
        # A ticket's handful of skills: a plain loop adds in the same order as numpy's sum does
        # below 8 elements (left to right), without four array passes.
        total = 0.0
        for covered, weight in zip(team_cover.tolist(), w.tolist(), strict=True):
            if covered >= FULL:
                total += weight
        return total
    return float(w[team_cover >= FULL].sum())


def _covers_reason(fully: list[int], partly: list[int], org: OrgView) -> str:
    names = org.skills.name
    if not fully:
        return "partly covers " + ", ".join(names(s) for s in partly)
    text = "covers " + ", ".join(names(s) for s in fully)
    if partly:
        text += "; partly " + ", ".join(names(s) for s in partly)
    return text


def _drop_redundant(
    members: list[HelperSuggestion],
    rows: list[int],
    cover: np.ndarray,
    owner_row: int | None,
    n_skills: int,
) -> tuple[list[HelperSuggestion], np.ndarray]:
    """Reverse delete: without a later pick's overlap an early helper may add nothing at all."""

    def team_cover(keep: list[int]) -> np.ndarray:
        result = cover[owner_row].copy() if owner_row is not None else np.zeros(n_skills)
        for k in keep:
            result = np.maximum(result, cover[rows[k]])
        return result

    keep = list(range(len(members)))
    full_cover = team_cover(keep)
    for k in reversed(range(len(members))):
        without = [other for other in keep if other != k]
        if np.all(team_cover(without) >= full_cover - 1e-12):
            keep = without
    return [members[k] for k in keep], team_cover(keep)


def _argmax_lowest_id(value: np.ndarray, ids: np.ndarray) -> int:
    # Rows follow ids except after agents were appended to the index: break ties by id.
    best = value.max()
    tied = np.flatnonzero(value == best)
    return int(tied[np.argmin(ids[tied])])


def _add_collaboration(
    shared: np.ndarray,
    agent_id: int,
    collaboration: Mapping[int, Mapping[int, int]],
    rows: Mapping[int, int],
) -> bool:
    """Add ``agent_id``'s past tickets with each partner; whether any was added."""
    added = False
    for partner, times in collaboration.get(agent_id, {}).items():
        row = rows.get(partner)
        if row is not None:
            shared[row] += times
            added = True
    return added
