"""Tiers and their time limits: what a tiered organisation configures, validated once.

A tier has a number (0–4), a name and, per priority, how long a ticket may stay in it before it is
escalated automatically to the next tier. ``None`` means "no automatic escalation from this tier
for this priority". The defaults and their reasons are in ``docs/tiers.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from itertools import pairwise
from types import MappingProxyType
from typing import Any, Literal, get_args

from swarm.routing import Priority
from swarm.tiers.collaboration import COLLABORATION_SETTINGS, Collaboration

__all__ = [
    "DEFAULT_TIERS",
    "ENTRY_TIER",
    "INTAKES",
    "MAX_LIMIT_SECONDS",
    "PRIORITIES",
    "SELF_SERVICE_TIER",
    "Intake",
    "Strategy",
    "TierConfig",
    "TierConfigError",
    "TieredSettings",
    "settings_from_dict",
    "settings_to_dict",
    "tiered_variant",
]

PRIORITIES: tuple[Priority, ...] = ("P1", "P2", "P3", "P4")

#: Tier 0 is self-service (the knowledge base): no queue, no agents, no clock.
SELF_SERVICE_TIER = 0
#: A ticket that reaches the desk starts here, and de-escalation stops here.
ENTRY_TIER = 1
#: Anything longer than 30 days is a typo (minutes for seconds), not a policy.
MAX_LIMIT_SECONDS = 30 * 24 * 3600

Strategy = Literal["round_robin", "least_loaded"]
STRATEGIES: tuple[str, ...] = get_args(Strategy)
#: The strategy that made every tier pull before intake was set per tier; still accepted on input.
LEGACY_PULL_ONLY = "pull_only"
#: How a tier takes a ticket that enters it: ``push`` assigns it (by the strategy), ``pull``
#: leaves it in the tier's queue until an agent takes it ("Take next").
Intake = Literal["push", "pull"]
INTAKES: tuple[str, ...] = get_args(Intake)

_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR


class TierConfigError(ValueError):
    """A tier configuration that cannot work; the message says what to change."""


@dataclass(frozen=True)
class TierConfig:
    """One support tier.

    Parameters
    ----------
    tier : int
        0 (self-service) to 4 (external vendors).
    name : str
        Shown in queues and explanations, e.g. "Service desk".
    limits : mapping
        ``priority -> seconds`` a ticket may stay in this tier before automatic escalation;
        ``None`` (or a missing priority) means no automatic escalation for that priority.
    external : bool
        The tier is run by vendors (Tier 4): the organisation monitors, a vendor works.
    intake : {"push", "pull"}
        ``push``: a ticket entering the tier is assigned to one of its agents at once;
        ``pull``: it waits in the tier's queue until an agent takes it ("Take next").

    Examples
    --------
    >>> t1 = TierConfig(1, "Service desk", {"P1": 300, "P2": 600, "P3": 900, "P4": 900})
    >>> t1.limit("P3")
    datetime.timedelta(seconds=900)
    >>> TierConfig(2, "", {})
    Traceback (most recent call last):
    ...
    swarm.tiers.config.TierConfigError: Tier 2 needs a name.
    """

    tier: int
    name: str
    limits: Mapping[Priority, int | None] = field(default_factory=dict, hash=False)
    external: bool = False
    intake: Intake = "push"

    def __post_init__(self) -> None:
        # bool is an int in Python; `True` as a tier number is always a mistake.
        if isinstance(self.tier, bool) or not isinstance(self.tier, int):
            raise TierConfigError(f"A tier number must be an integer, not {self.tier!r}.")
        if not 0 <= self.tier <= 4:
            raise TierConfigError(f"Tier {self.tier} does not exist: tiers are numbered 0 to 4.")
        if not isinstance(self.name, str) or not self.name.strip():
            raise TierConfigError(f"Tier {self.tier} needs a name.")
        unknown = sorted(str(p) for p in self.limits if p not in PRIORITIES)
        if unknown:
            raise TierConfigError(
                f"Tier {self.tier} has a limit for unknown priority {', '.join(unknown)}; "
                f"priorities are {', '.join(PRIORITIES)}."
            )
        for priority, seconds in self.limits.items():
            _check_limit(self.tier, priority, seconds)
        if self.tier == SELF_SERVICE_TIER and any(v is not None for v in self.limits.values()):
            raise TierConfigError(
                "Tier 0 is self-service: it has no queue, so it cannot have a time limit."
            )
        if self.intake not in INTAKES:
            raise TierConfigError(
                f"Tier {self.tier} intake must be push (assign at once) or pull (agents take "
                f"it from the queue), not {self.intake!r}."
            )
        if self.tier == SELF_SERVICE_TIER and self.intake != "push":
            raise TierConfigError("Tier 0 is self-service: it has no queue to pull from.")
        # A read-only copy: a caller mutating its dict later must not change a validated config.
        limits: dict[Priority, int | None] = {}
        for priority in PRIORITIES:
            seconds = self.limits.get(priority)
            limits[priority] = None if seconds is None else int(seconds)
        object.__setattr__(self, "name", self.name.strip())
        object.__setattr__(self, "limits", MappingProxyType(limits))
        # The limits as durations, made once: a policy asks for them on every tier move.
        durations = {p: None if v is None else timedelta(seconds=v) for p, v in limits.items()}
        object.__setattr__(self, "_durations", durations)

    def limit(self, priority: Priority) -> timedelta | None:
        """How long a ticket of ``priority`` may stay in this tier, or ``None`` for no limit."""
        durations: dict[Priority, timedelta | None] = self._durations  # type: ignore[attr-defined]
        return durations.get(priority)


def _check_limit(tier: int, priority: Priority, seconds: object) -> None:
    if seconds is None:
        return
    where = f"Tier {tier} limit for {priority}"
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise TierConfigError(f"{where} must be a number of seconds or null, not {seconds!r}.")
    if math.isnan(seconds) or seconds <= 0:
        raise TierConfigError(
            f"{where} must be more than 0 seconds (got {seconds}); use null for no limit."
        )
    if seconds > MAX_LIMIT_SECONDS:
        raise TierConfigError(
            f"{where} is {seconds} seconds, more than 30 days: give the limit in seconds "
            "(e.g. 900 for 15 minutes), or null for no limit."
        )
    if seconds != int(seconds):
        raise TierConfigError(f"{where} must be a whole number of seconds (got {seconds}).")


def _limits(
    p1: int | None, p2: int | None, p3: int | None, p4: int | None
) -> dict[Priority, int | None]:
    return {"P1": p1, "P2": p2, "P3": p3, "P4": p4}


#: The defaults; ``docs/tiers.md`` gives the reasoning. Each chain 1 → 2 → 3 fits inside the
#: resolution target of its priority (``swarm/tickets/sla.py``) with a third or more to spare.
DEFAULT_TIERS: tuple[TierConfig, ...] = (
    TierConfig(0, "Self-service"),
    # The seed rule: a Tier 1 issue open longer than 15 minutes goes to Tier 2. P1/P2 are
    # outages and degradations: the desk logs and routes them rather than troubleshooting.
    # Pull: the desk works its queue in order ("Take next"), as service desks do; a ticket
    # nobody takes within the limit is escalated to Tier 2, where it is pushed to someone.
    TierConfig(
        1,
        "Service desk",
        _limits(5 * _MINUTE, 10 * _MINUTE, 15 * _MINUTE, 15 * _MINUTE),
        intake="pull",
    ),
    TierConfig(2, "Technical support", _limits(30 * _MINUTE, _HOUR, 4 * _HOUR, 8 * _HOUR)),
    TierConfig(3, "Engineering", _limits(2 * _HOUR, 4 * _HOUR, _DAY, 2 * _DAY)),
    # Vendors answer to their own SLA (swarm/tiers/vendors.py), not to a tier limit.
    TierConfig(4, "External vendors", external=True),
)


@dataclass(frozen=True)
class TieredSettings:
    """How :class:`~swarm.tiers.policy.TieredPolicy` runs.

    Parameters
    ----------
    tiers : sequence of TierConfig
        A contiguous chain that includes Tier 1 (e.g. 1–3, or 0–4); kept sorted by number.
    strategy : {"round_robin", "least_loaded"}
        How a ``push`` tier picks the agent (each tier's ``intake`` says whether it pushes).
    last_automatic_tier : int or None
        The highest tier a time limit may move a ticket into; ``None`` means the last configured
        tier. Set it to 3 when only a person may send a ticket to the vendors.
    collaboration : {"off", "within_tier", "open"}
        Whom a tiered ticket's owner may invite or be offered help by
        (:mod:`swarm.tiers.collaboration`); ``off`` is pure tiers.

    Examples
    --------
    >>> s = TieredSettings()
    >>> [t.tier for t in s.tiers], s.next_automatic(1), s.next_automatic(4)
    ([0, 1, 2, 3, 4], 2, None)
    >>> TieredSettings(tiers=[TierConfig(1, "L1"), TierConfig(3, "L3")])
    Traceback (most recent call last):
    ...
    swarm.tiers.config.TierConfigError: The tiers must form a chain without gaps: Tier 2 is mis...
    """

    tiers: Sequence[TierConfig] = DEFAULT_TIERS
    strategy: Strategy = "round_robin"
    last_automatic_tier: int | None = None
    collaboration: Collaboration = "off"

    def __post_init__(self) -> None:
        tiers = tuple(sorted(self.tiers, key=lambda t: t.tier))
        if not tiers:
            raise TierConfigError("Tiered mode needs at least Tier 1.")
        numbers = [t.tier for t in tiers]
        duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
        if duplicates:
            raise TierConfigError(
                f"Tier {', '.join(map(str, duplicates))} is configured more than once."
            )
        # A gap would make "the next tier" ambiguous for both the timer and the agents: is a
        # Tier 1 ticket escalated past a missing Tier 2 straight to Tier 3's experts?
        for low, high in pairwise(numbers):
            if high != low + 1:
                missing = ", ".join(f"Tier {n}" for n in range(low + 1, high))
                verb = "is" if high == low + 2 else "are"
                raise TierConfigError(
                    f"The tiers must form a chain without gaps: {missing} {verb} missing "
                    f"between Tier {low} and Tier {high}."
                )
        if ENTRY_TIER not in numbers:
            raise TierConfigError(
                "Tier 1 is missing: every ticket that reaches the desk starts in Tier 1."
            )
        if self.strategy not in STRATEGIES:
            raise TierConfigError(
                f"Unknown assignment strategy {self.strategy!r}; use one of "
                f"{', '.join(STRATEGIES)}."
            )
        if self.collaboration not in COLLABORATION_SETTINGS:
            raise TierConfigError(
                f"Unknown collaboration setting {self.collaboration!r}; use one of "
                f"{', '.join(COLLABORATION_SETTINGS)}."
            )
        last = self.last_automatic_tier
        if last is not None and (last not in numbers or last < ENTRY_TIER):
            raise TierConfigError(
                f"last_automatic_tier {last} is not a configured tier of 1 or more "
                f"(configured: {', '.join(map(str, numbers))})."
            )
        object.__setattr__(self, "tiers", tiers)
        # Answers per tier, filled on first use (the settings are immutable): a policy asks
        # for the next tier and a tier's name on every move.
        object.__setattr__(self, "_next", {})
        object.__setattr__(self, "_names", {})

    @property
    def first_tier(self) -> int:
        """The tier new tickets are queued in and de-escalation stops at."""
        return ENTRY_TIER

    @property
    def last_tier(self) -> int:
        return self.tiers[-1].tier

    def has_tier(self, tier: int) -> bool:
        return any(t.tier == tier for t in self.tiers)

    def tier(self, tier: int) -> TierConfig:
        """The configuration of ``tier``; :class:`TierConfigError` when it is not configured."""
        for config in self.tiers:
            if config.tier == tier:
                return config
        raise TierConfigError(f"Tier {tier} is not configured.")

    def name(self, tier: int) -> str:
        """``"Tier 2 (Technical support)"``, or ``"Tier 7"`` for a tier no longer configured."""
        names: dict[int, str] = self._names  # type: ignore[attr-defined]
        name = names.get(tier)
        if name is None:
            name = f"Tier {tier}"
            for config in self.tiers:
                if config.tier == tier:
                    name = f"Tier {tier} ({config.name})"
                    break
            names[tier] = name
        return name

    def intake(self, tier: int) -> Intake:
        """How ``tier`` takes a ticket entering it; ``push`` for a tier no longer configured."""
        for config in self.tiers:
            if config.tier == tier:
                return config.intake
        return "push"

    def limit(self, tier: int, priority: Priority) -> timedelta | None:
        """The time limit of ``tier`` for ``priority``; ``None`` for no limit or no such tier."""
        for config in self.tiers:
            if config.tier == tier:
                return config.limit(priority)
        return None

    def next_automatic(self, tier: int) -> int | None:
        """Where a time limit moves a ticket in ``tier``, or ``None`` at the last automatic tier.

        Works for a tier that is no longer configured too (a ticket left there by an older
        configuration escalates to the next configured tier above it).
        """
        known: dict[int, int | None] = self._next  # type: ignore[attr-defined]
        if tier in known:
            return known[tier]
        last = self.last_tier if self.last_automatic_tier is None else self.last_automatic_tier
        above = [t.tier for t in self.tiers if t.tier > tier]
        target = None if not above or above[0] > last else above[0]
        known[tier] = target
        return target


def settings_from_dict(
    data: Mapping[str, Any], base: TieredSettings | None = None
) -> TieredSettings:
    """Read the ``/api/v1/tiers`` document into settings, with the same errors.

    ``data`` is ``{"tiers": [{"tier": 1, "name": "…", "limits": {"P1": 300, …},
    "external": false, "intake": "pull"}, …], "strategy"?: "…", "last_automatic_tier"?: 3,
    "collaboration"?: "off"}``; keys left out keep the values of ``base`` (the defaults when
    ``None``), and a tier given without ``intake`` keeps the intake that tier number has in
    ``base`` (or in the defaults). The strategy ``pull_only`` of older documents is read as
    every tier pulling.

    Examples
    --------
    >>> s = settings_from_dict({"tiers": [{"tier": 1, "name": "Desk", "limits": {"P3": 600}}]})
    >>> s.limit(1, "P3"), s.limit(1, "P1"), s.intake(1)
    (datetime.timedelta(seconds=600), None, 'pull')
    >>> settings_from_dict({"tiers": [{"tier": 1, "name": "Desk", "limits": {"P3": -5}}]})
    Traceback (most recent call last):
    ...
    swarm.tiers.config.TierConfigError: Tier 1 limit for P3 must be more than 0 seconds (got -5...
    """
    base = base or TieredSettings()
    if not isinstance(data, Mapping):
        raise TierConfigError("The tier configuration must be a JSON object.")
    tiers: Sequence[TierConfig] = base.tiers
    if "tiers" in data:
        raw = data["tiers"]
        if not isinstance(raw, list):
            raise TierConfigError('"tiers" must be a list of {tier, name, limits} objects.')
        tiers = [_tier_from_dict(item, base) for item in raw]
    strategy = data.get("strategy", base.strategy)
    if strategy == LEGACY_PULL_ONLY:
        tiers = [replace(t, intake="pull") if t.tier != SELF_SERVICE_TIER else t for t in tiers]
        strategy = "round_robin"
    return TieredSettings(
        tiers=tiers,
        strategy=strategy,
        last_automatic_tier=data.get("last_automatic_tier", base.last_automatic_tier),
        collaboration=data.get("collaboration", base.collaboration),
    )


def _tier_from_dict(item: object, base: TieredSettings) -> TierConfig:
    if not isinstance(item, Mapping):
        raise TierConfigError("Each tier must be an object with tier, name and limits.")
    if "tier" not in item:
        raise TierConfigError("Each tier needs its number in 'tier'.")
    limits = item.get("limits") or {}
    if not isinstance(limits, Mapping):
        raise TierConfigError(f"Tier {item['tier']}: 'limits' must map P1–P4 to seconds or null.")
    external = item.get("external", False)
    if not isinstance(external, bool):
        raise TierConfigError(f"Tier {item['tier']}: 'external' must be true or false.")
    intake = item.get("intake")
    if intake is None:
        # A document written before intake existed, or a form that does not show it, keeps the
        # tier's intake rather than silently switching the desk back to pushing.
        known = [t for t in (*base.tiers, *DEFAULT_TIERS) if t.tier == item["tier"]]
        intake = known[0].intake if known else "push"
    return TierConfig(item["tier"], item.get("name", ""), dict(limits), external, intake)


def settings_to_dict(settings: TieredSettings) -> dict[str, Any]:
    """The inverse of :func:`settings_from_dict` (what ``GET /api/v1/tiers`` shows)."""
    return {
        "tiers": [
            {
                "tier": t.tier,
                "name": t.name,
                "limits": dict(t.limits),
                "external": t.external,
                "intake": t.intake,
            }
            for t in settings.tiers
        ],
        "strategy": settings.strategy,
        "last_automatic_tier": settings.last_automatic_tier,
        "collaboration": settings.collaboration,
    }


def tiered_variant(settings: TieredSettings) -> dict[str, Any]:
    """Which tiered variant a ticket runs under, as its ``created`` event records it.

    The metrics compare "tiered" against swarming; these keys say which tiered: whether tickets
    could swarm inside the tiers, and which tiers pushed or pulled (tier numbers as strings,
    since the event's data is JSON).

    Examples
    --------
    >>> tiered_variant(TieredSettings())
    {'collaboration': 'off', 'intake': {'1': 'pull', '2': 'push', '3': 'push', '4': 'push'}}
    """
    return {
        "collaboration": settings.collaboration,
        "intake": {str(t.tier): t.intake for t in settings.tiers if t.tier != SELF_SERVICE_TIER},
    }
