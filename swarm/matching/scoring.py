"""Owner ranking: who is best placed to own a ticket, and why.

After the hard filters (present, under capacity; never the requester nor anyone who declined the
ticket) every agent gets

    score = w_fit·Fit − w_load·Load² + w_learn·Learn + w_fair·Fair + w_cont·Continuity

* **Fit** = Σ_s ŵ_s · max_k p̃_k/5 · σ(k, s), over the ticket's required skills s (weights ŵ
  normalised to sum to 1) and the agent's skills k; p̃ is the proficiency decayed by disuse and σ the
  graph similarity (1, ½, ¼, ⅛ for 0–3 hops). Fit is in [0, 1].
* **Load** = open tickets / capacity (1 for a capacity of 0); squared, so that the first tickets
  cost little and a nearly full queue costs a lot.
* **Learn** = weight share of the required skills that are learning goals of the agent.
* **Fair** = 1 − recent / max recent over the organisation: who took the fewest tickets lately.
* **Continuity** = 1 if the agent owned a ticket of this requester before.

Defaults per priority are in :data:`DEFAULT_WEIGHTS` and documented in ``docs/matching.md``.
:func:`rank_owners` evaluates all of it with sparse-matrix gathers over an
:class:`~swarm.matching.index.AgentIndex`; :func:`rank_owners_reference` is the same score as a
plain per-agent loop over networkx BFS distances, kept as the executable specification that tests
and the benchmark compare against.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

import networkx as nx  # type: ignore[import-untyped]  # no stubs in the pinned venv
import numpy as np
import numpy.typing as npt

from swarm.matching.index import AgentIndex, FloatArray, IntArray
from swarm.routing import AgentView, OrgView, Priority, TicketView
from swarm.skills.graph import MAX_HOPS, SIMILARITY_BASE, SkillGraph
from swarm.skills.proficiency import MAX_LEVEL, decay_factor, effective_level

#: Scores are compared after rounding to this many decimals, then by agent id, so that the
#: vectorised and the reference implementation agree on ties despite float summation order.
SCORE_DECIMALS = 9


@dataclass(frozen=True)
class ScoringWeights:
    """Coefficients of the owner score. Set a term to 0 to switch it off."""

    fit: float = 1.00
    load: float = 0.35
    learn: float = 0.15
    fair: float = 0.10
    continuity: float = 0.05

    @classmethod
    def for_priority(cls, priority: Priority) -> ScoringWeights:
        """The documented default for a priority (see :data:`DEFAULT_WEIGHTS`)."""
        return DEFAULT_WEIGHTS[priority]


#: P1: nobody learns on an outage and fairness waits — learn and fair are off. P2 halves the
#: learning bonus. P3 is the reference score. P4 (no hurry) leans on learning and fairness, because
#: low-priority work is where people grow.
DEFAULT_WEIGHTS: Mapping[Priority, ScoringWeights] = MappingProxyType(
    {
        "P1": ScoringWeights(learn=0.0, fair=0.0),
        "P2": ScoringWeights(learn=0.075),
        "P3": ScoringWeights(),
        "P4": ScoringWeights(learn=0.25, fair=0.15),
    }
)


@dataclass(frozen=True)
class OwnerSuggestion:
    """One ranked candidate owner with the terms of its score and the reasons in words."""

    agent_id: int
    name: str
    score: float
    fit: float
    load: float
    learn: float
    fair: float
    continuity: float
    absent: bool = False
    over_capacity: bool = False
    reasons: list[str] = field(default_factory=list)
    #: The score in words: "0.38 — partial match: …" (see :func:`explain_score`).
    meaning: str = ""


def normalised_weights(ticket: TicketView) -> dict[int, float]:
    """Required-skill weights scaled to sum to 1; non-positive weights are dropped.

    Examples
    --------
    >>> from swarm.routing import TicketView
    >>> normalised_weights(TicketView(1, "P3", {7: 3.0, 8: 1.0, 9: 0.0}))
    {7: 0.75, 8: 0.25}
    """
    positive = {
        skill_id: float(weight)
        for skill_id, weight in ticket.required_skills.items()
        if weight > 0 and math.isfinite(weight)
    }
    total = sum(positive.values())
    return {skill_id: weight / total for skill_id, weight in sorted(positive.items())}


def index_for(org: OrgView, now: datetime) -> AgentIndex:
    """The organisation's index at ``now``: the cached one, or one built on the spot."""
    if org.index is not None:
        index = org.index.at(now)
        if isinstance(index, AgentIndex):
            return index
    return AgentIndex(org.agents.values(), org.skills, as_of=now)


