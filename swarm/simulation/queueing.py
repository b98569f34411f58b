"""Closed forms of the queues the simulator must reproduce: M/M/1, M/M/c and a two-stage tandem.

These are the yardsticks of ``python -m swarm validate-sim`` (``swarm.simulation.validate``): a
simulator that cannot reproduce Erlang C on its degenerate model has no business predicting
what swarming would do to a real desk.

Notation: λ the arrival rate, μ the service rate of one agent, ``c`` the agents, offered load
``a = λ/μ`` (in Erlangs) and utilisation ``ρ = a/c``; all times in the unit of ``1/λ``. Every
function refuses a rate ≤ 0, fewer than one agent and an unstable queue (ρ ≥ 1: no steady state
exists, the queue grows without bound) with ``ValueError``.

Erlang C is computed from the Erlang B recursion ``B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1))``
and ``C = c·B / (c − a·(1 − B))``: every step stays within [0, 1], so there is no ``aᶜ/c!`` to
overflow — ``c = 1000`` costs a thousand multiplications and is exact to rounding.

Examples
--------
>>> q = mmc(9.0, 1.0, 10)   # REFERENCES.md: λ = 9, μ = 1, c = 10 → Wq = 0.669
>>> round(q.wait, 3), round(q.p_wait, 4), round(q.time_in_system, 3)
(0.669, 0.6687, 1.669)
>>> round(mm1(0.8, 1.0).time_in_system, 6)
5.0

References
----------
Kleinrock, L. (1975). *Queueing Systems, Volume 1: Theory*, §3.2 (M/M/1) and §3.5 (M/M/m).
Jackson, J. R. (1957). Networks of waiting lines. *Operations Research* 5(4), 518-521.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "QueueFigures",
    "TandemFigures",
    "erlang_b",
    "erlang_c",
    "mm1",
    "mmc",
    "mmc_wait_tail",
    "tandem",
]


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """The steady state of one M/M/c station.

    Attributes
    ----------
    arrival_rate, service_rate : float
        λ and μ (per agent).
    agents : int
        ``c``.
    utilisation : float
        ρ = λ / (c·μ), the share of agent time spent serving.
    p_wait : float
        P(a ticket waits at all) — Erlang C (ρ for M/M/1).
    wait : float
        Wq, the mean time from arrival to the start of service.
    time_in_system : float
        W = Wq + 1/μ.
    number_in_queue, number_in_system : float
        Lq = λ·Wq and L = λ·W (Little's law).
    """

    arrival_rate: float
    service_rate: float
    agents: int
    utilisation: float
    p_wait: float
    wait: float
    time_in_system: float
    number_in_queue: float
    number_in_system: float


@dataclass(frozen=True, slots=True)
class TandemFigures:
    """The steady state of the two-stage tandem (a Jackson network).

    Attributes
    ----------
    first, second : QueueFigures
        Each station as an independent M/M/cᵢ with its own arrival rate λᵢ (γ and p·γ).
    escalation : float
        p, the probability that a ticket goes on to the second stage after the first.
    time_in_system : float
        T = Σ (λᵢ/γ)·Wᵢ = W₁ + p·W₂, the mean sojourn from arrival to leaving the network.
    handoffs : float
        The expected number of handoffs per ticket: p (one for each escalated ticket).
    number_in_system : float
        L = γ·T, tickets anywhere in the network on average.
    """

    first: QueueFigures
    second: QueueFigures
    escalation: float
    time_in_system: float
    handoffs: float
    number_in_system: float


def _check(arrival_rate: float, service_rate: float, agents: int) -> float:
    """Refuse impossible parameters; return the utilisation ρ."""
    if not arrival_rate > 0 or not math.isfinite(arrival_rate):
        raise ValueError(f"the arrival rate must be a positive number, not {arrival_rate}")
    if not service_rate > 0 or not math.isfinite(service_rate):
        raise ValueError(f"the service rate must be a positive number, not {service_rate}")
    if agents < 1:
        raise ValueError(f"there must be at least one agent, not {agents}")
    rho = arrival_rate / (agents * service_rate)
    if rho >= 1:
        raise ValueError(
            f"utilisation {rho:.3f} ≥ 1: the queue grows without bound and has no steady state"
        )
    return rho


def erlang_b(agents: int, load: float) -> float:
    """The Erlang B blocking probability of ``agents`` servers offered ``load`` Erlangs.

    Parameters
    ----------
    agents : int
        ``c`` ≥ 0.
    load : float
        ``a = λ/μ`` ≥ 0.

    Examples
    --------
    >>> round(erlang_b(2, 1.0), 4)   # (1/2) / (1 + 1 + 1/2)
    0.2
    >>> 0 < erlang_b(1000, 950.0) < 1
    True
    """
    if agents < 0 or load < 0:
        raise ValueError("agents and load must be ≥ 0")
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(agents: int, load: float) -> float:
    """The Erlang C probability that an arriving ticket waits (``load < agents``).

    Examples
    --------
    >>> round(erlang_c(10, 9.0), 4)
    0.6687
    >>> round(erlang_c(1, 0.5), 6)   # M/M/1: P(wait) = ρ
    0.5
    """
    if not 0 <= load < agents:
        raise ValueError(f"the load must be in [0, agents); got {load} for {agents} agents")
    b = erlang_b(agents, load)
    return agents * b / (agents - load * (1.0 - b))


def mmc(arrival_rate: float, service_rate: float, agents: int) -> QueueFigures:
    """The steady state of an M/M/c queue (FIFO, one shared pool of ``agents``).

    Examples
    --------
    >>> q = mmc(800.0, 1.0, 1000)   # c = 1000: no overflow
    >>> q.utilisation, q.p_wait < 1e-6
    (0.8, True)
    """
    rho = _check(arrival_rate, service_rate, agents)
    load = arrival_rate / service_rate
    p_wait = erlang_c(agents, load)
    wait = p_wait / (agents * service_rate - arrival_rate)
    time_in_system = wait + 1.0 / service_rate
    return QueueFigures(
        arrival_rate=arrival_rate,
        service_rate=service_rate,
        agents=agents,
        utilisation=rho,
        p_wait=p_wait,
        wait=wait,
        time_in_system=time_in_system,
        number_in_queue=arrival_rate * wait,
        number_in_system=arrival_rate * time_in_system,
    )


def mm1(arrival_rate: float, service_rate: float) -> QueueFigures:
    """The M/M/1 queue: W = 1/(μ−λ), Wq = ρ/(μ−λ), P(wait) = ρ.

    Examples
    --------
    >>> q = mm1(0.5, 1.0)
    >>> q.wait, q.time_in_system, q.number_in_system
    (1.0, 2.0, 1.0)
    """
    rho = _check(arrival_rate, service_rate, 1)
    wait = rho / (service_rate - arrival_rate)
    time_in_system = 1.0 / (service_rate - arrival_rate)
    return QueueFigures(
        arrival_rate=arrival_rate,
        service_rate=service_rate,
        agents=1,
        utilisation=rho,
        p_wait=rho,
        wait=wait,
        time_in_system=time_in_system,
        number_in_queue=arrival_rate * wait,
        number_in_system=arrival_rate * time_in_system,
    )


def mmc_wait_tail(arrival_rate: float, service_rate: float, agents: int, t: float) -> float:
    """P(Wq > t) = C·e^{−(cμ−λ)t} for ``t`` ≥ 0.

    Examples
    --------
    >>> round(mmc_wait_tail(9.0, 1.0, 10, 0.0), 4)   # P(Wq > 0) is Erlang C
    0.6687
    >>> round(mmc_wait_tail(9.0, 1.0, 10, 1.0), 4)
    0.246
    """
    _check(arrival_rate, service_rate, agents)
    if t < 0:
        raise ValueError(f"t must be ≥ 0, not {t}")
    c = erlang_c(agents, arrival_rate / service_rate)
    return c * math.exp(-(agents * service_rate - arrival_rate) * t)


def tandem(
    arrival_rate: float,
    first_rate: float,
    first_agents: int,
    second_rate: float,
    second_agents: int,
    escalation: float,
) -> TandemFigures:
    """A tiered desk as a Jackson network: every ticket is served at stage 1, then with
    probability ``escalation`` goes on to stage 2.

    Solving the traffic equations λ = γ + λP gives λ₁ = γ and λ₂ = p·γ; by Jackson's theorem
    each station behaves as an independent M/M/cᵢ with that arrival rate (the departures of an
    M/M/c queue are Poisson — Burke — and a Bernoulli split of a Poisson stream is Poisson).

    Parameters
    ----------
    arrival_rate : float
        γ, external arrivals (all at stage 1).
    first_rate, first_agents : float, int
        μ₁ and c₁.
    second_rate, second_agents : float, int
        μ₂ and c₂.
    escalation : float
        p in (0, 1].

    Examples
    --------
    >>> t = tandem(2.4, 1.0, 3, 0.5, 2, 0.3)
    >>> round(t.first.utilisation, 3), round(t.second.utilisation, 3), t.handoffs
    (0.8, 0.72, 0.3)
    >>> round(t.time_in_system, 4), round(t.first.time_in_system + 0.3 * t.second.time_in_system, 4)
    (3.3245, 3.3245)
    """
    if not 0 < escalation <= 1:
        raise ValueError(f"the escalation probability must be in (0, 1], not {escalation}")
    first = mmc(arrival_rate, first_rate, first_agents)
    second = mmc(escalation * arrival_rate, second_rate, second_agents)
    # T = Σ (λᵢ/γ)·Wᵢ with λ₁/γ = 1 and λ₂/γ = p.
    time_in_system = first.time_in_system + escalation * second.time_in_system
    return TandemFigures(
        first=first,
        second=second,
        escalation=escalation,
        time_in_system=time_in_system,
        handoffs=escalation,
        number_in_system=arrival_rate * time_in_system,
    )
