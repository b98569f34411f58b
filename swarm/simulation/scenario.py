"""Scenarios: a what-if run described in a YAML (or JSON) file, validated field by field.

A scenario says who the desk is (agents with tiers, skills, capacity and shifts), what arrives
(a Poisson stream with a 24-hour and a 7-day profile, a priority mix, categories of work with
their required skills and work content), how work turns into time (the model parameters) and
which routing arms run with which settings. ``docs/simulation-model.md`` documents every field,
its default and the reason for it; ``examples/`` holds a small desk and the "desk of 200".

Errors name the field and the line it is on (read from YAML's node marks), e.g.
``small.yaml line 6: arrivals.per_hour must be a positive number, got -3``. Impossible values
are refused; an overloaded desk (utilisation ≥ 1) is allowed with a warning, because "what if we
lose a third of the desk" is a fair question whose answer is a growing backlog.

Examples
--------
>>> s = parse_scenario('''
... seed: 3
... tickets: 50
... arrivals: {per_hour: 2}
... skills: [VPN, DNS]
... categories:
...   - {name: vpn, skills: {VPN: 1}, work_hours: {VPN: 0.5}}
... agents: {count: 4}
... ''')
>>> s.tickets, s.arrivals.per_hour, [c.name for c in s.categories], s.arms
(50, 2.0, ['vpn'], ('swarm', 'tiered'))
>>> parse_scenario("seed: 3\\narrivals: {per_hour: -3}\\n", "x.yaml")
Traceback (most recent call last):
...
swarm.simulation.scenario.ScenarioError: x.yaml line 2: arrivals.per_hour must be a positive ...
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from swarm.matching.policy import SwarmSettings
from swarm.routing import Priority
from swarm.tiers.config import TierConfigError, TieredSettings, settings_from_dict

__all__ = [
    "AgentSpec",
    "Arrivals",
    "Category",
    "HandOff",
    "HandOnRule",
    "ModelParams",
    "Scenario",
    "ScenarioError",
    "Shift",
    "load_scenario",
    "parse_scenario",
]

PRIORITIES: tuple[Priority, ...] = ("P1", "P2", "P3", "P4")
ARMS = ("swarm", "tiered")

#: Office hours with a lunch dip, relative (normalised to a mean of 1).
DEFAULT_DAILY: tuple[float, ...] = (
    0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.2, 2.6, 2.5, 2.2,
    1.6, 2.2, 2.4, 2.2, 1.8, 1.2, 0.6, 0.4, 0.3, 0.2, 0.1, 0.1,
)  # fmt: skip
#: Monday to Sunday: Monday's backlog of the weekend, a quiet weekend.
DEFAULT_WEEKLY: tuple[float, ...] = (1.25, 1.1, 1.05, 1.0, 0.9, 0.2, 0.15)
DEFAULT_PRIORITIES: Mapping[Priority, float] = {"P1": 0.02, "P2": 0.10, "P3": 0.58, "P4": 0.30}
#: Speed per proficiency level 0–5, relative to a competent agent (level 3 = 1.0).
DEFAULT_SPEED: tuple[float, ...] = (0.15, 0.35, 0.65, 1.0, 1.35, 1.7)
#: Generated agents' levels per tier (inclusive ranges) and how many skills each knows.
DEFAULT_LEVELS: Mapping[int, tuple[int, int]] = {1: (1, 3), 2: (2, 4), 3: (3, 5)}
DEFAULT_SKILLS_PER_AGENT: Mapping[int, int] = {1: 3, 2: 3, 3: 4}


class ScenarioError(ValueError):
    """A scenario that cannot run; the message names the file, the line and the field."""


@dataclass(frozen=True)
class Arrivals:
    """Poisson arrivals: ``per_hour`` on average, shaped by ``daily[hour] * weekly[weekday]``
    (both normalised to a mean of 1, in UTC)."""

    per_hour: float
    daily: tuple[float, ...] = DEFAULT_DAILY
    weekly: tuple[float, ...] = DEFAULT_WEEKLY

    def rate_at(self, moment: datetime) -> float:
        """Arrivals per hour at ``moment`` (UTC)."""
        return self.per_hour * self.daily[moment.hour] * self.weekly[moment.weekday()]


@dataclass(frozen=True)
class Category:
    """A kind of ticket: its share, required skills (weights) and mean work content per skill.

    ``work_hours[s]`` is the mean hours a level-3 agent spends on skill ``s``; each ticket draws
    its own from ``distribution`` (``lognormal`` with ``spread`` = σ of the log, or ``gamma`` with
    ``spread`` = coefficient of variation), the mean kept at ``work_hours[s]``.
    """

    name: str
    weight: float
    skills: Mapping[int, float]
    work_hours: Mapping[int, float]
    distribution: str = "lognormal"
    spread: float = 0.8


@dataclass(frozen=True)
class Shift:
    """Working hours: from ``start_hour`` local time for ``hours``, on ``days`` (0 = Monday)."""

    start_hour: float = 8.0
    hours: float = 9.0
    days: tuple[int, ...] = (0, 1, 2, 3, 4)
    timezone: str = "UTC"


@dataclass(frozen=True)
class AgentSpec:
    """One agent of the scenario (given or generated)."""

    id: int
    name: str
    tiers: frozenset[int]
    levels: Mapping[int, int]
    capacity: int
    shift: Shift
    wants: frozenset[int] = frozenset()


@dataclass(frozen=True)
class HandOnRule:
    """``model.handoff.tiers.N``: how often an owner of tier N cannot resolve a ticket and
    hands it on, after how long, and where to (``up`` and ``down`` shares; the rest, and any
    move with no tier to go to, to someone else of the same tier)."""

    probability: float
    hours: float
    spread: float = 1.0
    up: float = 0.0
    down: float = 0.0


@dataclass(frozen=True)
class HandOff:
    """``model.handoff``: hand-on rules per tier, and the arms they apply to."""

    tiers: Mapping[int, HandOnRule]
    arms: tuple[str, ...] = ("tiered",)
    #: The probability of handing on by the ticket's handoffs so far (0, 1, 2, 3 and more;
    #: the last entry serves the rest), instead of the tier's; empty: the tier's.
    by_handoffs: tuple[float, ...] = ()
    #: How much a ticket's hand-ons follow its work content (0: independent of it; towards 1:
    #: the tickets with the most work are the ones handed on — a Gaussian copula).
    correlation: float = 0.0


@dataclass(frozen=True)
class ModelParams:
    """How work turns into time; ``docs/simulation-model.md`` gives each default's reason."""

    speed: tuple[float, ...] = DEFAULT_SPEED
    min_level: int = 1
    coordination_overhead: float = 0.25
    rediagnosis_hours: float = 0.25
    helper_join_minutes: float = 10.0
    stuck_release_hours: float = 4.0
    pull_minutes: float = 2.0
    vendor_share: float = 0.03
    vendor_delay_hours: float = 24.0
    vendor_sla_hours: float = 48.0
    growth_per_help: float = 1.0
    offer_accept_probability: float = 0.6
    offer_accept_minutes: float = 3.0
    drain_days: float = 14.0
    requesters: int = 500
    #: Tiered arm: the share of owners who, seeing that their team cannot finish a ticket before
    #: the tier's time limit, escalate it by hand (``plan_escalation``) after trying for part of
    #: the time left; the others leave it to the limit. 0: every such ticket waits for the limit.
    hand_escalation: float = 0.0
    #: The share of tickets whose owner, halfway through the work, waits on the requester
    #: (``pending``: the tier clock stands still), for an exponential time of mean
    #: ``pending_hours``.
    pending_share: float = 0.0
    pending_hours: float = 4.0
    #: Calibrated hand-ons (``python -m swarm calibrate``); ``None``: owners never hand on.
    handoff: HandOff | None = None


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. ``warnings`` are allowed oddities (an overloaded desk)."""

    name: str
    seed: int
    start: datetime
    duration_days: float | None
    tickets: int | None
    arrivals: Arrivals
    priorities: Mapping[Priority, float]
    skills: tuple[tuple[int, str, int | None], ...]
    categories: tuple[Category, ...]
    agents: tuple[AgentSpec, ...]
    model: ModelParams
    arms: tuple[str, ...]
    swarm: SwarmSettings
    tiered: TieredSettings
    warnings: tuple[str, ...] = field(default=())
    #: The validated text, so a worker process can re-read the scenario (validated settings
    #: hold read-only mappings that do not pickle).
    text: str = field(default="", repr=False)

    def skill_name(self, skill_id: int) -> str:
        return next(name for sid, name, _ in self.skills if sid == skill_id)

    def utilisation(self) -> float:
        """Offered work over the desk's working capacity, both per week, at level-3 speed and
        with every agent's capacity slots busy — a rough guide, not a queueing result."""
        total = sum(c.weight for c in self.categories)
        work = sum(c.weight / total * sum(c.work_hours.values()) for c in self.categories)
        offered = self.arrivals.per_hour * 24 * 7 * work
        supply = sum(a.capacity * a.shift.hours * len(a.shift.days) for a in self.agents)
        return math.inf if supply == 0 else offered / supply


