"""Calibration: a scenario derived from an imported log, so the simulator replays that desk.

``python -m swarm calibrate --dataset NAME > scenario.yaml`` reads one pass over the dataset's
``created``, ``assigned``, ``resolved`` and ``reopened`` events (ordered by ticket and id, a
streamed cursor: memory holds one ticket) and its ``dataset_actors``, and writes a scenario in
the documented format (docs/simulation-model.md, "Calibration and replay") whose comments say
where each figure came from.

The derivation is pure: :class:`LogShape` accumulates tickets (:meth:`LogShape.add_ticket`, one
:class:`TicketTrace` each) and :func:`derive` turns the shape into the scenario's document;
:func:`to_yaml` writes it with its comments. Only :func:`read_shape` touches the database.

What is derived (every figure from the log's own events):

* arrivals: tickets per hour over the central 98 % of creation times, the 24-hour and 7-day
  profiles of creation times (UTC);
* the priority mix, the category mix (the top categories, the rest as ``other``);
* an owner *stint* is the time from an ``assigned`` to the next one (or to the final
  resolution); its tier is the assignment's ``tier`` (else the actor's level, else 1). Per
  tier: the share of stints handed on rather than resolved, where to (up, same tier, down) and
  a lognormal fit of a handed-on stint's hours — the ``model.handoff`` rules; per category a
  lognormal fit of the resolving stint's hours — its work content;
* ``model.handoff.by_handoffs``: P(one more handoff | k so far) from the tickets' counts, and
  ``correlation``: how much the handed-on tickets are the ones with the most work;
* tier limits: the 99th percentile of the log's stints in the tier (the desk let a ticket
  sit that long; at most 30 days), not the product's 15-minute defaults;
* agents from the busiest actors of each tier (tiers by the hours they held tickets), skills
  from the categories each resolved; the capacity from Little's law so that the desk's slots
  are about 70 % busy at the log's arrival rate;
* :func:`refine`: pilot runs of the tiered arm that correct ``by_handoffs`` towards the log's
  shares (time-limit escalations add handoffs the log's counts already hold).

Examples
--------
>>> shape = LogShape()
>>> for i in range(4):
...     shape.add_ticket(TicketTrace(3600.0 * i, "P3", "net",
...         [(7, 1, 3600.0 * i), (8, 2, 3600.0 * i + 7200)] if i % 2 else [(7, 1, 3600.0 * i)],
...         3600.0 * i + 10800.0))
>>> shape.tickets, shape.handoff_counts
(4, [2, 2, 0, 0])
>>> doc, _ = derive(shape, "toy", {7: ("Desk", 1), 8: ("Net 2nd", 2)}, agents=2)
>>> doc["model"]["handoff"]["tiers"][1]["probability"], len(doc["agents"]["list"])
(0.5, 2)
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml

__all__ = [
    "CalibrationError",
    "LogShape",
    "TicketTrace",
    "derive",
    "lognormal_fit",
    "to_yaml",
    "traces",
]

#: Categories kept by name; the rest become ``other``.
TOP_CATEGORIES = 10
#: Agents when ``--agents`` is not given (at most one per actor of the log).
DEFAULT_AGENTS = 60
#: The share of the desk's slots Little's law should keep busy.
TARGET_UTILISATION = 0.7
#: Shortest stint counted for a fit (the log's clock has seconds; zero has no logarithm).
MIN_HOURS = 1.0 / 60.0
PRIORITY_NAMES = ("P1", "P2", "P3", "P4")
#: The longest tier limit the product accepts (30 days).
MAX_LIMIT_SECONDS = 30 * 86400


class CalibrationError(ValueError):
    """A dataset that cannot be calibrated (no tickets, no owners); the message says why."""


@dataclass
class TicketTrace:
    """One ticket as calibration reads it: created (epoch seconds), priority, category, its
    owners in order as ``(actor, tier, since)``, and its final resolution (or ``None``)."""

    created: float
    priority: str | None
    category: str
    owners: list[tuple[int, int, float]]
    resolved: float | None


def lognormal_fit(hours: Sequence[float]) -> tuple[float, float]:
    """``(mean, sigma)`` of the lognormal fitted to ``hours`` by the moments of their logs
    (hours under a minute count as a minute; sigma capped at 5, the scenario's limit).

    >>> lognormal_fit([1.0, math.e ** 2])
    (4.481689, 1.0)
    >>> lognormal_fit([])
    (1.0, 1.0)
    """
    if not hours:
        return 1.0, 1.0
    logs = [math.log(max(h, MIN_HOURS)) for h in hours]
    mu = sum(logs) / len(logs)
    var = sum((x - mu) ** 2 for x in logs) / len(logs)
    sigma = min(math.sqrt(var), 5.0)
    return round(math.exp(mu + sigma * sigma / 2.0), 6), round(sigma, 6)


def _quantile(xs: Sequence[float], q: float) -> float:
    s = sorted(xs)
    if not s:
        return math.nan
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


@dataclass
class LogShape:
    """Everything calibration needs, accumulated ticket by ticket (no ticket is kept)."""

    tickets: int = 0
    created: list[float] = field(default_factory=list)
    hours: Counter[int] = field(default_factory=Counter)
    weekdays: Counter[int] = field(default_factory=Counter)
    priorities: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    handoff_counts: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    resolved_hours: dict[int, list[float]] = field(default_factory=dict)
    #: Per tier: stints resolved there, handed up, to the same tier, down.
    outcomes: dict[int, Counter[str]] = field(default_factory=dict)
    handed_hours: dict[int, list[float]] = field(default_factory=dict)
    stint_hours: dict[int, list[float]] = field(default_factory=dict)
    final_hours: dict[str, list[float]] = field(default_factory=dict)
    final_tier_hours: dict[int, list[float]] = field(default_factory=dict)
    #: Per actor: stints, tier, categories resolved.
    actor_stints: Counter[int] = field(default_factory=Counter)
    actor_tier: dict[int, Counter[int]] = field(default_factory=dict)
    actor_resolved: dict[int, Counter[str]] = field(default_factory=dict)
    held_hours: float = 0.0
    unowned: int = 0
    #: Owned tickets by handoffs 0, 1, 2, 3+, and the handoffs of the 3+ ones.
    owned_counts: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    many_handoffs: int = 0
    #: (handoffs, log of the resolving stint's hours) per resolved owned ticket.
    pairs: list[tuple[int, float]] = field(default_factory=list)

    def add_ticket(self, t: TicketTrace) -> None:
        """Fold one ticket in."""
        self.tickets += 1
        self.created.append(t.created)
        moment = datetime.fromtimestamp(t.created, UTC)
        self.hours[moment.hour] += 1
        self.weekdays[moment.weekday()] += 1
        self.priorities[t.priority if t.priority in PRIORITY_NAMES else "P3"] += 1
        self.categories[t.category] += 1
        owners = t.owners
        handoffs = sum(1 for a, b in itertools.pairwise(owners) if a[0] != b[0])
        bucket = min(handoffs, 3)
        self.handoff_counts[bucket] += 1
        if t.resolved is not None:
            self.resolved_hours.setdefault(bucket, []).append(
                max(0.0, t.resolved - t.created) / 3600.0
            )
        if not owners:
            self.unowned += 1
            return
        self.owned_counts[bucket] += 1
        if bucket == 3:
            self.many_handoffs += handoffs
        if t.resolved is not None:
            last = max(0.0, t.resolved - owners[-1][2]) / 3600.0
            self.pairs.append((handoffs, math.log(max(last, MIN_HOURS))))
        for i, (actor, tier, since) in enumerate(owners):
            self.actor_stints[actor] += 1
            self.actor_tier.setdefault(actor, Counter())[tier] += 1
            if i + 1 < len(owners):
                nxt = owners[i + 1]
                hours = max(0.0, nxt[2] - since) / 3600.0
                if nxt[0] == actor:
                    continue  # the same owner again: not a handoff
                way = "up" if nxt[1] > tier else "down" if nxt[1] < tier else "same"
                self.outcomes.setdefault(tier, Counter())[way] += 1
                self.handed_hours.setdefault(tier, []).append(hours)
            elif t.resolved is not None:
                hours = max(0.0, t.resolved - since) / 3600.0
                self.outcomes.setdefault(tier, Counter())["resolved"] += 1
                self.final_hours.setdefault(t.category, []).append(hours)
                self.final_tier_hours.setdefault(tier, []).append(hours)
                self.actor_resolved.setdefault(actor, Counter())[t.category] += 1
            else:
                continue  # still open: censored, not counted
            self.stint_hours.setdefault(tier, []).append(hours)
            self.held_hours += hours


def traces(rows: Iterable[Sequence[Any]], levels: Mapping[int, int]) -> Iterator[TicketTrace]:
    """Tickets from event rows ``(ticket, type, at_seconds, agent, tier, priority, category)``
    ordered by ticket and event id. An owner's tier is the assignment's, else the actor's
    level, else 1; the resolution is the last ``resolved`` not followed by a ``reopened``.

    >>> rows = [(1, "created", 0.0, None, None, "P2", "vpn"),
    ...         (1, "assigned", 0.0, 5, 1, None, None),
    ...         (1, "assigned", 60.0, 6, None, None, None),
    ...         (1, "resolved", 120.0, None, None, None, None)]
    >>> [(t.owners, t.resolved) for t in traces(rows, {6: 2})]
    [([(5, 1, 0.0), (6, 2, 60.0)], 120.0)]
    """
    current: TicketTrace | None = None
    ticket: object = None
    for tid, kind, at, agent, tier, priority, category in rows:
        if tid != ticket:
            if current is not None:
                yield current
            ticket, current = tid, None
        if kind == "created":
            if current is None:
                current = TicketTrace(float(at), priority, category or "", [], None)
            continue
        if current is None:
            continue  # events before the ticket's creation: not a ticket of the selection
        if kind == "assigned" and agent is not None:
            level = int(tier) if tier is not None else levels.get(int(agent), 1) or 1
            current.owners.append((int(agent), min(max(level, 1), 3), float(at)))
        elif kind == "resolved":
            current.resolved = float(at)
        elif kind == "reopened":
            current.resolved = None
    if current is not None:
        yield current


def _profile(counts: Counter[int], n: int) -> list[float]:
    total = sum(counts[i] for i in range(n))
    if total == 0:
        return [1.0] * n
    return [round(counts[i] * n / total, 3) for i in range(n)]


def _share(c: Counter[str], keys: Sequence[str]) -> dict[str, float]:
    total = sum(c[k] for k in keys) or 1
    return {k: round(c[k] / total, 4) for k in keys}


def derive(
    shape: LogShape,
    dataset: str,
    actors: Mapping[int, tuple[str, int | None]],
    *,
    agents: int | None = None,
    seed: int = 1,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The scenario document for ``shape`` (plain data, ``parse_scenario`` reads its YAML) and
    a comment per top-level field saying where its figures come from.

    Raises
    ------
    CalibrationError
        No tickets, or no ticket with an owner.
    """
    if shape.tickets == 0:
        raise CalibrationError(f"Dataset {dataset!r} has no tickets to calibrate on.")
    owned = shape.tickets - shape.unowned
    if owned == 0 or not shape.actor_stints:
        raise CalibrationError(
            f"Dataset {dataset!r} has no ticket with an owner: nothing tells how work moves."
        )
    notes: dict[str, str] = {}
    n = shape.tickets
    # ---- arrivals
    lo, hi = _quantile(shape.created, 0.01), _quantile(shape.created, 0.99)
    span_hours = max((hi - lo) / 3600.0, 1.0)
    per_hour = round(0.98 * n / span_hours, 6)
    notes["arrivals"] = (
        f"{n} tickets of {dataset}; rate over the central 98 % of creation times "
        f"({span_hours / 24:.0f} days); profiles from creation hours and weekdays (UTC)"
    )
    # ---- priorities and categories
    priorities = _share(shape.priorities, PRIORITY_NAMES)
    notes["priorities"] = "created.priority counts: " + ", ".join(
        f"{p} {shape.priorities[p]}" for p in PRIORITY_NAMES
    )
    top = [c for c, _ in shape.categories.most_common(TOP_CATEGORIES)]
    rest = [c for c in shape.categories if c not in top]
    # ---- stints per tier
    tiers_seen = sorted(set(shape.outcomes) | set(shape.stint_hours)) or [1]
    rules: dict[int, dict[str, float]] = {}
    limit_hours: dict[int, float] = {}
    tier_notes = []
    for tier in tiers_seen:
        o = shape.outcomes.get(tier, Counter())
        handed = o["up"] + o["same"] + o["down"]
        total = handed + o["resolved"]
        if total == 0:
            continue
        mean, sigma = lognormal_fit(shape.handed_hours.get(tier, []))
        rules[tier] = {
            "probability": round(handed / total, 4),
            "hours": mean,
            "spread": sigma,
            "up": round(o["up"] / handed, 4) if handed else 0.0,
            "down": round(o["down"] / handed, 4) if handed else 0.0,
        }
        limit_hours[tier] = _quantile(shape.stint_hours.get(tier, []), 0.99)
        tier_notes.append(
            f"tier {tier}: {total} stints, {o['resolved']} resolved, {o['up']} up, "
            f"{o['same']} same tier, {o['down']} down"
        )
    by_handoffs = _continuation(shape.owned_counts, shape.many_handoffs)
    rho = _correlation(shape.pairs)
    notes["model"] = (
        "handoff rules from the owner stints of "
        + dataset
        + " ("
        + "; ".join(tier_notes)
        + "); handed-on hours: lognormal fit per tier; by_handoffs: P(one more handoff | k so "
        + "far) from the owned tickets' counts "
        + "/".join(str(k) for k in shape.owned_counts)
        + f" (3+: {shape.many_handoffs} handoffs); "
        + "correlation: of the handoff count with the log of the resolving stint's hours "
        + f"({len(shape.pairs)} resolved tickets)"
    )
    # ---- categories: skills and work (the resolving stint's hours)
    cat_names = top + (["other"] if rest else [])
    categories = []
    for name in cat_names:
        members = [name] if name != "other" else rest
        hours = [h for m in members for h in shape.final_hours.get(m, [])]
        if not hours:
            hours = [h for xs in shape.final_hours.values() for h in xs]
        mean, sigma = lognormal_fit(hours)
        categories.append(
            {
                "name": name or "(none)",
                "weight": sum(shape.categories[m] for m in members),
                "skills": {_skill(name): 1},
                "work_hours": {_skill(name): mean},
                "distribution": "lognormal",
                "spread": max(sigma, 0.01),  # the format needs a positive spread
            }
        )
    notes["categories"] = (
        f"top {len(top)} of {len(shape.categories)} categories by tickets"
        + (f", {len(rest)} more as 'other'" if rest else "")
        + "; work = lognormal fit of the resolving owner's stint hours"
    )
    # ---- agents
    # Tiers by the hours they held tickets (Little's law per tier: slots busy ∝ hours held).
    stint_tiers = {t: sum(xs) for t, xs in shape.stint_hours.items() if xs and sum(xs) > 0}
    count = agents if agents is not None else min(DEFAULT_AGENTS, len(shape.actor_stints))
    count = max(count, len(stint_tiers) or 1)
    per_tier = _apportion(count, stint_tiers or {1: 1.0})
    arrivals_per_hour = owned / span_hours
    mean_held = shape.held_hours / max(owned, 1)
    capacity = max(1, math.ceil(arrivals_per_hour * mean_held / (TARGET_UTILISATION * count)))
    agent_list = []
    for tier in sorted(per_tier):
        pool = sorted(
            (a for a, c in shape.actor_tier.items() if c.most_common(1)[0][0] == tier),
            key=lambda a: (-shape.actor_stints[a], a),
        ) or sorted(shape.actor_stints, key=lambda a: (-shape.actor_stints[a], a))
        for j in range(per_tier[tier]):
            actor = pool[j % len(pool)]
            name = actors.get(actor, (f"actor {actor}", None))[0]
            resolved = shape.actor_resolved.get(actor, Counter())
            mine: Counter[str] = Counter()
            for cat, k in resolved.items():
                mine[cat if cat in top else "other"] += k
            total = sum(mine.values())
            levels = {}
            for cat in cat_names:
                k = mine.get(cat, 0)
                levels[_skill(cat)] = 4 if total and k >= 0.2 * total else 3 if k else 2
            suffix = f" #{j // len(pool) + 1}" if j >= len(pool) else ""
            agent_list.append(
                {
                    "name": f"{name}{suffix}",
                    "tiers": [tier],
                    "skills": levels,
                    "capacity": capacity,
                    "shift": {"start_hour": 0, "hours": 24, "days": [0, 1, 2, 3, 4, 5, 6]},
                }
            )
    split = ", ".join(f"T{t} {per_tier[t]}" for t in sorted(per_tier))
    notes["agents"] = (
        f"{count} agents from the busiest of {len(shape.actor_stints)} actors of {dataset}, "
        f"tiers by their share of the hours tickets were held ({split}); "
        f"skill level 4 on categories that are ≥ 20 % of the actor's resolutions, 3 on others "
        f"it resolved, 2 elsewhere; capacity {capacity} = ⌈λ·W / (0.7·N)⌉ with λ "
        f"{arrivals_per_hour:.3f}/h and W {mean_held:.1f} h held per ticket (Little's law); "
        "present 24/7 because the log's hours are wall-clock hours"
    )
    # ---- tiers
    tier_docs = []
    # Only the tiers the desk has: a tier without agents would hold what a limit sent there.
    for tier in sorted(per_tier):
        limit = limit_hours.get(tier)
        # The product refuses limits over 30 days: a longer stint is not a limit anyone sets.
        seconds = (
            None
            if limit is None or math.isnan(limit)
            else min(MAX_LIMIT_SECONDS, max(60, int(limit * 3600)))
        )
        tier_docs.append(
            {
                "tier": tier,
                "name": f"Tier {tier}",
                "limits": {p: seconds for p in PRIORITY_NAMES},
                "intake": "pull",
            }
        )
    notes["tiered"] = (
        "tier limits: the 99th percentile of the log's stints in the tier, at most 30 days ("
        + ", ".join(
            f"T{t} {limit_hours[t]:.0f} h"
            for t in sorted(limit_hours)
            if limit_hours[t] == limit_hours[t]
        )
        + f"); tiers {', '.join(str(t) for t in sorted(per_tier))}, all pulling; no vendor tier"
    )
    resolved_all = [h for xs in shape.resolved_hours.values() for h in xs]
    drain = min(365.0, max(14.0, math.ceil(_quantile(resolved_all, 0.95) / 24.0)))
    shares = [k / n for k in shape.handoff_counts]
    medians = [_quantile(shape.resolved_hours.get(b, []), 0.5) for b in range(4)]
    notes["log"] = (
        "the log's handoffs 0/1/2/3+: "
        + " / ".join(f"{s:.1%}" for s in shares)
        + "; median hours to resolution: "
        + " / ".join("—" if math.isnan(m) else f"{m:.1f}" for m in medians)
    )
    doc: dict[str, Any] = {
        "name": f"calibrated-{dataset}",
        "seed": seed,
        "tickets": n,
        "arrivals": {
            "per_hour": per_hour,
            "daily": _profile(shape.hours, 24),
            "weekly": _profile(shape.weekdays, 7),
        },
        "priorities": priorities,
        "skills": [_skill(c) for c in cat_names],
        "categories": categories,
        "agents": {"list": agent_list},
        "model": {
            "rediagnosis_hours": 0.0,
            "vendor_share": 0.0,
            "growth_per_help": 0.0,
            "stuck_release_hours": 24.0,
            "drain_days": drain,
            "handoff": {
                "arms": "tiered",
                "by_handoffs": by_handoffs,
                "correlation": rho,
                "tiers": rules,
            },
        },
        "arms": "both",
        "tiered": {"tiers": tier_docs, "last_automatic_tier": max(per_tier)},
    }
    return doc, notes


def _continuation(counts: Sequence[int], many: int) -> list[float]:
    """P(another handoff | k so far) for k = 0, 1, 2 from the tickets with 0, 1, 2, 3+
    handoffs, and for 3 and more the geometric rate whose mean gives the 3+ tickets' ``many``
    handoffs.

    >>> _continuation([50, 25, 12, 13], 52)
    [0.5, 0.5, 0.52, 0.5]
    """
    out = []
    for k in range(3):
        at_least = sum(counts[k:])
        out.append(round(sum(counts[k + 1 :]) / at_least, 4) if at_least else 0.0)
    extra = many / counts[3] - 3.0 if counts[3] else 0.0
    out.append(round(extra / (extra + 1.0), 4) if extra > 0 else 0.0)
    return out


def _correlation(pairs: Sequence[tuple[int, float]]) -> float:
    """Pearson's r of ``(handoffs capped at 3, log hours)``, clipped to [0, 0.95].

    >>> _correlation([(0, 0.0), (1, 1.0), (2, 2.0)])
    0.95
    """
    if len(pairs) < 3:
        return 0.0
    xs = [float(min(h, 3)) for h, _ in pairs]
    ys = [y for _, y in pairs]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 0 or syy <= 0:
        return 0.0
    return round(min(0.95, max(0.0, sxy / math.sqrt(sxx * syy))), 4)


def _skill(category: str) -> str:
    return f"cat:{category}" if category else "cat:(none)"


def _apportion(count: int, shares: Mapping[int, float]) -> dict[int, int]:
    total = sum(shares.values())
    raw = {k: count * v / total for k, v in shares.items()}
    out = {k: max(1, math.floor(x)) for k, x in raw.items()}
    left = count - sum(out.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - math.floor(raw[k])), k)):
        if left <= 0:
            break
        out[k] += 1
        left -= 1
    return out


