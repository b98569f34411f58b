"""The demo's history, run by the simulator: the demo organisation as a scenario.

The demo's tickets are not drawn by rules of their own: the simulator's ``World`` runs each arm
on a virtual clock — the swarm tickets through the production ``SwarmPolicy``, the tiered ones
through the production ``TieredPolicy`` with the desk's stored tier settings (``DEMO_TIERS``) —
with the demo's forty agents, their skill profiles, tiers and capacities, and each ticket's
required skills and hands-on work. What comes back is, per ticket, the rows the simulator writes
(``created``, ``queued``, ``assigned`` by policy or by pull, ``helper_invited``/``helper_joined``,
``escalated`` by a time limit or by hand, a wait on the requester, a vendor case, ``resolved``
…); ``generate.py`` turns them into live rows with content. So the demo, the what-if runs and the
live service route by one set of rules.

Everything here is pure: plain data in, rows out, no database.

Examples
--------
>>> from datetime import UTC, datetime
>>> start = datetime(2026, 1, 1, tzinfo=UTC)
>>> agents = [DemoAgent("a@x", "Ana", 3, 5, {"VPN": 4}), DemoAgent("b@x", "Ben", 1, 5, {"VPN": 2})]
>>> run = simulate(start, agents, [DemoArrival(60.0, "P3", (("VPN", 1.0),), 0.5)], seed=1)
>>> [row["type"] for row in run.rows[0]][:3]
['created', 'skills_set', 'assigned']
>>> run.agent_email[run.rows[0][2]["data"]["agent_id"]]
'a@x'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from swarm.demo.taxonomy import SKILLS
from swarm.matching.policy import SwarmSettings
from swarm.metrics.memory import EventRow
from swarm.routing import Priority
from swarm.simulation.model import World
from swarm.simulation.scenario import (
    DEFAULT_PRIORITIES,
    AgentSpec,
    Arrivals,
    Category,
    HandOff,
    HandOnRule,
    ModelParams,
    Scenario,
    Shift,
)
from swarm.simulation.workload import TicketSpec, stream
from swarm.tiers.config import LEGACY_PULL_ONLY, settings_from_dict

__all__ = [
    "DEMO_TIERS",
    "DemoAgent",
    "DemoArrival",
    "SimulatedRun",
    "demo_scenario",
    "simulate",
]

#: The demo desk is staffed around the clock (follow-the-sun): everyone is on shift.
ALWAYS = Shift(start_hour=0.0, hours=24.0, days=(0, 1, 2, 3, 4, 5, 6))
#: How the demo's swarm owners hand a ticket on: now and then an owner finds, after a while, that
#: a colleague is the better fit, lets go, and routing picks again without them.
SWARM_HAND_ON = HandOff(
    tiers={
        1: HandOnRule(probability=0.08, hours=0.5, spread=0.6),
        2: HandOnRule(probability=0.08, hours=0.5, spread=0.6),
        3: HandOnRule(probability=0.08, hours=0.6, spread=0.6),
    },
    arms=("swarm",),
)
#: The desk's tier settings (``seed.py`` stores them): the default tiers and time limits, every
#: tier pulling from its queue, and no time limit that sends a ticket to the vendors — only a
#: person does that (``last_automatic_tier``), in the history as live.
DEMO_TIERS = settings_from_dict({"strategy": LEGACY_PULL_ONLY, "last_automatic_tier": 3})
#: The simulator's model on the demo desk: anyone can work a skill they have no level in, slowly
#: (``speed[0]``), so no ticket sticks for want of a listed level; invitees answer within
#: minutes; vendor cases are the arrivals' own (``DemoArrival.vendor_hours``); a tiered owner
#: who cannot finish within their tier's time limit mostly escalates by hand before it
#: (``hand_escalation``); about one ticket in seven waits on its requester for a while
#: (``pending_share``); and growth is left to the live evidence rule the generator replays.
DEMO_MODEL = ModelParams(
    speed=(0.15, 0.45, 0.75, 1.0, 1.35, 1.7),
    min_level=0,
    helper_join_minutes=3.0,
    vendor_share=0.0,
    growth_per_help=0.0,
    drain_days=5.0,
    handoff=SWARM_HAND_ON,
    hand_escalation=0.7,
    pending_share=0.15,
    pending_hours=5.0,
)


@dataclass(frozen=True)
class DemoAgent:
    """One demo agent as the scenario sees them: skill levels by skill name."""

    email: str
    name: str
    tier: int
    capacity: int
    levels: Mapping[str, int]
    wants: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DemoArrival:
    """A ticket of the demo: ``at`` seconds after the run's start, its required skills (by name,
    with weights), its hands-on work in hours at level-3 speed, and the vendor's hours when it
    needs one (tiered only: the swarm arm has no vendors' tier to hand off from)."""

    at: float
    priority: Priority
    skills: tuple[tuple[str, float], ...]
    work_hours: float
    #: Hours a vendor works on it once its owner hands it off; 0: no vendor.
    vendor_hours: float = 0.0


@dataclass(frozen=True)
class SimulatedRun:
    """The simulator's rows per arrival (in the order given), and who its agent ids are."""

    rows: tuple[tuple[EventRow, ...], ...]
    agent_email: Mapping[int, str]
    skill_name: Mapping[int, str]


def _skill_ids() -> dict[str, int]:
    return {s.name: n for n, s in enumerate(SKILLS, start=1)}


def demo_scenario(start: datetime, agents: Sequence[DemoAgent], seed: int) -> Scenario:
    """The demo organisation as a simulator scenario: the taxonomy, the agents with their
    levels, tiers and capacities (all on shift), one category per skill (the arrivals are
    given, so categories only name them), and the demo's model parameters."""
    ids = _skill_ids()
    parents = {s.name: s.parent for s in SKILLS}
    skills = tuple(
        (ids[name], name, None if parents[name] is None else ids[str(parents[name])])
        for name in ids
    )
    return Scenario(
        name="demo",
        seed=seed,
        start=start,
        duration_days=None,
        tickets=None,
        arrivals=Arrivals(per_hour=1.0),
        priorities=DEFAULT_PRIORITIES,
        skills=skills,
        categories=(Category("demo", 1.0, {1: 1.0}, {1: 1.0}),),
        agents=tuple(
            AgentSpec(
                id=n,
                name=agent.name,
                tiers=frozenset({agent.tier}),
                levels={ids[s]: level for s, level in agent.levels.items() if level > 0},
                capacity=agent.capacity,
                shift=ALWAYS,
                wants=frozenset(ids[s] for s in agent.wants),
            )
            for n, agent in enumerate(agents, start=1)
        ),
        model=DEMO_MODEL,
        arms=("swarm", "tiered"),
        swarm=SwarmSettings(),
        tiered=DEMO_TIERS,
    )


def simulate(
    start: datetime,
    agents: Sequence[DemoAgent],
    arrivals: Sequence[DemoArrival],
    *,
    seed: int,
    arm: str = "swarm",
) -> SimulatedRun:
    """Run ``arrivals`` through one arm (``swarm`` or ``tiered``) of the demo scenario.

    The hands-on work of a ticket is spread over its skills by weight. Deterministic: the same
    inputs and ``seed`` give the same rows.
    """
    scenario = demo_scenario(start, agents, seed)
    ids = _skill_ids()
    order = sorted(range(len(arrivals)), key=lambda i: (arrivals[i].at, i))
    specs = []
    for number, i in enumerate(order, start=1):
        arrival = arrivals[i]
        total = sum(w for _, w in arrival.skills)
        skills = tuple((ids[s], w) for s, w in arrival.skills)
        specs.append(
            TicketSpec(
                number=number,
                at=arrival.at,
                priority=arrival.priority,
                category="demo",
                skills=skills,
                work=tuple((ids[s], arrival.work_hours * w / total) for s, w in arrival.skills),
                vendor=arrival.vendor_hours > 0.0,
                vendor_hours=arrival.vendor_hours,
                requester=1_000_001 + i,
            )
        )
    rows: list[EventRow] = []
    World(scenario, arm, specs, stream(seed, 0, 1), rows.extend).run()
    by_ticket: dict[int, list[EventRow]] = {}
    for row in rows:
        by_ticket.setdefault(int(row["ticket_id"]), []).append(row)
    per_arrival: list[tuple[EventRow, ...]] = [()] * len(arrivals)
    for number, i in enumerate(order, start=1):
        per_arrival[i] = tuple(by_ticket.get(number, ()))
    return SimulatedRun(
        rows=tuple(per_arrival),
        agent_email={n: agent.email for n, agent in enumerate(agents, start=1)},
        skill_name={n: name for name, n in ids.items()},
    )
