"""The tickets of a run, drawn once from the arrivals stream so that every arm sees the same ones.

Arrivals are a non-homogeneous Poisson process sampled by thinning (Lewis and Shedler): candidate
times at the peak rate, each kept with probability ``rate(t) / peak``. Each kept ticket then draws
its priority, category, work content per skill, whether it needs a vendor (and how long the vendor
takes) and its requester — all from the same seeded stream, in one vectorised pass, so that the
arms differ only by what the policies decide (common random numbers).

Examples
--------
>>> from swarm.simulation.scenario import parse_scenario
>>> s = parse_scenario('''
... seed: 1
... tickets: 5
... arrivals: {per_hour: 10}
... skills: [VPN]
... categories: [{name: vpn, skills: {VPN: 1}, work_hours: {VPN: 1.0}}]
... agents: {count: 2}
... ''')
>>> tickets = draw_tickets(s, replication=0)
>>> [t.number for t in tickets], tickets == draw_tickets(s, replication=0)
([1, 2, 3, 4, 5], True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from swarm.routing import Priority
from swarm.simulation.scenario import PRIORITIES, Scenario

__all__ = ["TicketSpec", "draw_tickets", "stream"]

#: Stream numbers of :func:`stream`: arrivals and work (shared by the arms), then one per arm.
ARRIVALS_STREAM = 0
ARM_STREAMS = {"swarm": 1, "tiered": 2}


def stream(seed: int, replication: int, which: int) -> np.random.Generator:
    """The seeded generator of one stream of one replication (independent streams of one
    ``SeedSequence``, so replications and arms never share draws)."""
    return np.random.default_rng(np.random.SeedSequence([seed, replication, which]))


@dataclass(frozen=True)
class TicketSpec:
    """One ticket as the workload draws it: ``at`` seconds after the scenario's start,
    ``work`` hours per skill at level-3 speed."""

    number: int
    at: float
    priority: Priority
    category: str
    skills: tuple[tuple[int, float], ...]
    work: tuple[tuple[int, float], ...]
    vendor: bool
    vendor_hours: float
    requester: int


def _arrival_times(s: Scenario, rng: np.random.Generator) -> np.ndarray:
    a = s.arrivals
    daily = np.array(a.daily)
    weekly = np.array(a.weekly)
    peak = a.per_hour * float(daily.max()) * float(weekly.max()) / 3600.0  # per second
    start = s.start.timestamp()
    horizon = math.inf if s.duration_days is None else s.duration_days * 86400.0
    wanted = s.tickets
    kept: list[np.ndarray] = []
    total = 0
    t = 0.0
    chunk = 4096
    while True:
        gaps = rng.exponential(1.0 / peak, chunk)
        times = t + np.cumsum(gaps)
        t = float(times[-1])
        epoch_hours = np.floor((start + times) / 3600.0).astype(np.int64)
        hour = epoch_hours % 24
        weekday = (epoch_hours // 24 + 3) % 7  # 1970-01-01 was a Thursday
        rate = a.per_hour * daily[hour] * weekly[weekday] / 3600.0
        keep = rng.random(chunk) * peak < rate
        sel = times[keep & (times < horizon)]
        kept.append(sel)
        total += len(sel)
        if (wanted is not None and total >= wanted) or t >= horizon:
            break
    out = np.concatenate(kept)
    return out[:wanted] if wanted is not None else out


def draw_tickets(s: Scenario, replication: int) -> list[TicketSpec]:
    """The tickets of replication ``replication`` of ``s``, in arrival order, numbered from 1."""
    rng = stream(s.seed, replication, ARRIVALS_STREAM)
    times = _arrival_times(s, rng)
    n = len(times)
    pw = np.array([s.priorities[p] for p in PRIORITIES])
    prio = rng.choice(len(PRIORITIES), size=n, p=pw / pw.sum())
    cw = np.array([c.weight for c in s.categories])
    cat = rng.choice(len(s.categories), size=n, p=cw / cw.sum())
    vendor = rng.random(n) < s.model.vendor_share
    # Vendor time: exponential around the scenario's mean (a vendor's queue is memoryless enough).
    vendor_hours = rng.exponential(s.model.vendor_delay_hours, n)
    requester = 1_000_001 + rng.integers(0, s.model.requesters, n)
    # Work content: one standard draw per ticket and skill slot, shaped per category below.
    slots = max(len(c.skills) for c in s.categories)
    normal = rng.standard_normal((n, slots))
    gamma_u = rng.random((n, slots))
    # Python lists rather than numpy scalars in the loop below: the same float64 values, without
    # a numpy scalar per read (a third of the time of a 100,000-ticket draw).
    times_l, prio_l, cat_l = times.tolist(), prio.tolist(), cat.tolist()
    vendor_l, vendor_hours_l, requester_l = (
        vendor.tolist(),
        vendor_hours.tolist(),
        requester.tolist(),
    )
    normal_l, gamma_l = normal.tolist(), gamma_u.tolist()
    skills_of = [tuple(c.skills.items()) for c in s.categories]
    out: list[TicketSpec] = []
    for i in range(n):
        k = cat_l[i]
        c = s.categories[k]
        z, u = normal_l[i], gamma_l[i]
        work = []
        for j, (skill, mean) in enumerate(c.work_hours.items()):
            work.append((skill, _work(c.distribution, c.spread, mean, z[j], u[j])))
        out.append(
            TicketSpec(
                i + 1,
                times_l[i],
                PRIORITIES[prio_l[i]],
                c.name,
                skills_of[k],
                tuple(work),
                vendor_l[i],
                vendor_hours_l[i],
                requester_l[i],
            )
        )
    return out


def _work(dist: str, spread: float, mean: float, z: float, u: float) -> float:
    if dist == "lognormal":
        # Mean kept at ``mean``: mu = ln(mean) - sigma²/2.
        return float(mean * math.exp(spread * z - spread * spread / 2.0))
    # Gamma with coefficient of variation ``spread``: shape 1/cv², scale mean·cv²; drawn by
    # inverting its CDF on the uniform so one uniform per slot keeps the streams aligned.
    from scipy.special import gammaincinv  # type: ignore[import-untyped]

    shape = 1.0 / (spread * spread)
    return float(gammaincinv(shape, min(max(u, 1e-12), 1 - 1e-12)) * mean / shape)