# ---------------------------------------------------------------------------- reading


class _Doc:
    """A parsed document and the line of each field, for messages that point at it."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.lines: dict[str, int] = {}
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            self.data: Any = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise ScenarioError(f"{source}{where}: not valid YAML/JSON: {problem}") from exc
        if node is not None:
            self._walk(node, "")

    def _walk(self, node: yaml.Node, path: str) -> None:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = f"{path}.{key.value}" if path else str(key.value)
                self.lines[name] = key.start_mark.line + 1
                self._walk(value, name)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, f"{path}[{i}]")

    def error(self, path: str, message: str) -> ScenarioError:
        # The field's own line, else its nearest parent's ("a.b[2].c" → "a.b[2]" → "a.b" →
        # "a"), else the document's: a field that is missing points at where it belongs.
        probe = path
        while probe and probe not in self.lines:
            parent = probe.rsplit(".", 1)[0] if "." in probe else probe.rsplit("[", 1)[0]
            probe = "" if parent == probe else parent
        line = self.lines.get(probe) or self.lines.get("")
        where = f" line {line}" if line else ""
        return ScenarioError(f"{self.source}{where}: {path} {message}")


def _fmt(value: object) -> str:
    return json.dumps(value) if isinstance(value, str) else repr(value)


class _Reader:
    def __init__(self, doc: _Doc) -> None:
        self.doc = doc

    def mapping(self, value: object, path: str) -> Mapping[Any, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.doc.error(path, f"must be a mapping, got {_fmt(value)}")
        return value

    def known(self, value: Mapping[str, Any], path: str, keys: Sequence[str]) -> None:
        for key in value:
            if key not in keys:
                where = f"{path}.{key}" if path else str(key)
                raise self.doc.error(where, f"is not a known field (known: {', '.join(keys)})")

    def number(
        self,
        value: object,
        path: str,
        *,
        positive: bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and math.isnan(float(value)):  # type: ignore[arg-type]
            ok = False
        if positive and (not ok or float(value) <= 0 or math.isinf(float(value))):  # type: ignore[arg-type]
            raise self.doc.error(path, f"must be a positive number, got {_fmt(value)}")
        if not ok:
            raise self.doc.error(path, f"must be a number, got {_fmt(value)}")
        x = float(value)  # type: ignore[arg-type]
        if minimum is not None and x < minimum:
            raise self.doc.error(path, f"must be at least {minimum:g}, got {_fmt(value)}")
        if maximum is not None and x > maximum:
            raise self.doc.error(path, f"must be at most {maximum:g}, got {_fmt(value)}")
        return x

    def integer(
        self, value: object, path: str, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.doc.error(path, f"must be a whole number, got {_fmt(value)}")
        if minimum is not None and value < minimum:
            raise self.doc.error(path, f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise self.doc.error(path, f"must be at most {maximum}, got {value}")
        return value

    def profile(self, value: object, path: str, length: int) -> tuple[float, ...]:
        if not isinstance(value, list) or len(value) != length:
            raise self.doc.error(path, f"must be a list of {length} numbers, got {_fmt(value)}")
        xs = tuple(self.number(v, f"{path}[{i}]", minimum=0.0) for i, v in enumerate(value))
        mean = sum(xs) / length
        if mean <= 0:
            raise self.doc.error(path, "must not be all zeros: nothing would ever arrive")
        return tuple(x / mean for x in xs)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (``.yaml``, ``.yml`` or ``.json``)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{p}: cannot read the scenario: {exc.strerror}") from exc
    return parse_scenario(text, p.name)


def parse_scenario(text: str, source: str = "scenario") -> Scenario:
    """Validate a scenario's text (YAML, of which JSON is a subset); see the module docstring."""
    doc = _Doc(text, source)
    r = _Reader(doc)
    top = r.mapping(doc.data, "scenario")
    r.known(
        top,
        "",
        (
            "name", "seed", "start", "duration_days", "tickets", "arrivals", "priorities",
            "skills", "categories", "agents", "model", "arms", "swarm", "tiered",
        ),
    )  # fmt: skip
    name = str(top.get("name", Path(source).stem))
    seed = r.integer(top.get("seed", 1), "seed", minimum=0)
    start = _start(r, top.get("start"))
    duration = top.get("duration_days")
    tickets = top.get("tickets")
    if duration is None and tickets is None:
        tickets = 1000
    duration_days = None if duration is None else r.number(duration, "duration_days", positive=True)
    n_tickets = None if tickets is None else r.integer(tickets, "tickets", minimum=1)

    arr = r.mapping(top.get("arrivals"), "arrivals")
    r.known(arr, "arrivals", ("per_hour", "daily", "weekly"))
    if "per_hour" not in arr:
        raise doc.error("arrivals.per_hour", "is required (tickets per hour, on average)")
    arrivals = Arrivals(
        r.number(arr["per_hour"], "arrivals.per_hour", positive=True),
        r.profile(arr["daily"], "arrivals.daily", 24) if "daily" in arr else DEFAULT_DAILY,
        r.profile(arr["weekly"], "arrivals.weekly", 7) if "weekly" in arr else DEFAULT_WEEKLY,
    )

    pri: Mapping[Any, Any] = r.mapping(top.get("priorities"), "priorities") or dict(
        DEFAULT_PRIORITIES
    )
    r.known(pri, "priorities", PRIORITIES)
    priorities = {p: r.number(pri.get(p, 0.0), f"priorities.{p}", minimum=0.0) for p in PRIORITIES}
    if sum(priorities.values()) <= 0:
        raise doc.error("priorities", "must give at least one priority a positive share")

    skills, skill_ids = _skills(r, top.get("skills"))
    categories = _categories(r, top.get("categories"), skill_ids)
    model = _model(r, top.get("model"))
    arms = _arms(r, top.get("arms", "both"))
    swarm = _swarm_settings(r, top.get("swarm"))
    try:
        tiered = settings_from_dict(r.mapping(top.get("tiered"), "tiered"))
    except TierConfigError as exc:
        raise doc.error("tiered", f"is not a valid tier configuration: {exc}") from exc
    agents = _agents(r, top.get("agents"), skill_ids, seed)

    scenario = Scenario(
        name, seed, start, duration_days, n_tickets, arrivals, priorities, skills,
        tuple(categories), tuple(agents), model, arms, swarm, tiered,
    )  # fmt: skip
    warnings: list[str] = []
    load = scenario.utilisation()
    if load >= 1:
        warnings.append(
            f"{source}: utilisation is about {load:.2f} (≥ 1): more work arrives than the desk "
            "can do on shift, so the backlog will grow through the run"
        )
    return Scenario(**{**scenario.__dict__, "warnings": tuple(warnings), "text": text})