def to_yaml(doc: Mapping[str, Any], notes: Mapping[str, str]) -> str:
    """The scenario as YAML, each top-level field preceded by its ``notes`` comment.

    >>> print(to_yaml({"seed": 1, "arms": "both"}, {"arms": "both policies"}), end="")
    seed: 1
    # both policies
    arms: both
    """
    out = []
    if "log" in notes:
        out.append(f"# {notes['log']}")
    for key, value in doc.items():
        if key in notes:
            out.extend(f"# {line}" for line in _wrap(notes[key]))
        out.append(
            yaml.safe_dump(
                {key: value},
                sort_keys=False,
                allow_unicode=True,
                width=100,
                default_flow_style=None if isinstance(value, dict | list) else False,
            ).rstrip()
        )
    return "\n".join(out) + "\n"


def _wrap(text: str, width: int = 98) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines


def shares_of(handoffs: Sequence[int] | Any) -> list[float]:
    """Shares of 0, 1, 2 and 3+ handoffs.

    >>> shares_of([0, 0, 1, 5])
    [0.5, 0.25, 0.0, 0.25]
    """
    n = len(handoffs)
    if n == 0:
        return [0.0, 0.0, 0.0, 0.0]
    counts = [0, 0, 0, 0]
    for h in handoffs:
        counts[min(int(h), 3)] += 1
    return [c / n for c in counts]


