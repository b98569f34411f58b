"""Validation of the simulator against queueing theory: ``python -m swarm validate-sim``.

Each case is a degenerate model (``swarm.simulation.mmc``) whose steady state has a closed form
(``swarm.simulation.queueing``): M/M/1, M/M/c for several ``c`` and a two-stage tandem, all at
utilisations up to 0.8 (at 0.9 single runs of 100,000 tickets still vary by ±12 %: a test there
measures the dice, not the simulator). Each case runs ``replications`` independent replications
— every one from its own seed spawned from the run's seed, in parallel processes — and for each
figure the mean across replications is compared with the closed form:

* ``relative_error`` = |mean − expected| / expected, against ``tolerance`` (2 % by default);
* ``ci_half_width``: the 95 % Student-t half-width of that mean across replications, which says
  how much of the error is the dice (an error well inside it is noise, not bias);
* Little's law, L = λ·W, with L and λ measured independently of W (time-average of the count
  present, arrivals over the window), within ``little_tolerance`` (1 %).

A case passes when its gated figures (:data:`GATED`: the mean time in system — the sojourn T of
the tandem — and the tandem's handoffs per ticket) are within ``tolerance`` and Little's law
holds in every replication; the run passes when every case does. The waits and P(wait) are
reported with the same errors, intervals and ``standard_errors`` (the error in standard errors
of the mean, signed) but not gated at 2 %: they are small numbers with a large relative spread —
at M/M/50 ρ=0.8 the mean wait is 0.009 service times and ten replications of 200,000 tickets give
it a 95 % half-width near 10 % — so a 2 % gate on them would test the dice, not the simulator;
a biased wait would still show in W, of which it is a part, and in its ``standard_errors``.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from swarm.simulation.mmc import default_warmup, run_mmc, run_tandem
from swarm.simulation.queueing import mm1, mmc, tandem

__all__ = [
    "CASES",
    "GATED",
    "Case",
    "replicate",
    "summarise",
    "validate",
]


@dataclass(frozen=True, slots=True)
class Case:
    """One model with a closed form.

    ``agents`` and ``rates`` are one entry per stage: (c,) and (μ,) for M/M/c, (c₁, c₂) and
    (μ₁, μ₂) for the tandem, whose ``escalation`` is p.
    """

    name: str
    arrival_rate: float
    rates: tuple[float, ...]
    agents: tuple[int, ...]
    escalation: float = 0.0
    model: str = field(init=False)

    def __post_init__(self) -> None:
        if len(self.agents) == 1:
            model = "M/M/1" if self.agents[0] == 1 else f"M/M/{self.agents[0]}"
        else:
            model = "tandem"
        object.__setattr__(self, "model", model)

    @property
    def utilisation(self) -> float:
        """The highest offered utilisation of the case's stations."""
        loads = [self.arrival_rate, self.escalation * self.arrival_rate]
        return max(
            load / (c * mu) for load, c, mu in zip(loads, self.agents, self.rates, strict=False)
        )

    def expected(self) -> dict[str, float]:
        """The closed form of each figure the simulation reports."""
        if self.model == "tandem":
            t = tandem(
                self.arrival_rate,
                self.rates[0],
                self.agents[0],
                self.rates[1],
                self.agents[1],
                self.escalation,
            )
            return {
                "mean_time_in_system": t.time_in_system,
                "first_wait": t.first.wait,
                "second_wait": t.second.wait,
                "first_p_wait": t.first.p_wait,
                "second_p_wait": t.second.p_wait,
                "handoffs": t.handoffs,
            }
        q = (
            mm1(self.arrival_rate, self.rates[0])
            if self.agents[0] == 1
            else mmc(self.arrival_rate, self.rates[0], self.agents[0])
        )
        return {
            "mean_time_in_system": q.time_in_system,
            "mean_wait": q.wait,
            "p_wait": q.p_wait,
        }

    def parameters(self) -> dict[str, Any]:
        if self.model == "tandem":
            return {
                "arrival_rate": self.arrival_rate,
                "first": {"service_rate": self.rates[0], "agents": self.agents[0]},
                "second": {"service_rate": self.rates[1], "agents": self.agents[1]},
                "escalation": self.escalation,
            }
        return {
            "arrival_rate": self.arrival_rate,
            "service_rate": self.rates[0],
            "agents": self.agents[0],
        }


