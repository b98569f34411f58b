"""The M/M/c and tandem models on the engine: exact against an independent FIFO recursion,
deterministic for a seed, Little's law, the warm-up, and refused parameters."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest

from swarm.simulation.mmc import BLOCK, default_warmup, run_mmc, run_tandem, simulate_mmc


def fifo_by_recursion(
    arrival_rate: float, service_rate: float, agents: int, tickets: int, seed: int
) -> tuple[float, float, float]:
    """Mean wait, P(wait) and mean time in system of FIFO M/M/c by the Kiefer-Wolfowitz
    recursion (each ticket takes the agent that frees up first), with the draws run_mmc makes:
    no event loop, no queue — an independent computation of the same sample path."""
    assert tickets <= BLOCK  # one numpy call per stream, as run_mmc makes for short runs
    arrivals_rng, service_rng = np.random.default_rng(seed).spawn(2)
    gaps = arrivals_rng.exponential(1.0 / arrival_rate, tickets)
    services = service_rng.exponential(1.0 / service_rate, tickets)
    free = [0.0] * agents
    now, waits, waited, sojourns = 0.0, 0.0, 0, 0.0
    warm = default_warmup(tickets)
    for index in range(tickets):
        now += gaps[index]
        start = max(now, free[0])
        heapq.heapreplace(free, start + services[index])
        if index >= warm:
            waits += start - now
            waited += start > now
            sojourns += start - now + services[index]
    measured = tickets - warm
    return waits / measured, waited / measured, sojourns / measured


@pytest.mark.parametrize(("rate", "agents"), [(0.8, 1), (1.6, 2), (8.0, 10), (12.0, 10)])
def test_the_engine_reproduces_the_fifo_recursion_exactly(rate, agents):
    result = run_mmc(rate, 1.0, agents, 20_000, np.random.default_rng(5))
    wait, p_wait, sojourn = fifo_by_recursion(rate, 1.0, agents, 20_000, 5)
    assert result.mean_wait == pytest.approx(wait, rel=1e-9)
    assert result.p_wait == pytest.approx(p_wait, abs=1e-12)
    assert result.mean_time_in_system == pytest.approx(sojourn, rel=1e-9)


def figures(result):
    out = result.as_dict()
    out.pop("wall_seconds")
    out.pop("tickets_per_s")
    return out


def test_the_same_seed_gives_identical_figures_and_another_seed_others():
    first = run_mmc(8.0, 1.0, 10, 30_000, np.random.default_rng(42))
    again = run_mmc(8.0, 1.0, 10, 30_000, np.random.default_rng(42))
    other = run_mmc(8.0, 1.0, 10, 30_000, np.random.default_rng(43))
    assert figures(first) == figures(again)
    assert figures(first) != figures(other)
    tandem = [
        figures(run_tandem(2.4, 1.0, 3, 0.5, 2, 0.3, 10_000, np.random.default_rng(9)))
        for _ in range(2)
    ]
    assert tandem[0] == tandem[1]


@pytest.mark.parametrize("agents", [1, 4, 20])
def test_littles_law_holds_on_a_run(agents):
    # L (time-average of the count present) and λ (arrivals over the window) are measured
    # apart from W; over 50,000 tickets the window's edges weigh well under 1 %.
    r = run_mmc(0.75 * agents, 1.0, agents, 50_000, np.random.default_rng(agents))
    assert r.number_in_system == pytest.approx(r.arrival_rate * r.mean_time_in_system, rel=0.01)
    assert r.arrival_rate == pytest.approx(0.75 * agents, rel=0.03)


def test_tandem_littles_law_and_escalation_share():
    r = run_tandem(2.4, 1.0, 3, 0.5, 2, 0.3, 50_000, np.random.default_rng(3))
    assert r.number_in_system == pytest.approx(r.arrival_rate * r.mean_time_in_system, rel=0.01)
    # 45,000 coins at p = 0.3: standard error 0.0022, so ±0.01 is 4.6 of them.
    assert r.handoffs == pytest.approx(0.3, abs=0.01)
    assert r.utilisation == pytest.approx((0.8, 0.72))


def test_without_escalation_nobody_reaches_the_second_stage():
    r = run_tandem(0.5, 1.0, 1, 1.0, 1, 0.0, 2_000, np.random.default_rng(1))
    assert r.handoffs == 0.0
    assert math.isnan(r.second_wait)


def test_enough_agents_means_nobody_waits():
    r = run_mmc(1.0, 1.0, 100, 5_000, np.random.default_rng(2))
    assert r.p_wait == 0.0 and r.mean_wait == 0.0
    assert r.mean_time_in_system == pytest.approx(1.0, rel=0.05)


def test_warmup_is_a_tenth_by_default_and_can_be_given():
    assert run_mmc(0.5, 1.0, 1, 1_000, np.random.default_rng(0)).warmup == 100
    given = run_mmc(0.5, 1.0, 1, 1_000, np.random.default_rng(0), warmup=0)
    assert (given.warmup, given.measured) == (0, 1_000)
    # The run starts empty: counting its first tickets lowers the mean wait at ρ = 0.9.
    cold = [run_mmc(0.9, 1.0, 1, 2_000, np.random.default_rng(s), warmup=0) for s in range(20)]
    warm = [run_mmc(0.9, 1.0, 1, 2_000, np.random.default_rng(s), warmup=1_000) for s in range(20)]
    assert np.mean([r.mean_wait for r in cold]) < np.mean([r.mean_wait for r in warm])


def test_an_overloaded_queue_runs_and_grows():
    r = run_mmc(2.0, 1.0, 1, 5_000, np.random.default_rng(0))
    assert r.utilisation == 2.0
    assert r.p_wait > 0.99 and r.mean_wait > 1_000


def test_simulate_mmc_reports_the_closed_form_and_a_reusable_seed():
    out = simulate_mmc(9.0, 1.0, 10, 5_000, seed=None)
    assert 0 <= out["seed"] < 2**63
    assert out == {**simulate_mmc(9.0, 1.0, 10, 5_000, seed=out["seed"]), **_timing(out)}
    assert round(out["expected"]["mean_wait"], 3) == 0.669
    assert simulate_mmc(3.0, 1.0, 2, 100, seed=1)["expected"] is None
    single = simulate_mmc(1.0, 1.0, 1, 1, seed=1)
    assert single["measured"] == 1 and single["arrival_rate"] is None


def _timing(out):
    return {"wall_seconds": out["wall_seconds"], "tickets_per_s": out["tickets_per_s"]}


@pytest.mark.parametrize(
    "call",
    [
        lambda rng: run_mmc(0.0, 1.0, 1, 10, rng),
        lambda rng: run_mmc(1.0, -1.0, 1, 10, rng),
        lambda rng: run_mmc(float("inf"), 1.0, 1, 10, rng),
        lambda rng: run_mmc(1.0, 1.0, 0, 10, rng),
        lambda rng: run_mmc(1.0, 1.0, 1, 0, rng),
        lambda rng: run_mmc(1.0, 1.0, 1, 10, rng, warmup=10),
        lambda rng: run_tandem(1.0, 1.0, 1, 1.0, 1, 1.2, 10, rng),
        lambda rng: run_tandem(1.0, 1.0, 1, 1.0, 0, 0.5, 10, rng),
    ],
    ids=[
        "no arrivals",
        "negative rate",
        "infinite rate",
        "no agents",
        "no tickets",
        "all warm-up",
        "p>1",
        "c2=0",
    ],
)
def test_impossible_parameters_are_refused(call):
    with pytest.raises(ValueError):
        call(np.random.default_rng(0))
