"""The degenerate models: M/M/c and a two-stage tandem, on the discrete-event engine.

They strip the workload model down to what queueing theory can solve — Poisson arrivals,
exponential service, FIFO, one shared pool of ``c`` interchangeable agents (and, for the tandem,
a second pool that a share ``p`` of tickets is escalated to) — so that the engine, the
bookkeeping of waits and the statistics can be checked against closed forms
(``swarm.simulation.queueing``; ``python -m swarm validate-sim``). Both run on
``swarm.simulation.engine.Simulation``, the engine the full model uses, not on a loop of their own.

Randomness comes from the numpy ``Generator`` passed in (never global state): the same generator
state gives the same figures. Interarrival and service times are drawn in numpy blocks of
:data:`BLOCK` and consumed one by one from a Python iterator, which costs far less than a
numpy call per draw and keeps memory constant whatever the number of tickets. Each stream
(interarrivals, stage-1 service, escalation coin, stage-2 service) has its own generator spawned
from the one given, so one stream's consumption never shifts another's.

Warm-up: a run starts empty and idle, so the first tickets wait less than in the steady state.
The first ``warmup`` tickets (by arrival; default :func:`default_warmup`, a tenth of the run)
are simulated but not measured. The start-up bias decays with the queue's relaxation time, about
``1/(μ(1−√ρ)²)`` for M/M/1 — 90 mean service times, i.e. about 70 arrivals, at ρ = 0.8 — so a
tenth of 100,000 tickets is more than a hundred relaxation times; at ρ ≥ 0.95 a tenth of a
short run may not be enough, which is why the warm-up can be given.

Little's law is checked with two independent measurements over the same window (from the
arrival of the first measured ticket to the arrival of the last one): ``number_in_system`` is
the time-average of the count of tickets present (integrated at every arrival and departure),
``arrival_rate`` the arrivals counted in the window over its length; ``number_in_system`` ≈
``arrival_rate × mean_time_in_system`` then tests the bookkeeping, not an identity.

Examples
--------
>>> import numpy as np
>>> r = run_mmc(0.5, 1.0, 1, 20_000, np.random.default_rng(7))
>>> r.warmup, r.measured
(2000, 18000)
>>> 1.7 < r.mean_time_in_system < 2.3   # M/M/1 at ρ = 0.5: W = 2
True
>>> r == run_mmc(0.5, 1.0, 1, 20_000, np.random.default_rng(7)).replace(wall_seconds=r.wall_seconds)
True
"""

from __future__ import annotations

import dataclasses
import math
import secrets
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from swarm.simulation.engine import Simulation

__all__ = [
    "BLOCK",
    "MMCResult",
    "TandemResult",
    "default_warmup",
    "run_mmc",
    "run_tandem",
]

#: Draws per numpy call: large enough that numpy's per-call cost vanishes, small enough (512 KB
#: per stream) to stay in cache.
BLOCK = 65_536


@dataclass(frozen=True, slots=True)
class MMCResult:
    """The figures of one M/M/c run (times in the unit of ``1/arrival_rate``).

    Attributes
    ----------
    tickets : int
        Tickets simulated, warm-up included.
    warmup, measured : int
        Tickets discarded at the start, and the rest (``tickets − warmup``), which the figures
        describe.
    mean_wait : float
        Mean time from arrival to the start of service.
    p_wait : float
        Share of measured tickets that found every agent busy.
    mean_time_in_system : float
        Mean time from arrival to the end of service.
    number_in_system : float
        Time-average count of tickets present (queued or served) over the measured window.
    arrival_rate : float
        Arrivals in the measured window over its length (the λ of Little's law).
    utilisation : float
        The offered ρ = λ/(cμ) of the parameters (not measured).
    wall_seconds : float
        Wall-clock time of the run; ``tickets_per_s`` is ``tickets / wall_seconds``.
    """

    tickets: int
    warmup: int
    measured: int
    mean_wait: float
    p_wait: float
    mean_time_in_system: float
    number_in_system: float
    arrival_rate: float
    utilisation: float
    wall_seconds: float

    @property
    def tickets_per_s(self) -> float:
        return self.tickets / self.wall_seconds if self.wall_seconds > 0 else float("inf")

    def replace(self, **changes: Any) -> MMCResult:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, float | int]:
        """The figures as JSON-ready values, ``tickets_per_s`` included."""
        return {**dataclasses.asdict(self), "tickets_per_s": self.tickets_per_s}