def _start(r: _Reader, value: object) -> datetime:
    if value is None:
        return datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise r.doc.error("start", f"must be an ISO date-time, got {_fmt(value)}") from None
    else:
        raise r.doc.error("start", f"must be an ISO date-time, got {_fmt(value)}")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _skills(
    r: _Reader, value: object
) -> tuple[tuple[tuple[int, str, int | None], ...], dict[str, int]]:
    if not isinstance(value, list) or not value:
        raise r.doc.error("skills", "must be a non-empty list of skill names")
    ids: dict[str, int] = {}
    parents: list[tuple[int, str, str | None]] = []
    for i, item in enumerate(value, start=1):
        path = f"skills[{i - 1}]"
        if isinstance(item, str):
            name, parent = item, None
        else:
            entry = r.mapping(item, path)
            r.known(entry, path, ("name", "parent"))
            raw_name, parent = entry.get("name"), entry.get("parent")
            if not isinstance(raw_name, str):
                raise r.doc.error(f"{path}.name", f"must be a name, got {_fmt(raw_name)}")
            name = raw_name
        if not name.strip():
            raise r.doc.error(path, "must not be empty")
        if name in ids:
            raise r.doc.error(path, f"names {_fmt(name)} twice")
        ids[name] = i
        parents.append((i, name, parent))
    out = []
    for i, name, parent in parents:
        if parent is not None and parent not in ids:
            raise r.doc.error(f"skills[{i - 1}].parent", f"names an unknown skill {_fmt(parent)}")
        out.append((i, name, None if parent is None else ids[parent]))
    return tuple(out), ids


