"""Proficiency levels, their decay by disuse, and evidence from resolved tickets.

An agent declares a level from 0 (none) to 5 (expert) for each skill; managers may adjust it.
Two things move with time and work, and both are computed here as values, never stored behind the
caller's back:

* the **effective** level, which decays exponentially while a skill is not used, with a time
  constant of 180 days (after 180 days without use a level counts for ``e⁻¹ ≈ 37 %`` of itself,
  after 90 days for 61 %); a skill never used since it was declared (``last_used is None``) does
  not decay, because there is no date to decay from;
* **evidence**, one unit per resolved ticket the agent owned or helped on that needed the skill.
  Evidence refreshes ``last_used`` and can raise (never lower) the declared level to a floor that
  the evidence supports (see :data:`EVIDENCE_LEVEL_FLOORS`), which is how growth is recorded.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

MIN_LEVEL = 0
MAX_LEVEL = 5

#: Time constant τ of the exponential decay ``level · exp(−Δt / τ)``.
DECAY_TIME_CONSTANT = timedelta(days=180)

#: (evidence count, level floor): resolved tickets are proof of at least this level. Evidence alone
#: never claims more than 3 — "expert" (4–5) stays a human judgement by the agent or a manager.
EVIDENCE_LEVEL_FLOORS: tuple[tuple[int, int], ...] = ((1, 1), (5, 2), (15, 3))


class ProficiencyError(ValueError):
    """A proficiency level, evidence count or timestamp is not acceptable."""


def validate_level(level: object) -> int:
    """Return ``level`` if it is an integer from 0 to 5, else raise :class:`ProficiencyError`.

    Examples
    --------
    >>> validate_level(4)
    4
    >>> validate_level(6)
    Traceback (most recent call last):
    ...
    swarm.skills.proficiency.ProficiencyError: proficiency must be an integer from 0 to 5, got 6
    """
    # bool is an int subclass; True as a level is a bug in the caller, not "1".
    if isinstance(level, bool) or not isinstance(level, int) or not MIN_LEVEL <= level <= MAX_LEVEL:
        raise ProficiencyError(
            f"proficiency must be an integer from {MIN_LEVEL} to {MAX_LEVEL}, got {level!r}"
        )
    return level


def _require_aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ProficiencyError(f"{what} must be a timezone-aware datetime, got {moment!r}")


@dataclass(frozen=True)
class Proficiency:
    """One agent's standing on one skill.

    Parameters
    ----------
    level : int
        Declared level, 0 (none) to 5 (expert).
    last_used : datetime or None
        When the skill was last used on a resolved ticket (UTC aware), if ever.
    evidence : int
        Number of resolved tickets that needed the skill and that the agent owned or helped on.
    """

    level: int
    last_used: datetime | None = None
    evidence: int = 0

    def __post_init__(self) -> None:
        validate_level(self.level)
        if isinstance(self.evidence, bool) or not isinstance(self.evidence, int):
            raise ProficiencyError(f"evidence must be an integer, got {self.evidence!r}")
        if self.evidence < 0:
            raise ProficiencyError(f"evidence cannot be negative, got {self.evidence}")
        if self.last_used is not None:
            _require_aware(self.last_used, "last_used")


def decay_factor(
    last_used: datetime | None,
    now: datetime,
    time_constant: timedelta = DECAY_TIME_CONSTANT,
) -> float:
    """Fraction of a level still effective after a period of disuse.

    Parameters
    ----------
    last_used : datetime or None
        Last use of the skill; ``None`` means never recorded, which does not decay.
    now : datetime
        The moment of evaluation (UTC aware), passed in so that simulations can use virtual time.
    time_constant : timedelta
        τ in ``exp(−Δt / τ)``; 180 days by default.

    Returns
    -------
    float
        A number in ``(0, 1]``. A ``last_used`` in the future (clock skew) counts as "just now".

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    >>> round(decay_factor(now - timedelta(days=180), now), 3)
    0.368
    >>> decay_factor(None, now)
    1.0
    """
    if last_used is None:
        return 1.0
    # Clock skew between services must not inflate a level above what was declared.
    idle = (now - last_used).total_seconds()
    if idle <= 0:
        return 1.0
    return math.exp(-idle / time_constant.total_seconds())


def effective_level(
    proficiency: Proficiency,
    now: datetime,
    time_constant: timedelta = DECAY_TIME_CONSTANT,
) -> float:
    """Declared level decayed by disuse, a float from 0 to 5.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    >>> round(effective_level(Proficiency(4, last_used=now - timedelta(days=90)), now), 2)
    2.43
    """
    return proficiency.level * decay_factor(proficiency.last_used, now, time_constant)


def level_supported_by(evidence: int) -> int:
    """The level floor that ``evidence`` resolved tickets justify (0 when there is none).

    Examples
    --------
    >>> [level_supported_by(n) for n in (0, 1, 4, 5, 15, 100)]
    [0, 1, 1, 2, 3, 3]
    """
    floor = 0
    for needed, level in EVIDENCE_LEVEL_FLOORS:
        if evidence >= needed:
            floor = level
    return floor


@dataclass(frozen=True)
class EvidenceUpdate:
    """A change to one agent's proficiency on one skill, to be persisted by the caller.

    ``before`` is ``None`` when the agent had no entry for the skill; ``level_raised`` tells the
    growth views that evidence lifted the level.
    """

    agent_id: int
    skill_id: int
    before: Proficiency | None
    after: Proficiency
    role: str

    @property
    def level_raised(self) -> bool:
        previous = 0 if self.before is None else self.before.level
        return self.after.level > previous


def accrue_evidence(
    skill_ids: Iterable[int],
    owner_id: int | None,
    helper_ids: Iterable[int],
    profiles: Mapping[int, Mapping[int, Proficiency]],
    resolved_at: datetime,
) -> list[EvidenceUpdate]:
    """Evidence that a resolved ticket gives its owner and contributing helpers.

    Each of them gains one unit of evidence on every skill the ticket required, ``last_used``
    moves to ``resolved_at``, and the level rises to the floor the evidence supports if it was
    below it. Nothing is mutated: the updates are returned for the caller to store (and to write
    as growth events).

    Parameters
    ----------
    skill_ids : iterable of int
        The ticket's required skills.
    owner_id : int or None
        The agent who owned the ticket at resolution.
    helper_ids : iterable of int
        Agents who contributed in the swarm (the caller decides what "contributed" means, e.g.
        posted a message). The owner is counted once even if listed here too.
    profiles : mapping
        ``agent id -> skill id -> Proficiency`` for at least the agents involved.
    resolved_at : datetime
        UTC-aware moment of resolution.

    Returns
    -------
    list of EvidenceUpdate
        One per (agent, skill), owner first, in a stable order.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> when = datetime(2025, 3, 1, tzinfo=timezone.utc)
    >>> profiles = {1: {7: Proficiency(3)}}
    >>> updates = accrue_evidence([7], owner_id=1, helper_ids=[2], profiles=profiles,
    ...                           resolved_at=when)
    >>> [(u.agent_id, u.after.level, u.after.evidence, u.role) for u in updates]
    [(1, 3, 1, 'owner'), (2, 1, 1, 'helper')]
    """
    _require_aware(resolved_at, "resolved_at")
    skills = sorted(set(skill_ids))
    people: list[tuple[int, str]] = []
    if owner_id is not None:
        people.append((owner_id, "owner"))
    people.extend((helper, "helper") for helper in sorted(set(helper_ids)) if helper != owner_id)

    updates = []
    for agent_id, role in people:
        profile = profiles.get(agent_id, {})
        for skill_id in skills:
            before = profile.get(skill_id)
            base = before if before is not None else Proficiency(0)
            evidence = base.evidence + 1
            # Keep the later date: a late-processed old ticket must not make a skill look stale.
            last_used = (
                resolved_at
                if base.last_used is None or base.last_used < resolved_at
                else base.last_used
            )
            after = replace(
                base,
                evidence=evidence,
                last_used=last_used,
                level=max(base.level, level_supported_by(evidence)),
            )
            updates.append(EvidenceUpdate(agent_id, skill_id, before, after, role))
    return updates