@dataclass(frozen=True, slots=True)
class TandemResult:
    """The figures of one tandem run; see :class:`MMCResult` for the shared ones.

    Attributes
    ----------
    first_wait, second_wait : float
        Mean wait at each stage (the second over escalated tickets only).
    first_p_wait, second_p_wait : float
        Share of tickets arriving at each stage that found every agent there busy.
    mean_time_in_system : float
        Mean sojourn from arrival to leaving the network (T).
    handoffs : float
        Mean escalations per measured ticket (expected: p).
    utilisation : tuple of float
        Offered ρ₁ and ρ₂.
    """

    tickets: int
    warmup: int
    measured: int
    first_wait: float
    first_p_wait: float
    second_wait: float
    second_p_wait: float
    mean_time_in_system: float
    handoffs: float
    number_in_system: float
    arrival_rate: float
    utilisation: tuple[float, float]
    wall_seconds: float

    @property
    def tickets_per_s(self) -> float:
        return self.tickets / self.wall_seconds if self.wall_seconds > 0 else float("inf")

    def as_dict(self) -> dict[str, Any]:
        return {
            **dataclasses.asdict(self),
            "utilisation": list(self.utilisation),
            "tickets_per_s": self.tickets_per_s,
        }


def default_warmup(tickets: int) -> int:
    """Tickets discarded at the start of a run of ``tickets``: a tenth (see the module's notes).

    >>> default_warmup(100_000), default_warmup(5)
    (10000, 0)
    """
    return tickets // 10


def _exponential(rng: np.random.Generator, mean: float, count: int) -> Iterator[float]:
    """``count`` exponential draws of the given mean, generated ``BLOCK`` at a time."""
    left = count
    while left > 0:
        size = min(BLOCK, left)
        yield from rng.exponential(mean, size).tolist()
        left -= size


def _uniform(rng: np.random.Generator) -> Iterator[float]:
    """Uniform [0, 1) draws without end, ``BLOCK`` at a time."""
    while True:
        yield from rng.random(BLOCK).tolist()


def _check(tickets: int, warmup: int | None, *rates: float) -> int:
    if any(not (r > 0 and math.isfinite(r)) for r in rates):
        raise ValueError(f"rates must be finite and positive: {rates}")
    if tickets < 1:
        raise ValueError(f"at least one ticket is needed, not {tickets}")
    warm = default_warmup(tickets) if warmup is None else warmup
    if not 0 <= warm < tickets:
        raise ValueError(f"the warm-up must be in [0, tickets), not {warm}")
    return warm


def run_mmc(
    arrival_rate: float,
    service_rate: float,
    agents: int,
    tickets: int,
    rng: np.random.Generator,
    warmup: int | None = None,
) -> MMCResult:
    """Simulate ``tickets`` tickets through an M/M/c queue on the engine.

    Parameters
    ----------
    arrival_rate, service_rate : float
        λ and μ (per agent), > 0. ρ ≥ 1 is allowed: the run is finite, its figures describe it.
    agents : int
        ``c`` ≥ 1.
    tickets : int
        Tickets simulated, warm-up included.
    rng : numpy.random.Generator
        The only source of randomness.
    warmup : int, optional
        Tickets discarded at the start (default: :func:`default_warmup`).
    """
    if agents < 1:
        raise ValueError(f"there must be at least one agent, not {agents}")
    warm = _check(tickets, warmup, arrival_rate, service_rate)
    arrivals_rng, service_rng = rng.spawn(2)
    started_wall = time.perf_counter()
    gaps = _exponential(arrivals_rng, 1.0 / arrival_rate, tickets)
    services = _exponential(service_rng, 1.0 / service_rate, tickets)
    next_gap = gaps.__next__
    next_service = services.__next__

    sim = Simulation()
    at = sim.at
    queue: deque[float] = deque()  # arrival times of waiting tickets, FIFO
    push, pop = queue.append, queue.popleft
    last_index = tickets - 1
    # The state the two actions share lives in one list, read and written by index (no
    # ``nonlocal`` bookkeeping). Services start in arrival order (FIFO, one stage), so the
    # ``started``-th service belongs to the ``started``-th ticket.
    # [busy agents, present, area (∫ present dt), last change, services started, waited,
    #  Σ wait, Σ service, area at the window's start, window start, window end, area at its end]
    state: list[float] = [0, 0, 0.0, 0.0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]

    def depart(_: object) -> None:
        now = sim.now
        present = state[1]
        state[2] += present * (now - state[3])
        state[3] = now
        state[1] = present - 1
        if queue:
            arrived = pop()
            started = state[4]
            state[4] = started + 1
            service = next_service()
            if started >= warm:
                state[5] += 1
                state[6] += now - arrived
                state[7] += service
            at(now + service, depart)
        else:
            state[0] -= 1

    def arrive(index: int) -> None:
        now = sim.now
        present = state[1]
        state[2] += present * (now - state[3])
        state[3] = now
        state[1] = present + 1
        if index == warm:
            state[8] = state[2]
            state[9] = now
        if index == last_index:
            state[10] = now
            state[11] = state[2]
        else:
            at(now + next_gap(), arrive, index + 1)
        if state[0] < agents:
            state[0] += 1
            state[4] += 1
            service = next_service()
            if index >= warm:
                state[7] += service
            at(now + service, depart)
        else:
            push(now)

    at(next_gap(), arrive, 0)
    sim.run()
    wall = time.perf_counter() - started_wall

    measured = tickets - warm
    mean_wait = state[6] / measured
    window = state[10] - state[9]
    # A single measured ticket makes a window of length 0: no rate to measure.
    rate = (measured - 1) / window if window > 0 else float("nan")
    present = (state[11] - state[8]) / window if window > 0 else float("nan")
    return MMCResult(
        tickets=tickets,
        warmup=warm,
        measured=measured,
        mean_wait=mean_wait,
        p_wait=state[5] / measured,
        mean_time_in_system=mean_wait + state[7] / measured,
        number_in_system=present,
        arrival_rate=rate,
        utilisation=arrival_rate / (agents * service_rate),
        wall_seconds=wall,
    )