def _skill_map(
    r: _Reader, value: object, path: str, ids: Mapping[str, int], *, positive: bool
) -> dict[int, float]:
    entries = r.mapping(value, path)
    out: dict[int, float] = {}
    for key, v in entries.items():
        if key not in ids:
            raise r.doc.error(f"{path}.{key}", "is not one of the scenario's skills")
        if positive:
            out[ids[key]] = r.number(v, f"{path}.{key}", positive=True)
        else:
            out[ids[key]] = r.number(v, f"{path}.{key}", minimum=0.0)
    return out


def _categories(r: _Reader, value: object, ids: Mapping[str, int]) -> list[Category]:
    if not isinstance(value, list) or not value:
        raise r.doc.error("categories", "must be a non-empty list of ticket categories")
    out = []
    for i, item in enumerate(value):
        path = f"categories[{i}]"
        c = r.mapping(item, path)
        r.known(c, path, ("name", "weight", "skills", "work_hours", "distribution", "spread"))
        name = c.get("name", f"category {i + 1}")
        skills = _skill_map(r, c.get("skills"), f"{path}.skills", ids, positive=True)
        if not skills:
            raise r.doc.error(f"{path}.skills", "must name at least one required skill")
        work = _skill_map(r, c.get("work_hours"), f"{path}.work_hours", ids, positive=True)
        for sid in work:
            if sid not in skills:
                raise r.doc.error(f"{path}.work_hours", "names a skill the category does not need")
        for sid in skills:
            work.setdefault(sid, 0.5)
        dist = c.get("distribution", "lognormal")
        if dist not in ("lognormal", "gamma"):
            raise r.doc.error(
                f"{path}.distribution", f"must be lognormal or gamma, got {_fmt(dist)}"
            )
        out.append(
            Category(
                str(name),
                r.number(c.get("weight", 1.0), f"{path}.weight", positive=True),
                skills,
                work,
                str(dist),
                r.number(c.get("spread", 0.8), f"{path}.spread", positive=True, maximum=5.0),
            )
        )
    return out