def skill_fits(index: AgentIndex, skill_ids: list[int]) -> FloatArray:
    """Per-skill fit of every agent: ``F[a, j] = max_k p̃[a, k]/5 · σ(k, skill_ids[j])``.

    Returns a dense ``len(index.ids) × len(skill_ids)`` array.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from swarm.routing import AgentView, Proficiency
    >>> from swarm.skills.graph import Skill, SkillRelation, build_skill_graph
    >>> g = build_skill_graph([Skill(1, "VPN"), Skill(2, "DNS")],
    ...                       [SkillRelation(2, 1, "related_to")])
    >>> ada = AgentView(1, "Ada", True, 0, 3, proficiencies={2: Proficiency(4)})
    >>> index = AgentIndex([ada], g, as_of=datetime(2025, 1, 1, tzinfo=timezone.utc))
    >>> skill_fits(index, [1, 2]).round(2).tolist()
    [[0.4, 0.8]]
    """
    index.columns(skill_ids)  # raises UnknownSkillError before any work
    fits = np.zeros((len(index.ids), len(skill_ids)), dtype=np.float64)
    for j, skill_id in enumerate(skill_ids):
        # Cached per skill by the index until its proficiency matrix changes.
        fits[:, j] = index.fit_column(skill_id)
    return fits


def load_ratio(load: npt.ArrayLike, capacity: npt.ArrayLike) -> FloatArray:
    """Open tickets over capacity; a capacity of 0 or less counts as full (1 + load)."""
    load_arr = np.asarray(load, dtype=np.float64)
    cap_arr = np.asarray(capacity, dtype=np.float64)
    if (cap_arr > 0).all():
        # The usual case, and the same numbers as below in a third of the array passes.
        return np.asarray(load_arr / cap_arr, dtype=np.float64)
    safe = np.where(cap_arr > 0, cap_arr, 1.0)
    return np.asarray(np.where(cap_arr > 0, load_arr / safe, 1.0 + load_arr), dtype=np.float64)


def _top(scores: FloatArray, ids: IntArray, candidates: IntArray, limit: int) -> IntArray:
    """Rows of the best ``limit`` candidates: score descending, then agent id ascending."""
    if len(candidates) == 0 or limit <= 0:
        return np.zeros(0, dtype=np.int64)
    rounded = np.round(scores[candidates], SCORE_DECIMALS)
    if limit == 1:
        # The policy's case: the best score, the lowest id among its ties (no sort needed).
        best: IntArray = candidates[rounded == rounded.max()]
        if len(best) == 1:
            return best
        if len(best):  # empty only if a score is NaN: the general path orders those last
            first = int(np.argmin(ids[best]))
            return best[first : first + 1]
    if len(candidates) > limit:
        # Partition first (O(n)), then sort only the head — including every tie at the cut.
        cut = np.partition(-rounded, limit - 1)[limit - 1]
        head = rounded >= -cut
        candidates, rounded = candidates[head], rounded[head]
    order = np.lexsort((ids[candidates], -rounded))
    return candidates[order[:limit]]