def run_tandem(
    arrival_rate: float,
    first_rate: float,
    first_agents: int,
    second_rate: float,
    second_agents: int,
    escalation: float,
    tickets: int,
    rng: np.random.Generator,
    warmup: int | None = None,
) -> TandemResult:
    """Simulate ``tickets`` tickets through a two-stage tandem on the engine.

    Every ticket queues (FIFO) for one of ``first_agents`` agents serving at ``first_rate``;
    when that service ends, with probability ``escalation`` it is handed off to the second pool
    (``second_agents`` at ``second_rate``, FIFO), otherwise it leaves. Parameters and warm-up as
    in :func:`run_mmc`.

    Examples
    --------
    >>> r = run_tandem(2.4, 1.0, 3, 0.5, 2, 0.3, 5_000, np.random.default_rng(1))
    >>> r.measured, 0.25 < r.handoffs < 0.35
    (4500, True)
    """
    if first_agents < 1 or second_agents < 1:
        raise ValueError("each stage needs at least one agent")
    if not 0 <= escalation <= 1:
        raise ValueError(f"the escalation probability must be in [0, 1], not {escalation}")
    warm = _check(tickets, warmup, arrival_rate, first_rate, second_rate)
    arrivals_rng, first_rng, coin_rng, second_rng = rng.spawn(4)
    started_wall = time.perf_counter()
    next_gap = _exponential(arrivals_rng, 1.0 / arrival_rate, tickets).__next__
    # A stage-2 service is drawn only for escalated tickets, an unknown number: endless streams.
    first_mean, second_mean = 1.0 / first_rate, 1.0 / second_rate
    next_first = (first_mean * x for x in _exponential_unit(first_rng)).__next__
    next_second = (second_mean * x for x in _exponential_unit(second_rng)).__next__
    next_coin = _uniform(coin_rng).__next__

    sim = Simulation()
    at = sim.at
    # Waiting tickets as (arrival time at the network, arrival at this stage, measured?).
    first_queue: deque[tuple[float, float, bool]] = deque()
    second_queue: deque[tuple[float, float, bool]] = deque()
    last_index = tickets - 1
    # [busy 1, busy 2, present, area, last change, Σ wait 1, waited 1, Σ wait 2, waited 2,
    #  escalated, Σ sojourn, area at window start, window start, window end, area at its end]
    s: list[float] = [0, 0, 0, 0.0, 0.0, 0.0, 0, 0.0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0]

    def count(now: float, change: int) -> None:
        s[3] += s[2] * (now - s[4])
        s[4] = now
        s[2] += change

    def leave(ticket: tuple[float, float, bool]) -> None:
        count(sim.now, -1)
        if ticket[2]:
            s[10] += sim.now - ticket[0]

    def start_second(ticket: tuple[float, float, bool]) -> None:
        now = sim.now
        if ticket[2]:
            s[7] += now - ticket[1]
        at(now + next_second(), end_second, ticket)

    def end_second(ticket: tuple[float, float, bool]) -> None:
        leave(ticket)
        if second_queue:
            start_second(second_queue.popleft())
        else:
            s[1] -= 1

    def start_first(ticket: tuple[float, float, bool]) -> None:
        now = sim.now
        if ticket[2]:
            s[5] += now - ticket[1]
        at(now + next_first(), end_first, ticket)

    def end_first(ticket: tuple[float, float, bool]) -> None:
        now = sim.now
        if next_coin() < escalation:
            moved = (ticket[0], now, ticket[2])
            if ticket[2]:
                s[9] += 1
            if s[1] < second_agents:
                s[1] += 1
                start_second(moved)
            else:
                if ticket[2]:
                    s[8] += 1
                second_queue.append(moved)
        else:
            leave(ticket)
        if first_queue:
            start_first(first_queue.popleft())
        else:
            s[0] -= 1

    def arrive(index: int) -> None:
        now = sim.now
        count(now, +1)
        if index == warm:
            s[11] = s[3]
            s[12] = now
        if index == last_index:
            s[13] = now
            s[14] = s[3]
        else:
            at(now + next_gap(), arrive, index + 1)
        ticket = (now, now, index >= warm)
        if s[0] < first_agents:
            s[0] += 1
            start_first(ticket)
        else:
            if ticket[2]:
                s[6] += 1
            first_queue.append(ticket)

    at(next_gap(), arrive, 0)
    sim.run()
    wall = time.perf_counter() - started_wall

    measured = tickets - warm
    escalated = int(s[9])
    window = s[13] - s[12]
    return TandemResult(
        tickets=tickets,
        warmup=warm,
        measured=measured,
        first_wait=s[5] / measured,
        first_p_wait=s[6] / measured,
        second_wait=s[7] / escalated if escalated else float("nan"),
        second_p_wait=s[8] / escalated if escalated else float("nan"),
        mean_time_in_system=s[10] / measured,
        handoffs=escalated / measured,
        number_in_system=(s[14] - s[11]) / window if window > 0 else float("nan"),
        arrival_rate=(measured - 1) / window if window > 0 else float("nan"),
        utilisation=(
            arrival_rate / (first_agents * first_rate),
            escalation * arrival_rate / (second_agents * second_rate),
        ),
        wall_seconds=wall,
    )


