"""Benchmark the simulator; print one JSON object.

    python bench/simulator.py --json
    python bench/simulator.py --json --repeats 7 --tickets 200000
    python bench/simulator.py --json --skip-full       # only the M/M/c comparison
    python bench/simulator.py --json --skip-mmc        # only the full two-arm scenario

Two parts, each a function of its own:

1. ``mmc`` — the degenerate M/M/c model (default M/M/10, λ = 8, μ = 1, 100,000 tickets) on
   Swarm's engine (``swarm.simulation.mmc.run_mmc``) and on SimPy, written as SimPy's users
   write it: a ``Resource`` of ``c`` agents, one process per ticket that requests an agent,
   holds it for its service time and releases it, and a source process that starts them. Both
   arms draw the same numbers the same way (numpy blocks from the same spawned generators,
   service times in order of service start), so both must report the very same mean wait
   (``same_result``) — a cross-check of the model against SimPy's, not only a race. Each
   timing covers the whole run, drawing included. The arms alternate, ``--repeats`` times;
   the figures are medians (``*_all`` has every run). Target (issue 13): ``ratio`` ≥ 2.
2. ``full`` — the two-arm scenario with both production policies (``SwarmPolicy`` and
   ``TieredPolicy`` unchanged): ``examples/desk-200.yaml``, 200 agents, 100,000 tickets per arm.
   Each arm runs in its own process and the two run in parallel (issue 13, item 7);
   ``full_seconds`` is the wall time from starting the processes until both are done. What is
   timed is the simulation alone — parsing the scenario, drawing the arrivals, the engine, the
   policies and building every event row into a counting sink — not the metrics read
   afterwards. ``full`` adds per arm its wall and CPU seconds (CPU seconds are what the wall
   time would be on an idle core: compare those on a busy machine), tickets, events and tickets
   per second, and the load average before and after the run. Target (issue 13):
   ``full_seconds`` ≤ 30. ``--skip-full`` skips it; ``--skip-mmc`` runs only it;
   ``--scenario`` and ``--full-tickets`` change the scenario or its size.

Progress goes to stderr; ``--json`` prints only the final object on stdout. Figures are noisy on
a shared 2-core machine: compare them only within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

# Run as a script from a checkout: make the repository root importable without installing.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from swarm.simulation.mmc import BLOCK, run_mmc
from swarm.simulation.runner import simulate_arms
from swarm.simulation.scenario import parse_scenario

ROOT = Path(__file__).resolve().parents[1]


def _exponential(rng: np.random.Generator, mean: float, count: int) -> Iterator[float]:
    """The draws ``run_mmc`` makes: ``count`` exponentials, ``BLOCK`` at a time."""
    left = count
    while left > 0:
        size = min(BLOCK, left)
        yield from rng.exponential(mean, size).tolist()
        left -= size


def simpy_mmc(
    arrival_rate: float, service_rate: float, agents: int, tickets: int, rng: np.random.Generator
) -> dict[str, float]:
    """The M/M/c model in idiomatic SimPy; the same warm-up (a tenth) as ``run_mmc``."""
    import simpy

    started = time.perf_counter()
    arrivals_rng, service_rng = rng.spawn(2)
    gaps = _exponential(arrivals_rng, 1.0 / arrival_rate, tickets)
    services = _exponential(service_rng, 1.0 / service_rate, tickets)
    warmup = tickets // 10
    waits: list[float] = []

    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=agents)

    def ticket(env: simpy.Environment, index: int) -> Any:
        arrived = env.now
        with desk.request() as request:
            yield request
            if index >= warmup:
                waits.append(env.now - arrived)
            yield env.timeout(next(services))

    def source(env: simpy.Environment) -> Any:
        for index in range(tickets):
            yield env.timeout(next(gaps))
            env.process(ticket(env, index))

    env.process(source(env))
    env.run()
    wall = time.perf_counter() - started
    return {"tickets_per_s": tickets / wall, "mean_wait": sum(waits) / len(waits)}


def bench_mmc(args: argparse.Namespace) -> dict[str, Any]:
    """Swarm's engine against SimPy on the same M/M/c model, alternating, ``args.repeats``
    times."""
    swarm_runs: list[float] = []
    simpy_runs: list[float] = []
    same = True
    waits: dict[str, float] = {}
    model = (args.arrival_rate, args.service_rate, args.agents, args.tickets)
    for repeat in range(args.repeats):
        seed = args.seed + repeat
        ours = run_mmc(*model, np.random.default_rng(seed))
        theirs = simpy_mmc(*model, np.random.default_rng(seed))
        swarm_runs.append(ours.tickets_per_s)
        simpy_runs.append(theirs["tickets_per_s"])
        same = same and abs(ours.mean_wait - theirs["mean_wait"]) <= 1e-9 * max(1.0, ours.mean_wait)
        waits = {"swarm": ours.mean_wait, "simpy": theirs["mean_wait"]}
        print(
            f"mmc {repeat + 1}/{args.repeats}: swarm {ours.tickets_per_s:,.0f}/s, "
            f"simpy {theirs['tickets_per_s']:,.0f}/s",
            file=sys.stderr,
        )
    swarm, simpy_ = statistics.median(swarm_runs), statistics.median(simpy_runs)
    return {
        "model": {
            "arrival_rate": args.arrival_rate,
            "service_rate": args.service_rate,
            "agents": args.agents,
            "tickets": args.tickets,
        },
        "repeats": args.repeats,
        "swarm_tickets_per_s": swarm,
        "simpy_tickets_per_s": simpy_,
        "ratio": swarm / simpy_,
        "swarm_all": swarm_runs,
        "simpy_all": simpy_runs,
        "same_result": same,
        "last_mean_wait": waits,
    }


def full_arm(text: str, arm: str, tickets: int | None) -> dict[str, Any]:
    """One arm of the full scenario in this process: seconds, CPU seconds, tickets, events."""
    started = time.perf_counter()
    cpu = time.process_time()
    scenario = parse_scenario(text)
    if tickets is not None:
        scenario = replace(scenario, tickets=tickets, duration_days=None)
    count = [0]

    def sink(rows: list[Any]) -> None:
        count[0] += len(rows)

    summary = simulate_arms(scenario, sink, arms=[arm])[arm]
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        # CPU time of the process: what the wall time would be on an idle core (the machine
        # is shared, so the wall time of a busy moment says little).
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "tickets": summary.tickets,
        "resolved": summary.resolved,
        "events": count[0],
        "tickets_per_s": round(summary.tickets / seconds),
    }


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def bench_full(args: argparse.Namespace) -> dict[str, Any]:
    """The two-arm scenario with the production policies, one process per arm, in parallel."""
    path = Path(args.scenario)
    text = (path if path.is_absolute() or path.exists() else ROOT / path).read_text("utf-8")
    load_before = _load()
    print(f"full: {args.scenario}, both arms in parallel (load {load_before})", file=sys.stderr)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = {
            arm: pool.submit(full_arm, text, arm, args.full_tickets) for arm in ("swarm", "tiered")
        }
        arms = {arm: future.result() for arm, future in futures.items()}
    seconds = time.perf_counter() - started
    print(f"full: {seconds:.1f} s", file=sys.stderr)
    return {
        "full_seconds": round(seconds, 2),
        "full": {
            "scenario": args.scenario,
            "arms": arms,
            "load_average_before": load_before,
            "load_average_after": _load(),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--arrival-rate", type=float, default=8.0)
    parser.add_argument("--service-rate", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-full", action="store_true", help="skip the full scenario")
    parser.add_argument("--skip-mmc", action="store_true", help="skip the M/M/c comparison")
    parser.add_argument("--scenario", default="examples/desk-200.yaml", help="the full scenario")
    parser.add_argument(
        "--full-tickets", type=int, default=None, help="tickets per arm (default: the scenario's)"
    )
    args = parser.parse_args()
    import simpy

    figures: dict[str, Any] = {
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "simpy": simpy.__version__,
        }
    }
    if not args.skip_mmc:
        figures.update(bench_mmc(args))
    if args.skip_full:
        figures.update({"full_seconds": None, "full_note": "skipped (--skip-full)"})
    else:
        figures.update(bench_full(args))
    if args.json:
        print(json.dumps(figures))
        return
    for key, value in figures.items():
        print(f"{key:>22}: {value}")


if __name__ == "__main__":
    main()