def rank_owners(
    ticket: TicketView,
    org: OrgView,
    now: datetime,
    *,
    limit: int = 10,
    weights: ScoringWeights | None = None,
    explain: bool = True,
) -> list[OwnerSuggestion]:
    """Rank candidate owners for a ticket, best first.

    Parameters
    ----------
    ticket : TicketView
        Its ``required_skills`` must be skills of ``org.skills``.
    org : OrgView
        If ``org.index`` is set it is used (and its decay moved to ``now`` if needed).
    now : datetime
        UTC-aware moment of the decision.
    limit : int
        How many suggestions to return.
    weights : ScoringWeights, optional
        Defaults to ``DEFAULT_WEIGHTS[ticket.priority]``.
    explain : bool
        Whether to put the score in words (``OwnerSuggestion.meaning``, for people reading a
        ranking). A policy that only needs the reasons passes ``False``: ``meaning`` is then
        ``""`` and everything else is the same.

    Returns
    -------
    list of OwnerSuggestion
        Agents who pass the hard filters, best first. If nobody passes them, the best of the
        others, flagged ``absent`` / ``over_capacity``, so that a human can still be named. Empty
        for an empty organisation.

    Raises
    ------
    UnknownSkillError
        A required skill is not in the taxonomy.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from swarm.routing import AgentView, OrgView, Proficiency, TicketView
    >>> from swarm.skills.graph import Skill, build_skill_graph
    >>> g = build_skill_graph([Skill(1, "VPN")])
    >>> agents = {
    ...     1: AgentView(1, "Ada", True, 4, 5, proficiencies={1: Proficiency(4)}),
    ...     2: AgentView(2, "Bob", True, 0, 5, proficiencies={1: Proficiency(4)}),
    ... }
    >>> best = rank_owners(TicketView(9, "P2", {1: 1.0}), OrgView(agents, g),
    ...                    datetime(2025, 1, 1, tzinfo=timezone.utc))
    >>> [s.name for s in best], best[0].reasons
    (['Bob', 'Ada'], ['knows VPN (4/5)', 'online', 'no open tickets of 5'])
    """
    weights = weights or DEFAULT_WEIGHTS[ticket.priority]
    required = normalised_weights(ticket)
    org.skills.require(ticket.required_skills, "the ticket's required skills")
    index = index_for(org, now)
    n = len(index.ids)
    if n == 0:
        return []
    skill_ids = list(required)
    key = tuple(required.items())
    # Fit and learn depend on the ticket's skills and the profile matrices only: the index keeps
    # them per skill set until a profile changes (a driver routes thousands of tickets of a few
    # dozen skill sets in between).
    fit = index.memo(("fit", key), lambda: _weighted_fit(index, skill_ids, required))
    load = load_ratio(index.load, index.capacity)
    # A term that is the same for everyone (no goals, nobody busier, no history) is added as a
    # number: x + w·c gives the very same floats as x + w·[c, c, …], in fewer array passes.
    learn: FloatArray | float = 0.0
    if weights.learn and skill_ids:
        learn = index.memo(("learn", key), lambda: _weighted_learn(index, skill_ids, required))
    # Relative to the busiest person, so that fairness means "took less than the others",
    # whatever the length of the window the caller counts in.
    most_recent = float(index.recent[index.active].max(initial=0.0))
    fair: FloatArray | float = 1.0 - index.recent / most_recent if most_recent > 0 else 1.0
    continuity: FloatArray | float = 0.0
    for agent_id, count in org.requester_history.get(ticket.requester_id or -1, {}).items():
        row = index.row.get(agent_id)
        if count > 0 and row is not None:
            if isinstance(continuity, float):
                continuity = np.zeros(n)
            continuity[row] = 1.0
    score = (
        weights.fit * fit
        - weights.load * load**2
        + weights.learn * learn
        + weights.fair * fair
        + weights.continuity * continuity
    )

    allowed = index.active.copy()
    for someone in (*ticket.excluded_agents, ticket.requester_id):
        excluded = index.row.get(someone) if someone is not None else None
        if excluded is not None:
            allowed[excluded] = False
    eligible = allowed & index.present & (load < 1.0)
    # Nobody eligible is exactly when a human needs a name (and the flags) most.
    pool = eligible if eligible.any() else allowed
    top = _top(score, index.ids, pool.nonzero()[0], limit)

    suggestions = []
    for row in top:
        agent = index.views[int(index.ids[row])]
        terms = {
            "fit": float(fit[row]),
            "load": float(load[row]),
            "learn": _at(learn, row),
            "fair": _at(fair, row),
            "continuity": _at(continuity, row),
        }
        suggestions.append(
            _suggestion(
                agent,
                float(score[row]),
                terms,
                ticket,
                org,
                now,
                weights,
                required,
                most_recent,
                explain,
            )
        )
    return suggestions