#: The cases of ``validate-sim``: utilisations 0.5 to 0.8, one to fifty agents, and two tandems
#: (a tiered desk: level 1, then a smaller, slower level 2 for the escalated share).
CASES: tuple[Case, ...] = (
    Case("M/M/1 ρ=0.5", 0.5, (1.0,), (1,)),
    Case("M/M/1 ρ=0.8", 0.8, (1.0,), (1,)),
    Case("M/M/2 ρ=0.8", 1.6, (1.0,), (2,)),
    Case("M/M/5 ρ=0.7", 3.5, (1.0,), (5,)),
    Case("M/M/10 ρ=0.8", 8.0, (1.0,), (10,)),
    Case("M/M/50 ρ=0.8", 40.0, (1.0,), (50,)),
    Case("tandem 3+2 p=0.3", 2.4, (1.0, 0.5), (3, 2), 0.3),
    Case("tandem 5+7 p=0.5", 4.0, (1.0, 0.4), (5, 7), 0.5),
)

#: The figures a case must reproduce within the tolerance, per model kind.
GATED: dict[str, tuple[str, ...]] = {
    "mmc": ("mean_time_in_system",),
    "tandem": ("mean_time_in_system", "handoffs"),
}


def replicate(case: Case, seed: np.random.SeedSequence, tickets: int) -> dict[str, float]:
    """One replication of ``case``: its figures, Little's law's two sides, and its speed.

    A top-level function so that worker processes can be handed it.
    """
    rng = np.random.default_rng(seed)
    figures: dict[str, float]
    if case.model == "tandem":
        t = run_tandem(
            case.arrival_rate,
            case.rates[0],
            case.agents[0],
            case.rates[1],
            case.agents[1],
            case.escalation,
            tickets,
            rng,
        )
        figures = {
            "mean_time_in_system": t.mean_time_in_system,
            "first_wait": t.first_wait,
            "second_wait": t.second_wait,
            "first_p_wait": t.first_p_wait,
            "second_p_wait": t.second_p_wait,
            "handoffs": t.handoffs,
        }
        result: Any = t
    else:
        r = run_mmc(case.arrival_rate, case.rates[0], case.agents[0], tickets, rng)
        figures = {
            "mean_time_in_system": r.mean_time_in_system,
            "mean_wait": r.mean_wait,
            "p_wait": r.p_wait,
        }
        result = r
    figures["number_in_system"] = result.number_in_system
    figures["arrival_rate_times_w"] = result.arrival_rate * result.mean_time_in_system
    figures["tickets_per_s"] = result.tickets_per_s
    return figures


def _mean_ci(values: Sequence[float]) -> tuple[float, float, float]:
    """The mean, its standard error and the 95 % Student-t half-width across replications
    (nan for one replication)."""
    array = np.asarray(values, dtype=float)
    mean = float(array.mean())
    if len(array) < 2:
        return mean, math.nan, math.nan
    # Imported here: worker processes import this module for ``replicate`` and need no scipy.
    import scipy.stats as st  # type: ignore[import-untyped]  # no stubs in the pinned venv

    se = float(array.std(ddof=1) / math.sqrt(len(array)))
    return mean, se, float(st.t.ppf(0.975, len(array) - 1) * se)


def summarise(
    case: Case,
    samples: Sequence[dict[str, float]],
    tolerance: float = 0.02,
    little_tolerance: float = 0.01,
) -> dict[str, Any]:
    """Compare the replications of one case with its closed form (see the module's notes)."""
    expected = case.expected()
    gated = GATED["tandem" if case.model == "tandem" else "mmc"]
    figures: dict[str, Any] = {}
    passed = True
    for name, value in expected.items():
        mean, se, half = _mean_ci([s[name] for s in samples])
        error = abs(mean - value) / value
        ok = error <= tolerance
        figures[name] = {
            "expected": value,
            "simulated": mean,
            "relative_error": error,
            "ci_half_width": None if math.isnan(half) else half,
            "standard_errors": None if not se > 0 else (mean - value) / se,
            "gated": name in gated,
            "passed": ok,
        }
        if name in gated:
            passed = passed and ok
    number = float(np.mean([s["number_in_system"] for s in samples]))
    product = float(np.mean([s["arrival_rate_times_w"] for s in samples]))
    # Per replication, so that one run's error cannot hide behind another's.
    gap = max(
        abs(s["number_in_system"] - s["arrival_rate_times_w"]) / s["arrival_rate_times_w"]
        for s in samples
    )
    little = {
        "number_in_system": number,
        "arrival_rate_times_w": product,
        "max_relative_gap": gap,
        "passed": gap <= little_tolerance,
    }
    return {
        "name": case.name,
        "model": case.model,
        "parameters": case.parameters(),
        "utilisation": case.utilisation,
        "figures": figures,
        "little": little,
        "tickets_per_s": float(np.median([s["tickets_per_s"] for s in samples])),
        "passed": passed and little["passed"],
    }


