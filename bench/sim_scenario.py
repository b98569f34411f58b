"""The full two-arm scenario with both production policies: seconds per arm and in all.

    python bench/sim_scenario.py [--scenario examples/desk-200.yaml] [--tickets N] [--json]

Each arm runs in its own process (the arms may run in parallel: issue 13, item 7); the
figure is the simulation alone — drawing the arrivals, the engine, the policies and building
every event row into a counting sink — not the metrics read afterwards. Prints JSON:
``{"full_seconds", "arms": {arm: {"seconds", "cpu_seconds", "tickets", "events",
"tickets_per_s"}}}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from swarm.simulation.runner import simulate_arms
from swarm.simulation.scenario import parse_scenario


def one_arm(text: str, arm: str, tickets: int | None) -> dict[str, Any]:
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
        # is shared, so the wall time of a busy day says little).
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "tickets": summary.tickets,
        "resolved": summary.resolved,
        "events": count[0],
        "tickets_per_s": round(summary.tickets / seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default="examples/desk-200.yaml")
    parser.add_argument("--tickets", type=int, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    text = Path(args.scenario).read_text(encoding="utf-8")
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = {
            arm: pool.submit(one_arm, text, arm, args.tickets) for arm in ("swarm", "tiered")
        }
        arms = {arm: f.result() for arm, f in futures.items()}
    result = {"full_seconds": round(time.perf_counter() - started, 2), "arms": arms}
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