def _at(term: FloatArray | float, row: int) -> float:
    """One agent's value of a term that may be the same number for everyone."""
    return term if isinstance(term, float) else float(term[row])


def _weighted_fit(
    index: AgentIndex, skill_ids: list[int], required: Mapping[int, float]
) -> FloatArray:
    """Σ_s ŵ_s · F[:, s], read-only (see :meth:`AgentIndex.memo`)."""
    if not skill_ids:
        fit = np.zeros(len(index.ids))
    else:
        w = np.array([required[skill_id] for skill_id in skill_ids], dtype=np.float64)
        fit = skill_fits(index, skill_ids) @ w
    fit.flags.writeable = False
    return fit


def _weighted_learn(
    index: AgentIndex, skill_ids: list[int], required: Mapping[int, float]
) -> FloatArray:
    """Weight share of the skills that are each agent's learning goals, read-only."""
    index.columns(skill_ids)  # raises UnknownSkillError before any work
    learn = np.zeros(len(index.ids))
    # Goal columns are cached on the index; summed in skill order, as a scatter-add of the same
    # columns would (adding 0.0 where an agent has no such goal changes nothing).
    for skill_id in skill_ids:
        learn += index.want_column(skill_id) * required[skill_id]
    learn.flags.writeable = False
    return learn


def _suggestion(
    agent: AgentView,
    score: float,
    terms: Mapping[str, float],
    ticket: TicketView,
    org: OrgView,
    now: datetime,
    weights: ScoringWeights,
    required: Mapping[int, float],
    most_recent: float,
    explain: bool = True,
) -> OwnerSuggestion:
    over_capacity = terms["load"] >= 1.0
    # Which of the agent's skills covers each required one: worked out once for the reasons and
    # for the meaning.
    sources = [(skill_id, best_source(agent, skill_id, org.skills, now)) for skill_id in required]
    reasons = _fit_reasons(agent, sources, org.skills, now)
    reasons.append("online" if agent.present else "absent")
    reasons.append(load_reason(agent))
    if weights.learn and terms["learn"] > 0:
        goals = [org.skills.name(s) for s in required if s in agent.wants_to_learn]
        reasons.append("wants to learn " + ", ".join(goals))
    if weights.fair and most_recent > agent.recent_owned:
        # Only worth saying when it distinguishes: someone else took more tickets lately.
        took = agent.recent_owned or "no"
        reasons.append(
            f"took {took} ticket{'s' if agent.recent_owned != 1 else ''} lately "
            f"(busiest: {most_recent:g})"
        )
    if weights.continuity and terms["continuity"] > 0 and ticket.requester_id is not None:
        served = org.requester_history[ticket.requester_id][agent.id]
        reasons.append(
            f"owned {served} earlier ticket{'s' if served != 1 else ''} of this requester"
        )
    return OwnerSuggestion(
        agent_id=agent.id,
        name=agent.name,
        score=score,
        absent=not agent.present,
        over_capacity=over_capacity,
        reasons=reasons,
        meaning=_explain(agent, score, terms, sources, org.skills, weights) if explain else "",
        **terms,
    )


#: How good a fit is, in a word: a fit of 1 is a 5/5 expert in every required skill itself.
FIT_BANDS: tuple[tuple[float, str], ...] = (
    (0.8, "strong match"),
    (0.5, "good match"),
    (0.2, "partial match"),
    (0.0, "weak match"),
)