def validate(
    replications: int = 10,
    tickets: int = 200_000,
    seed: int = 0,
    cases: Sequence[Case] = CASES,
    tolerance: float = 0.02,
    little_tolerance: float = 0.01,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run every case ``replications`` times and compare with the closed forms.

    Parameters
    ----------
    replications, tickets : int
        Replications per case (≥ 2 for an interval) and tickets per replication (warm-up
        included: :func:`swarm.simulation.mmc.default_warmup`).
    seed : int
        The run's seed: replication ``k`` of case ``i`` gets the ``i·replications + k``-th child
        of ``SeedSequence(seed)``, so the figures do not depend on which process ran what.
    workers : int, optional
        Processes (default: the CPUs, at most one per replication); 1 runs in this process.
    progress : callable, optional
        Called with (replications done, replications in all) as they finish.

    Returns
    -------
    dict
        JSON-ready: the settings, one entry per case (``summarise``), ``passed``, ``seconds``.
    """
    if replications < 1 or tickets < 2:
        raise ValueError("at least one replication of at least two tickets is needed")
    started = time.perf_counter()
    seeds = np.random.SeedSequence(seed).spawn(len(cases) * replications)
    jobs = [
        (c, seeds[i * replications + k]) for i, c in enumerate(cases) for k in range(replications)
    ]
    total = len(jobs)
    results: list[dict[str, float] | None] = [None] * total
    count = min(workers or os.cpu_count() or 1, total)
    done = 0
    if count <= 1:
        for index, (case, child) in enumerate(jobs):
            results[index] = replicate(case, child, tickets)
            done += 1
            if progress:
                progress(done, total)
    else:
        # "spawn": a fresh interpreter per worker, never a fork of a process that may hold
        # threads (a progress bar's monitor, a database pool) or locks.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
            futures: dict[Future[dict[str, float]], int] = {
                pool.submit(replicate, case, child, tickets): index
                for index, (case, child) in enumerate(jobs)
            }
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                done += 1
                if progress:
                    progress(done, total)
    summaries = []
    for i, case in enumerate(cases):
        samples = [r for r in results[i * replications : (i + 1) * replications] if r is not None]
        summaries.append(summarise(case, samples, tolerance, little_tolerance))
    return {
        "replications": replications,
        "tickets": tickets,
        "warmup": default_warmup(tickets),
        "seed": seed,
        "tolerance": tolerance,
        "little_tolerance": little_tolerance,
        "workers": count,
        "cases": summaries,
        "passed": all(s["passed"] for s in summaries),
        "seconds": time.perf_counter() - started,
    }


def validation_table(report: dict[str, Any]) -> str:
    """The report of :func:`validate` as a table a terminal shows: per case, each figure's
    relative error and its 95 % half-width (both in % of the closed form)."""
    lines = [
        f"{report['replications']} replications × {report['tickets']} tickets "
        f"(warm-up {report['warmup']}), seed {report['seed']}, {report['seconds']:.1f} s",
        "",
        f"{'case':<20}{'ρ':>6}  {'figure':<21}{'expected':>10}{'simulated':>11}"
        f"{'error':>8}{'±95%':>8}",
    ]
    for case in report["cases"]:
        first = True
        for name, f in case["figures"].items():
            half = f["ci_half_width"]
            lines.append(
                f"{case['name'] if first else '':<20}"
                f"{format(case['utilisation'], '.2f') if first else '':>6}  "
                f"{name + ('' if f['gated'] else ' ·'):<21}{f['expected']:>10.4f}"
                f"{f['simulated']:>11.4f}{f['relative_error']:>8.2%}"
                f"{'' if half is None else format(half / f['expected'], '.2%'):>8}"
            )
            first = False
        little = case["little"]
        lines.append(
            f"{'':<28}Little: L {little['number_in_system']:.4f}, λW "
            f"{little['arrival_rate_times_w']:.4f}, worst gap {little['max_relative_gap']:.3%}"
            f" — {'passed' if case['passed'] else 'FAILED'}"
        )
    lines += [
        "",
        f"· reported, not gated. Tolerance {report['tolerance']:.0%} (Little "
        f"{report['little_tolerance']:.0%}): {'passed' if report['passed'] else 'FAILED'}",
    ]
    return "\n".join(lines)