def _exponential_unit(rng: np.random.Generator) -> Iterator[float]:
    """Exponential draws of mean 1 without end, ``BLOCK`` at a time."""
    while True:
        yield from rng.standard_exponential(BLOCK).tolist()


def simulate_mmc(
    arrival_rate: float,
    service_rate: float,
    agents: int,
    tickets: int,
    seed: int | None = None,
    warmup: int | None = None,
) -> dict[str, Any]:
    """One M/M/c run as ``simulate --mmc`` reports it: the figures, the seed (drawn from the
    system's entropy when not given, so that any run can be repeated) and, when the queue is
    stable, the closed form beside them. JSON-ready: an undefined figure is ``None``.

    Examples
    --------
    >>> out = simulate_mmc(9.0, 1.0, 10, 20_000, seed=3)
    >>> sorted(out["expected"]), round(out["expected"]["mean_wait"], 3)
    (['mean_time_in_system', 'mean_wait', 'p_wait'], 0.669)
    >>> out["seed"], out["warmup"], out["measured"]
    (3, 2000, 18000)
    """
    from swarm.simulation.queueing import mmc

    if seed is None:
        # 63 bits: the seed is shown as a JSON number, which some readers hold in a double or
        # a signed 64-bit integer.
        seed = secrets.randbits(63)
    result = run_mmc(
        arrival_rate, service_rate, agents, tickets, np.random.default_rng(seed), warmup
    )
    figures: dict[str, Any] = {
        k: (None if isinstance(v, float) and v != v else v) for k, v in result.as_dict().items()
    }
    figures["seed"] = seed
    figures["agents"] = agents
    if result.utilisation < 1:
        q = mmc(arrival_rate, service_rate, agents)
        figures["expected"] = {
            "mean_wait": q.wait,
            "p_wait": q.p_wait,
            "mean_time_in_system": q.time_in_system,
        }
    else:
        figures["expected"] = None
    return figures