def explain_score(
    agent: AgentView,
    score: float,
    terms: Mapping[str, float],
    required: Iterable[int],
    skills: SkillGraph,
    now: datetime,
    weights: ScoringWeights,
) -> str:
    """An owner score in words: what the number is made of, so that "0.31" means something.

    The fit (at most 1: a 5/5 expert in every required skill itself) is named by its band in
    :data:`FIT_BANDS` and by how the agent reaches the skills — the skill itself, a related skill
    some hops away, or nothing close; then each other term that moves the score by at least 0.005
    is given with its sign, so that the parts add up to the score (to rounding).

    Parameters
    ----------
    agent : AgentView
    score : float
    terms : mapping of str to float
        ``fit``, ``load``, ``learn``, ``fair`` and ``continuity`` as :func:`rank_owners` computed
        them (unweighted).
    required : iterable of int
        The ticket's required skills.
    skills : SkillGraph
    now : datetime
    weights : ScoringWeights
        The weights the score was computed with.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from swarm.routing import AgentView, Proficiency
    >>> from swarm.skills.graph import Skill, SkillRelation, build_skill_graph
    >>> g = build_skill_graph([Skill(1, "VPN"), Skill(2, "Wi-Fi"), Skill(3, "Networking")],
    ...                       [SkillRelation(1, 3, "is_a"), SkillRelation(2, 3, "is_a")])
    >>> ada = AgentView(1, "Ada", True, 1, 5, proficiencies={2: Proficiency(5)})
    >>> terms = {"fit": 0.25, "load": 0.2, "learn": 0.0, "fair": 0.0, "continuity": 1.0}
    >>> text = explain_score(ada, 0.286, terms, [1], g, datetime(2025, 1, 1, tzinfo=timezone.utc),
    ...                      ScoringWeights(learn=0.0, fair=0.0))
    >>> for sentence in text.split(". "):
    ...     print(sentence)
    0.29 — partial match: knows VPN only through a related skill 2 hops away
    Fit 0.25, −0.01 for 1 open ticket of 5, +0.05 for having served this requester before.
    """
    sources = [(skill_id, best_source(agent, skill_id, skills, now)) for skill_id in required]
    return _explain(agent, score, terms, sources, skills, weights)


def _explain(
    agent: AgentView,
    score: float,
    terms: Mapping[str, float],
    sources: Sequence[tuple[int, tuple[int, float] | None]],
    skills: SkillGraph,
    weights: ScoringWeights,
) -> str:
    """:func:`explain_score` given each required skill's :func:`best_source`."""
    fit = terms["fit"]
    band = next((word for bound, word in FIT_BANDS if fit >= bound and fit > 0), "no match")
    itself: list[str] = []
    related: dict[str, int] = {}
    nothing: list[str] = []
    for skill_id, source in sources:
        hops = skills.hops(source[0], skill_id) if source is not None else None
        if source is None or hops is None:
            nothing.append(skills.name(skill_id))
        elif hops == 0:
            itself.append(skills.name(skill_id))
        else:
            related[skills.name(skill_id)] = hops
    how = []
    if itself:
        every = len(itself) > 1 and not related and not nothing
        how.append("knows " + ("every skill" if every else _and(itself)))
        how[-1] += " itself"
    if related:
        near, far = min(related.values()), max(related.values())
        span = f"{near}" if near == far else f"{near}–{far}"
        kind = "a related skill" if len(related) == 1 else "related skills"
        how.append(
            f"{'knows ' if not itself else ''}{_and(list(related))} only through {kind} "
            f"{span} hop{'s' if far != 1 else ''} away"
        )
    if nothing:
        how.append(f"nothing close to {_and(nothing)}")
    parts = [f"Fit {weights.fit * fit:.2f}"]
    load = weights.load * terms["load"] ** 2
    if load >= 0.005:
        parts.append(f"−{load:.2f} for {load_reason(agent)}")
    for term, text in (
        ("learn", "wanting to learn it"),
        ("fair", "having taken fewer tickets lately"),
        ("continuity", "having served this requester before"),
    ):
        value = getattr(weights, term) * terms[term]
        if value >= 0.005:
            parts.append(f"+{value:.2f} for {text}")
    return f"{score:.2f} — {band}: {'; '.join(how)}. {', '.join(parts)}."


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def best_source(
    agent: AgentView, skill_id: int, skills: SkillGraph, now: datetime
) -> tuple[int, float] | None:
    """The agent's skill that best covers ``skill_id`` and its fit, or ``None`` if none does."""
    best: tuple[int, float] | None = None
    similar = skills.similar_to(skill_id)
    for own, proficiency in sorted(agent.proficiencies.items()):
        sim = similar.get(own, 0.0)
        if sim == 0.0:
            continue
        value = effective_level(proficiency, now) / MAX_LEVEL * sim
        if value > 0 and (best is None or value > best[1]):
            best = (own, value)
    return best