_MODEL_LIMITS: dict[str, tuple[float, float | None, bool]] = {
    # name: (minimum, maximum, strictly positive)
    "coordination_overhead": (0.0, 10.0, False),
    "rediagnosis_hours": (0.0, 1000.0, False),
    "helper_join_minutes": (0.0, None, True),
    "stuck_release_hours": (0.0, None, True),
    "pull_minutes": (0.0, None, False),
    "vendor_share": (0.0, 1.0, False),
    "vendor_delay_hours": (0.0, None, True),
    "vendor_sla_hours": (0.0, None, True),
    "growth_per_help": (0.0, 100.0, False),
    "offer_accept_probability": (0.0, 1.0, False),
    "offer_accept_minutes": (0.0, None, True),
    "drain_days": (0.0, 3650.0, False),
    "hand_escalation": (0.0, 1.0, False),
    "pending_share": (0.0, 1.0, False),
    "pending_hours": (0.0, None, True),
}


def _model(r: _Reader, value: object) -> ModelParams:
    m = r.mapping(value, "model")
    r.known(m, "model", ("speed", "min_level", "requesters", "handoff", *_MODEL_LIMITS))
    kwargs: dict[str, Any] = {}
    for key, (low, high, positive) in _MODEL_LIMITS.items():
        if key in m:
            kwargs[key] = r.number(
                m[key], f"model.{key}", positive=positive, minimum=low, maximum=high
            )
    if "speed" in m:
        speed = m["speed"]
        if not isinstance(speed, list) or len(speed) != 6:
            raise r.doc.error("model.speed", f"must list 6 speeds (levels 0–5), got {_fmt(speed)}")
        kwargs["speed"] = tuple(
            r.number(v, f"model.speed[{i}]", positive=True) for i, v in enumerate(speed)
        )
    if "min_level" in m:
        kwargs["min_level"] = r.integer(m["min_level"], "model.min_level", minimum=0, maximum=5)
    if "requesters" in m:
        kwargs["requesters"] = r.integer(m["requesters"], "model.requesters", minimum=1)
    if "handoff" in m:
        kwargs["handoff"] = _handoff(r, m["handoff"])
    return ModelParams(**kwargs)


