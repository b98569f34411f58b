"""Running a scenario: its arms on the same arrivals, replications in parallel processes.

Common random numbers: a replication draws its tickets once from its arrivals stream
(:func:`~swarm.simulation.workload.draw_tickets`), and each arm runs them with its own stream for
what depends on the policy (join delays, offer acceptance) — so the arms' difference is the
policies', not the dice's. Replication ``r`` seeds every stream from ``(scenario.seed, r)``.

Each (replication, arm) is one task for a ``ProcessPoolExecutor``: the worker re-reads the
scenario from its text (validated objects hold read-only mappings that do not pickle), runs the
arm, reads the per-ticket facts off its events with the metrics engine
(:func:`~swarm.metrics.facts.facts_from_log` on a :func:`~swarm.metrics.memory.memory_log`) and
returns only the headline figures. :func:`simulate_arms` is the in-process path that streams
every event row to a sink, for storing a run as dataset ``sim:<run>``.

Examples
--------
>>> from swarm.simulation.scenario import parse_scenario
>>> text = '''
... seed: 2
... tickets: 30
... arrivals: {per_hour: 3}
... skills: [VPN, DNS]
... categories: [{name: net, skills: {VPN: 1, DNS: 1}, work_hours: {VPN: 0.3, DNS: 0.3}}]
... agents: {count: 6, shifts: [{start_hour: 0, hours: 24, days: [0, 1, 2, 3, 4, 5, 6]}]}
... '''
>>> result = run_scenario(parse_scenario(text), replications=2, workers=1)
>>> sorted(result["arms"]), result["arms"]["swarm"]["tickets"]["values"]
(['swarm', 'tiered'], [30.0, 30.0])
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import numpy as np

from swarm.metrics import stats
from swarm.metrics.facts import Selection, TicketFacts, facts_from_log
from swarm.metrics.memory import EventRow, memory_log
from swarm.simulation.model import ArmSummary, RowSink, World
from swarm.simulation.scenario import Scenario, parse_scenario
from swarm.simulation.workload import ARM_STREAMS, draw_tickets, stream

__all__ = [
    "HEADLINE",
    "arm_figures",
    "run_arm",
    "run_scenario",
    "simulate_arms",
    "ticket_offset",
]

#: The figures reported per arm, each with its interval across replications.
HEADLINE = (
    "tickets",
    "resolved_share",
    "ttr_median_hours",
    "ttr_mean_hours",
    "ttr_p90_hours",
    "handoffs_mean",
    "handoffs_0",
    "handoffs_1",
    "handoffs_2",
    "handoffs_3plus",
    "escalation_rate",
    "helpers_mean",
    "first_owner_resolved",
    "ttr_median_hours_0_handoffs",
    "ttr_median_hours_1_handoff",
    "ttr_median_hours_2_handoffs",
    "ttr_median_hours_3plus_handoffs",
)


def ticket_offset(scenario: Scenario, arm: str, count: int) -> int:
    """Ticket ids of ``arm`` are its ticket numbers plus this, so both arms fit one dataset:
    swarm keeps 1..N, tiered starts at the next power of ten above N (ticket 17 of 5,000 is
    10017 in the tiered arm)."""
    if arm == "swarm":
        return 0
    return int(10 ** math.ceil(math.log10(count + 1))) if count else 0


def simulate_arms(
    scenario: Scenario,
    sink: RowSink,
    *,
    replication: int = 0,
    arms: Sequence[str] | None = None,
) -> dict[str, ArmSummary]:
    """Run the scenario's arms (or ``arms``) in this process on the same arrivals, streaming
    every event row to ``sink`` in batches. Returns each arm's summary (with its agents as
    ``(id, name, level)`` for naming). Storing a run is ``simulate_arms(s, writer.add)``."""
    tickets = draw_tickets(scenario, replication)
    out: dict[str, ArmSummary] = {}
    for arm in arms or scenario.arms:
        world = World(
            scenario,
            arm,
            tickets,
            stream(scenario.seed, replication, ARM_STREAMS[arm]),
            sink,
            ticket_offset=ticket_offset(scenario, arm, len(tickets)),
        )
        out[arm] = world.run()
    return out


def arm_figures(facts: TicketFacts) -> dict[str, float]:
    """The headline figures of one arm's facts (definitions of docs/metrics.md: time to
    resolution from ``created`` to the last ``resolved``, handoffs as the metrics count them)."""
    n = len(facts)
    hours = (facts.resolved_s - facts.created_s) / 3600.0
    done = facts.resolved
    h = facts.handoffs

    def median(mask: np.ndarray) -> float:
        x = hours[mask & done]
        return float(np.median(x)) if x.size else math.nan

    x = hours[done]
    return {
        "tickets": float(n),
        "resolved_share": float(np.mean(done)) if n else math.nan,
        "ttr_median_hours": float(np.median(x)) if x.size else math.nan,
        "ttr_mean_hours": float(np.mean(x)) if x.size else math.nan,
        "ttr_p90_hours": float(np.quantile(x, 0.9)) if x.size else math.nan,
        "handoffs_mean": float(np.mean(h)) if n else math.nan,
        "handoffs_0": float(np.mean(h == 0)) if n else math.nan,
        "handoffs_1": float(np.mean(h == 1)) if n else math.nan,
        "handoffs_2": float(np.mean(h == 2)) if n else math.nan,
        "handoffs_3plus": float(np.mean(h >= 3)) if n else math.nan,
        "escalation_rate": float(np.mean(facts.escalations > 0)) if n else math.nan,
        "helpers_mean": float(np.mean(facts.helpers)) if n else math.nan,
        "first_owner_resolved": (
            float(np.mean(facts.resolver[done] == facts.first_owner[done])) if x.size else math.nan
        ),
        "ttr_median_hours_0_handoffs": median(h == 0),
        "ttr_median_hours_1_handoff": median(h == 1),
        "ttr_median_hours_2_handoffs": median(h == 2),
        "ttr_median_hours_3plus_handoffs": median(h >= 3),
    }


def run_arm(text: str, source: str, replication: int, arm: str) -> dict[str, Any]:
    """One task: run ``arm`` of ``replication`` and return its figures and timings (this is
    what a worker process runs; the scenario travels as text)."""
    scenario = parse_scenario(text, source)
    rows: list[EventRow] = []
    started = time.perf_counter()
    summary = simulate_arms(scenario, rows.extend, replication=replication, arms=[arm])[arm]
    simulated = time.perf_counter() - started
    facts = facts_from_log(memory_log(rows), Selection("live", summary.end))
    return {
        "replication": replication,
        "arm": arm,
        "figures": arm_figures(facts),
        "events": summary.events,
        "seconds": simulated,
        "metrics_seconds": time.perf_counter() - started - simulated,
    }


def run_scenario(
    scenario: Scenario,
    replications: int = 1,
    workers: int | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> dict[str, Any]:
    """Run every arm of ``replications`` replications, in parallel processes (``workers``,
    default: the machine's cores; 1 runs in this process), and summarise each figure across
    replications: the values, their mean and a 95 % t-interval (``null`` with one replication).
    ``progress(done, total)`` hears each (replication, arm) task end. The result is plain
    JSON."""
    if replications < 1:
        raise ValueError("replications must be at least 1")
    text = scenario.text
    tasks = [(r, arm) for r in range(replications) for arm in scenario.arms]
    workers = workers or min(len(tasks), os.cpu_count() or 1)
    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    if workers == 1:
        for r, arm in tasks:
            results.append(run_arm(text, scenario.name, r, arm))
            if progress is not None:
                progress(len(results), len(tasks))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(run_arm, text, scenario.name, r, arm) for r, arm in tasks]
            for future in as_completed(futures):
                results.append(future.result())
                if progress is not None:
                    progress(len(results), len(tasks))
    wall = time.perf_counter() - started
    arms: dict[str, Any] = {}
    for arm in scenario.arms:
        mine = sorted((x for x in results if x["arm"] == arm), key=lambda x: x["replication"])
        arms[arm] = {name: _across([x["figures"][name] for x in mine]) for name in HEADLINE}
        arms[arm]["simulation_seconds"] = [round(x["seconds"], 3) for x in mine]
        arms[arm]["events"] = [x["events"] for x in mine]
    return {
        "scenario": scenario.name,
        "seed": scenario.seed,
        "replications": replications,
        "arms": arms,
        "warnings": list(scenario.warnings),
        "wall_seconds": round(wall, 3),
    }


def _across(values: Sequence[float]) -> Mapping[str, Any]:
    xs = np.array([v for v in values if not math.isnan(v)], dtype=np.float64)
    mean = float(np.mean(xs)) if xs.size else math.nan
    interval: list[float | None] | None = None
    if xs.size >= 2:
        lo, hi = stats.mean_ci(xs)
        interval = [_num(lo), _num(hi)]
    return {"values": [_num(v) for v in values], "mean": _num(mean), "ci95": interval}


def _num(x: float) -> float | None:
    return None if not math.isfinite(x) else round(float(x), 6)