def corrected(
    by_handoffs: Sequence[float], target: Sequence[float], got: Sequence[float]
) -> list[float]:
    """One step of the pilot correction: each ``P(another | k so far)`` scaled by the log's
    continuation over the simulation's (time-limit escalations add handoffs the log's counts
    already hold, so the rules alone overshoot), clipped to [0, 0.99].

    >>> corrected([0.5, 0.5, 0.5, 0.5], [0.5, 0.25, 0.125, 0.125], [0.4, 0.3, 0.15, 0.15])
    [0.4167, 0.5, 0.5, 0.5]
    """

    def continuation(shares: Sequence[float], k: int) -> float:
        at_least = sum(shares[k:])
        return sum(shares[k + 1 :]) / at_least if at_least > 0 else 0.0

    out = []
    for k, q in enumerate(by_handoffs):
        if k >= 3:
            out.append(round(q, 4))  # the tail's rate: 3+ is one bucket, nothing to match
            continue
        want, have = continuation(target, k), continuation(got, k)
        out.append(round(min(0.99, max(0.0, q * want / have)) if have > 0 else q, 4))
    return out


def refine(
    doc: dict[str, Any], target: Sequence[float], rounds: int, pilot_tickets: int = 6000
) -> list[dict[str, Any]]:
    """Pilot runs of the tiered arm (replication 0, at most ``pilot_tickets`` tickets) that
    correct ``doc``'s ``model.handoff.by_handoffs`` towards the log's shares ``target`` in
    place (:func:`corrected`); returns each round's shares and rules."""
    from swarm.metrics.facts import Selection, facts_from_log
    from swarm.metrics.memory import EventRow, memory_log
    from swarm.simulation.runner import simulate_arms
    from swarm.simulation.scenario import parse_scenario

    history: list[dict[str, Any]] = []
    for _ in range(rounds):
        pilot = {**doc, "tickets": min(int(doc["tickets"]), pilot_tickets), "arms": "tiered"}
        scenario = parse_scenario(yaml.safe_dump(pilot, sort_keys=False), "pilot")
        rows: list[EventRow] = []
        summary = simulate_arms(scenario, rows.extend, arms=["tiered"])["tiered"]
        facts = facts_from_log(memory_log(rows), Selection("live", summary.end))
        got = shares_of(facts.handoffs)
        rules = doc["model"]["handoff"]
        history.append({"by_handoffs": list(rules["by_handoffs"]), "shares": got})
        rules["by_handoffs"] = corrected(rules["by_handoffs"], target, got)
    return history