def _handoff(r: _Reader, value: object) -> HandOff:
    h = r.mapping(value, "model.handoff")
    r.known(h, "model.handoff", ("arms", "tiers", "by_handoffs", "correlation"))
    arms_raw = h.get("arms", "tiered")
    if arms_raw == "both":
        arms: tuple[str, ...] = ARMS
    elif arms_raw in ARMS:
        arms = (str(arms_raw),)
    else:
        raise r.doc.error(
            "model.handoff.arms", f"must be tiered, swarm or both, got {_fmt(arms_raw)}"
        )
    tiers: dict[int, HandOnRule] = {}
    for key, raw in r.mapping(h.get("tiers"), "model.handoff.tiers").items():
        path = f"model.handoff.tiers.{key}"
        tier = r.integer(int(key) if str(key).isdigit() else key, path, minimum=1, maximum=3)
        rule = r.mapping(raw, path)
        r.known(rule, path, ("probability", "hours", "spread", "up", "down"))
        if "probability" not in rule or "hours" not in rule:
            raise r.doc.error(path, "needs a probability and hours")
        up = r.number(rule.get("up", 0.0), f"{path}.up", minimum=0.0, maximum=1.0)
        down = r.number(rule.get("down", 0.0), f"{path}.down", minimum=0.0, maximum=1.0)
        if up + down > 1.0 + 1e-9:
            raise r.doc.error(path, f"up + down must be at most 1, got {up + down:g}")
        tiers[tier] = HandOnRule(
            r.number(rule["probability"], f"{path}.probability", minimum=0.0, maximum=1.0),
            r.number(rule["hours"], f"{path}.hours", positive=True),
            r.number(rule.get("spread", 1.0), f"{path}.spread", minimum=0.0, maximum=5.0),
            up,
            down,
        )
    by = h.get("by_handoffs", [])
    if not isinstance(by, list) or len(by) > 4:
        raise r.doc.error(
            "model.handoff.by_handoffs", f"must list up to 4 probabilities, got {_fmt(by)}"
        )
    return HandOff(
        tiers,
        arms,
        tuple(
            r.number(v, f"model.handoff.by_handoffs[{i}]", minimum=0.0, maximum=1.0)
            for i, v in enumerate(by)
        ),
        r.number(h.get("correlation", 0.0), "model.handoff.correlation", minimum=0.0, maximum=0.99),
    )


def _arms(r: _Reader, value: object) -> tuple[str, ...]:
    if value == "both":
        return ARMS
    if value in ARMS:
        return (str(value),)
    raise r.doc.error("arms", f"must be swarm, tiered or both, got {_fmt(value)}")


def _swarm_settings(r: _Reader, value: object) -> SwarmSettings:
    s = r.mapping(value, "swarm")
    r.known(
        s,
        "swarm",
        ("offer", "offer_size", "offer_timeout_minutes", "retry_after_minutes", "suggest_helpers"),
    )
    for flag in ("offer", "suggest_helpers"):
        if flag in s and not isinstance(s[flag], bool):
            raise r.doc.error(f"swarm.{flag}", f"must be true or false, got {_fmt(s[flag])}")
    base = SwarmSettings()
    return SwarmSettings(
        offer=bool(s.get("offer", base.offer)),
        offer_size=r.integer(s.get("offer_size", base.offer_size), "swarm.offer_size", minimum=1),
        offer_timeout=timedelta(
            minutes=r.number(
                s.get("offer_timeout_minutes", 10), "swarm.offer_timeout_minutes", positive=True
            )
        ),
        retry_after=timedelta(
            minutes=r.number(
                s.get("retry_after_minutes", 15), "swarm.retry_after_minutes", positive=True
            )
        ),
        suggest_helpers=bool(s.get("suggest_helpers", base.suggest_helpers)),
    )