def _ago(days: int) -> str:
    """ "3 weeks ago" under two months, "4 months ago" beyond (decay shows from ~3 weeks)."""
    if days < 60:
        weeks = max(1, days // 7)
        return f"{weeks} week{'s' if weeks != 1 else ''} ago"
    months = days // 30
    return f"{months} months ago"


def fit_reason(agent: AgentView, skill_id: int, skills: SkillGraph, now: datetime) -> str:
    """One required skill in words: "knows VPN (4/5)", "knows DNS (3/5), 1 hop from VPN".

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from swarm.routing import AgentView, Proficiency
    >>> from swarm.skills.graph import Skill, SkillRelation, build_skill_graph
    >>> g = build_skill_graph([Skill(1, "VPN"), Skill(2, "DNS")],
    ...                       [SkillRelation(2, 1, "related_to")])
    >>> ada = AgentView(1, "Ada", True, 0, 3, proficiencies={2: Proficiency(3)})
    >>> fit_reason(ada, 1, g, datetime(2025, 1, 1, tzinfo=timezone.utc))
    'knows DNS (3/5), 1 hop from VPN'
    """
    return fit_reasons(agent, [skill_id], skills, now)[0]


def fit_reasons(
    agent: AgentView, skill_ids: Iterable[int], skills: SkillGraph, now: datetime
) -> list[str]:
    """Several required skills in words, one phrase per skill of the agent's that covers
    some of them, so that no skill is named twice: "knows VPN (4/5), 2 hops from Cisco ASA"
    rather than "knows VPN (4/5)" and then "knows VPN (4/5), 2 hops from Cisco ASA".

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from swarm.routing import AgentView, Proficiency
    >>> from swarm.skills.graph import Skill, SkillRelation, build_skill_graph
    >>> g = build_skill_graph([Skill(1, "VPN"), Skill(2, "DNS"), Skill(3, "Printing")],
    ...                       [SkillRelation(2, 1, "related_to")])
    >>> ada = AgentView(1, "Ada", True, 0, 3, proficiencies={2: Proficiency(3)})
    >>> fit_reasons(ada, [2, 1, 3], g, datetime(2025, 1, 1, tzinfo=timezone.utc))
    ['knows DNS (3/5), 1 hop from VPN', 'nothing close to Printing']
    """
    sources = [(skill_id, best_source(agent, skill_id, skills, now)) for skill_id in skill_ids]
    return _fit_reasons(agent, sources, skills, now)


def _fit_reasons(
    agent: AgentView,
    sources: Sequence[tuple[int, tuple[int, float] | None]],
    skills: SkillGraph,
    now: datetime,
) -> list[str]:
    """:func:`fit_reasons` given each required skill's :func:`best_source`, in ticket order."""
    covered: dict[int, list[int]] = {}  # the agent's skill -> the required skills it covers
    missing: list[int] = []
    for skill_id, source in sources:
        if source is None:
            missing.append(skill_id)
        else:
            covered.setdefault(source[0], []).append(skill_id)
    reasons = []
    for own, targets in covered.items():
        proficiency = agent.proficiencies[own]
        text = f"knows {skills.name(own)} ({proficiency.level}/{MAX_LEVEL})"
        factor = decay_factor(proficiency.last_used, now)
        if factor < 0.9 and proficiency.last_used is not None:
            text += f", last used {_ago((now - proficiency.last_used).days)}"
        for skill_id in targets:
            hops = skills.hops(own, skill_id)
            if hops:
                text += f", {hops} hop{'s' if hops != 1 else ''} from {skills.name(skill_id)}"
        reasons.append(text)
    return reasons + [f"nothing close to {skills.name(s)}" for s in missing]


def load_reason(agent: AgentView) -> str:
    """Load in words: "1 open ticket of 5", "at capacity (5 of 5)"."""
    if agent.capacity <= 0:
        return "takes no tickets (capacity 0)"
    if agent.load >= agent.capacity:
        return f"at capacity ({agent.load} of {agent.capacity})"
    count = "no" if agent.load == 0 else str(agent.load)
    return f"{count} open ticket{'s' if agent.load != 1 else ''} of {agent.capacity}"


def rank_owners_reference(
    ticket: TicketView,
    org: OrgView,
    now: datetime,
    *,
    limit: int = 10,
    weights: ScoringWeights | None = None,
) -> list[OwnerSuggestion]:
    """The owner score as a straightforward per-agent loop over networkx BFS distances.

    Same contract and same result as :func:`rank_owners` (up to float rounding in the last
    digits), about 20 times slower on 10,000 agents. It exists as the readable specification:
    tests and ``bench/matching.py`` check that the vectorised ranking agrees with it.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from swarm.routing import AgentView, OrgView, Proficiency, TicketView
    >>> from swarm.skills.graph import Skill, build_skill_graph
    >>> g = build_skill_graph([Skill(1, "VPN")])
    >>> agents = {2: AgentView(2, "Bob", True, 0, 5, proficiencies={1: Proficiency(4)})}
    >>> [s.agent_id for s in rank_owners_reference(TicketView(9, "P2", {1: 1.0}),
    ...                                            OrgView(agents, g),
    ...                                            datetime(2025, 1, 1, tzinfo=timezone.utc))]
    [2]
    """
    weights = weights or DEFAULT_WEIGHTS[ticket.priority]
    required = normalised_weights(ticket)
    org.skills.require(ticket.required_skills, "the ticket's required skills")
    if not org.agents:
        return []
    hops = {
        skill_id: nx.single_source_shortest_path_length(org.skills.graph, skill_id, MAX_HOPS)
        for skill_id in required
    }
    most_recent = max(agent.recent_owned for agent in org.agents.values())
    served = org.requester_history.get(ticket.requester_id or -1, {})

    scored = []
    for agent in org.agents.values():
        # Deliberately naive: no index, no arrays — this is the definition the fast path must meet.
        fit = 0.0
        for skill_id, weight in required.items():
            best = 0.0
            for own, proficiency in agent.proficiencies.items():
                if own in hops[skill_id]:
                    sim = SIMILARITY_BASE ** hops[skill_id][own]
                    best = max(best, effective_level(proficiency, now) / MAX_LEVEL * sim)
            fit += weight * best
        load = agent.load / agent.capacity if agent.capacity > 0 else 1.0 + agent.load
        learn = sum(w for skill_id, w in required.items() if skill_id in agent.wants_to_learn)
        fair = 1.0 - agent.recent_owned / most_recent if most_recent > 0 else 1.0
        continuity = 1.0 if served.get(agent.id, 0) > 0 else 0.0
        score = (
            weights.fit * fit
            - weights.load * load**2
            + weights.learn * learn
            + weights.fair * fair
            + weights.continuity * continuity
        )
        allowed = agent.id not in ticket.excluded_agents and agent.id != ticket.requester_id
        eligible = allowed and agent.present and load < 1.0
        terms = {"fit": fit, "load": load, "learn": learn, "fair": fair, "continuity": continuity}
        scored.append((agent, score, terms, allowed, eligible))

    pool = [entry for entry in scored if entry[4]] or [entry for entry in scored if entry[3]]
    pool.sort(key=lambda entry: (-round(entry[1], SCORE_DECIMALS), entry[0].id))
    return [
        _suggestion(agent, score, terms, ticket, org, now, weights, required, most_recent)
        for agent, score, terms, _allowed, _eligible in pool[:limit]
    ]
