"""The demo's swarm history, run by the simulator: the demo organisation as a scenario.

The demo's swarm tickets are not drawn by rules of their own: the simulator's ``World`` runs
them through the production ``SwarmPolicy`` on a virtual clock, with the demo's forty agents,
their skill profiles and capacities, and each ticket's required skills and hands-on work. What
comes back is, per ticket, the rows the simulator writes (``created``, ``assigned`` by policy,
``helper_invited``/``helper_joined``, ``unassigned`` and the policy's re-routing when an owner
hands on, ``resolved`` …); ``generate.py`` turns them into live rows with content. So the demo,
the what-if runs and the live service route by one set of rules.

Everything here is pure: plain data in, rows out, no database.

Examples
--------
>>> from datetime import UTC, datetime
>>> start = datetime(2026, 1, 1, tzinfo=UTC)
>>> agents = [DemoAgent("a@x", "Ana", 3, 5, {"VPN": 4}), DemoAgent("b@x", "Ben", 1, 5, {"VPN": 2})]
>>> run = simulate_swarm(start, agents, [DemoArrival(60.0, "P3", (("VPN", 1.0),), 0.5)], seed=1)
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

__all__ = ["DemoAgent", "DemoArrival", "SimulatedRun", "demo_scenario", "simulate_swarm"]

#: The demo desk is staffed around the clock (follow-the-sun): everyone is on shift.
ALWAYS = Shift(start_hour=0.0, hours=24.0, days=(0, 1, 2, 3, 4, 5, 6))
#: How the demo's swarm owners hand a ticket on: now and then an owner finds, after a while, that
#: a colleague is the better fit, lets go, and routing picks again without them.
SWARM_HAND_ON = HandOff(
    tiers={
        1: HandOnRule(probability=0.05, hours=0.5, spread=0.6),
        2: HandOnRule(probability=0.08, hours=0.5, spread=0.6),
        3: HandOnRule(probability=0.08, hours=0.6, spread=0.6),
    },
    arms=("swarm",),
)
#: The simulator's model on the demo desk: anyone can work a skill they have no level in, slowly
#: (``speed[0]``), so no ticket sticks for want of a listed level; invitees answer within
#: minutes; nobody waits for a vendor in the swarm arm; and growth is left to the live evidence
#: rule the generator replays afterwards.
DEMO_MODEL = ModelParams(
    min_level=0,
    helper_join_minutes=3.0,
    vendor_share=0.0,
    growth_per_help=0.0,
    drain_days=5.0,
    handoff=SWARM_HAND_ON,
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
    """A swarm ticket of the demo: ``at`` seconds after the run's start, its required skills
    (by name, with weights) and its hands-on work in hours at level-3 speed."""

    at: float
    priority: Priority
    skills: tuple[tuple[str, float], ...]
    work_hours: float


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
        arms=("swarm",),
        swarm=SwarmSettings(),
        tiered=settings_from_dict({"strategy": LEGACY_PULL_ONLY}),
    )


def simulate_swarm(
    start: datetime,
    agents: Sequence[DemoAgent],
    arrivals: Sequence[DemoArrival],
    *,
    seed: int,
) -> SimulatedRun:
    """Run ``arrivals`` (sorted by ``at``) through the swarm arm of the demo scenario.

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
                vendor=False,
                vendor_hours=0.0,
                requester=1_000_001 + i,
            )
        )
    rows: list[EventRow] = []
    World(scenario, "swarm", specs, stream(seed, 0, 1), rows.extend).run()
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