def _shift(r: _Reader, value: object, path: str) -> Shift:
    s = r.mapping(value, path)
    r.known(s, path, ("start_hour", "hours", "days", "timezone", "share"))
    days = s.get("days", [0, 1, 2, 3, 4])
    if not isinstance(days, list) or not days:
        raise r.doc.error(f"{path}.days", f"must list weekdays 0 (Monday) to 6, got {_fmt(days)}")
    zone = s.get("timezone", "UTC")
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise r.doc.error(f"{path}.timezone", f"is not a known time zone: {_fmt(zone)}") from None
    return Shift(
        r.number(s.get("start_hour", 8), f"{path}.start_hour", minimum=0, maximum=23.99),
        r.number(s.get("hours", 9), f"{path}.hours", positive=True, maximum=24),
        tuple(
            sorted(
                {
                    r.integer(d, f"{path}.days[{i}]", minimum=0, maximum=6)
                    for i, d in enumerate(days)
                }
            )
        ),
        str(zone),
    )


def _agents(r: _Reader, value: object, ids: Mapping[str, int], seed: int) -> list[AgentSpec]:
    a = r.mapping(value, "agents")
    r.known(
        a,
        "agents",
        ("count", "list", "tiers", "skills_per_agent", "levels", "capacity", "shifts",
         "learning_goals"),
    )  # fmt: skip
    if "list" in a:
        return _agent_list(r, a["list"], ids)
    if "count" not in a:
        raise r.doc.error("agents", "needs a count (generated agents) or a list")
    count = r.integer(a["count"], "agents.count", minimum=1)
    capacity = r.integer(a.get("capacity", 5), "agents.capacity", minimum=1)
    tiers_raw: Mapping[Any, Any] = r.mapping(a.get("tiers"), "agents.tiers") or {
        1: 0.5,
        2: 0.3,
        3: 0.2,
    }
    tier_share = {
        r.integer(
            int(k) if str(k).isdigit() else k, f"agents.tiers.{k}", minimum=1, maximum=3
        ): r.number(v, f"agents.tiers.{k}", minimum=0.0)
        for k, v in tiers_raw.items()
    }
    if sum(tier_share.values()) <= 0:
        raise r.doc.error("agents.tiers", "must give some tier a positive share")
    per_agent = dict(DEFAULT_SKILLS_PER_AGENT)
    for k, v in r.mapping(a.get("skills_per_agent"), "agents.skills_per_agent").items():
        per_agent[int(k)] = r.integer(v, f"agents.skills_per_agent.{k}", minimum=1)
    levels = dict(DEFAULT_LEVELS)
    for k, v in r.mapping(a.get("levels"), "agents.levels").items():
        path = f"agents.levels.{k}"
        if not isinstance(v, list) or len(v) != 2:
            raise r.doc.error(path, f"must be [lowest, highest], got {_fmt(v)}")
        lo = r.integer(v[0], path, minimum=1, maximum=5)
        hi = r.integer(v[1], path, minimum=lo, maximum=5)
        levels[int(k)] = (lo, hi)
    shifts_raw = a.get("shifts") or [{}]
    if not isinstance(shifts_raw, list):
        raise r.doc.error("agents.shifts", f"must be a list of shifts, got {_fmt(shifts_raw)}")
    shifts = [_shift(r, s, f"agents.shifts[{i}]") for i, s in enumerate(shifts_raw)]
    shares = [
        r.number((s or {}).get("share", 1.0), f"agents.shifts[{i}].share", positive=True)
        for i, s in enumerate(shifts_raw)
    ]
    goals = r.integer(a.get("learning_goals", 1), "agents.learning_goals", minimum=0)
    return generate_agents(
        count, tier_share, per_agent, levels, capacity, shifts, shares, goals, len(ids), seed
    )


def generate_agents(
    count: int,
    tier_share: Mapping[int, float],
    per_agent: Mapping[int, int],
    levels: Mapping[int, tuple[int, int]],
    capacity: int,
    shifts: Sequence[Shift],
    shares: Sequence[float],
    goals: int,
    n_skills: int,
    seed: int,
) -> list[AgentSpec]:
    """A desk of ``count`` agents: tiers by share (largest remainder, so the counts are exact),
    skills spread round-robin so every skill is known by someone in every tier, levels uniform
    in the tier's range, shifts by share, and ``goals`` learning goals among unknown skills.
    Deterministic for ``seed`` (its own stream, so the arms share one desk)."""
    import numpy as np

    rng = np.random.default_rng([seed, 0xA6E])
    counts = _apportion(count, tier_share)
    shift_counts = _apportion(count, dict(enumerate(shares)))
    shift_of = [i for i, k in sorted(shift_counts.items()) for _ in range(k)]
    agents: list[AgentSpec] = []
    cursor = 0
    for tier in sorted(counts):
        lo, hi = levels.get(tier, (1, 3))
        k = min(per_agent.get(tier, 3), n_skills)
        for j in range(counts[tier]):
            agent_id = len(agents) + 1
            # Round-robin first skill (coverage), the rest at random.
            first = (cursor % n_skills) + 1
            cursor += 1
            others = [s for s in rng.permutation(n_skills) + 1 if s != first][: k - 1]
            known = [first, *(int(s) for s in others)]
            lv = {s: int(rng.integers(lo, hi + 1)) for s in known}
            unknown = [s for s in range(1, n_skills + 1) if s not in lv]
            wants = (
                frozenset(int(s) for s in rng.permutation(unknown)[:goals])
                if unknown
                else frozenset()
            )
            agents.append(
                AgentSpec(
                    agent_id,
                    f"Agent {agent_id} (T{tier})",
                    frozenset({tier}),
                    lv,
                    capacity,
                    shifts[shift_of[agent_id - 1]],
                    wants,
                )
            )
            del j
    return agents


def _apportion(count: int, shares: Mapping[int, float]) -> dict[int, int]:
    total = sum(shares.values())
    raw = {k: count * v / total for k, v in shares.items()}
    out = {k: math.floor(x) for k, x in raw.items()}
    left = count - sum(out.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), k))[:left]:
        out[k] += 1
    return out


def _agent_list(r: _Reader, value: object, ids: Mapping[str, int]) -> list[AgentSpec]:
    if not isinstance(value, list) or not value:
        raise r.doc.error("agents.list", "must be a non-empty list of agents")
    out = []
    for i, item in enumerate(value):
        path = f"agents.list[{i}]"
        a = r.mapping(item, path)
        r.known(a, path, ("name", "tiers", "skills", "capacity", "shift", "learning"))
        tiers = a.get("tiers", [1])
        if not isinstance(tiers, list) or not tiers:
            raise r.doc.error(f"{path}.tiers", f"must list the tiers served, got {_fmt(tiers)}")
        skills = r.mapping(a.get("skills"), f"{path}.skills")
        levels: dict[int, int] = {}
        for key, v in skills.items():
            if key not in ids:
                raise r.doc.error(f"{path}.skills.{key}", "is not one of the scenario's skills")
            levels[ids[key]] = r.integer(v, f"{path}.skills.{key}", minimum=0, maximum=5)
        learning = a.get("learning", [])
        if not isinstance(learning, list) or any(s not in ids for s in learning):
            raise r.doc.error(f"{path}.learning", f"must list known skills, got {_fmt(learning)}")
        out.append(
            AgentSpec(
                i + 1,
                str(a.get("name", f"Agent {i + 1}")),
                frozenset(
                    r.integer(t, f"{path}.tiers[{j}]", minimum=1, maximum=3)
                    for j, t in enumerate(tiers)
                ),
                levels,
                r.integer(a.get("capacity", 5), f"{path}.capacity", minimum=1),
                _shift(r, a.get("shift"), f"{path}.shift"),
                frozenset(ids[s] for s in learning),
            )
        )
    return out
