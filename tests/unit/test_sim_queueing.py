"""Closed forms of M/M/1, M/M/c (Erlang C) and the two-stage tandem, against known values and
the textbook formulas written out directly."""

from __future__ import annotations

import math

import pytest

from swarm.simulation.queueing import (
    erlang_b,
    erlang_c,
    mm1,
    mmc,
    mmc_wait_tail,
    tandem,
)


def erlang_c_by_factorials(c: int, a: float) -> float:
    """REFERENCES.md's formula as written, for small c."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def test_the_reference_example():
    q = mmc(9.0, 1.0, 10)
    assert round(q.wait, 3) == 0.669
    assert q.time_in_system == pytest.approx(q.wait + 1.0)


@pytest.mark.parametrize(
    ("c", "a"), [(1, 0.5), (2, 1.0), (2, 1.6), (5, 3.5), (10, 8.0), (10, 9.0), (30, 25.0)]
)
def test_erlang_c_matches_the_factorial_formula(c, a):
    assert erlang_c(c, a) == pytest.approx(erlang_c_by_factorials(c, a), rel=1e-12)


def test_small_cases_by_hand():
    # Two agents, one Erlang: C = (1/2 · 2) / (1 + 1 + 1) = 1/3, Wq = C / (2 − 1).
    q = mmc(1.0, 1.0, 2)
    assert q.p_wait == pytest.approx(1 / 3)
    assert q.wait == pytest.approx(1 / 3)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang_b(0, 3.0) == 1.0


def test_mm1_closed_forms_and_agreement_with_erlang_c():
    q = mm1(0.8, 1.0)
    assert q.time_in_system == pytest.approx(5.0)
    assert q.wait == pytest.approx(4.0)
    assert q.p_wait == pytest.approx(0.8)
    assert q.number_in_system == pytest.approx(4.0)  # ρ/(1−ρ)
    same = mmc(0.8, 1.0, 1)
    assert same.wait == pytest.approx(q.wait) and same.p_wait == pytest.approx(q.p_wait)


def test_a_thousand_agents_neither_overflow_nor_lose_precision():
    # The factorial form overflows a float beyond c = 170; in logs it does not.
    c, a = 1000, 950.0
    log_top = c * math.log(a) - math.lgamma(c + 1) + math.log(c / (c - a))
    log_terms = [k * math.log(a) - math.lgamma(k + 1) for k in range(c)] + [log_top]
    peak = max(log_terms)
    expected = math.exp(log_top - peak) / sum(math.exp(t - peak) for t in log_terms)
    assert erlang_c(c, a) == pytest.approx(expected, rel=1e-9)
    q = mmc(950.0, 1.0, 1000)
    assert 0 < q.p_wait < 1 and math.isfinite(q.wait)


def test_waiting_tail():
    assert mmc_wait_tail(9.0, 1.0, 10, 0.0) == pytest.approx(erlang_c(10, 9.0))
    assert mmc_wait_tail(9.0, 1.0, 10, 2.0) == pytest.approx(erlang_c(10, 9.0) * math.exp(-2.0))
    # The tail integrates to the mean wait: ∫ P(Wq > t) dt = C / (cμ − λ).
    assert erlang_c(10, 9.0) / (10 - 9) == pytest.approx(mmc(9.0, 1.0, 10).wait)


def test_tandem_is_two_independent_stations_weighted_by_their_visits():
    t = tandem(2.4, 1.0, 3, 0.5, 2, 0.3)
    assert t.first == mmc(2.4, 1.0, 3)
    assert t.second == mmc(0.72, 0.5, 2)
    assert t.time_in_system == pytest.approx(t.first.time_in_system + 0.3 * t.second.time_in_system)
    assert t.handoffs == 0.3
    assert t.number_in_system == pytest.approx(2.4 * t.time_in_system)


@pytest.mark.parametrize(
    "call",
    [
        lambda: mm1(1.0, 1.0),
        lambda: mmc(10.0, 1.0, 10),
        lambda: mmc(0.0, 1.0, 1),
        lambda: mmc(1.0, -1.0, 2),
        lambda: mmc(1.0, 1.0, 0),
        lambda: mmc(math.nan, 1.0, 2),
        lambda: tandem(1.0, 1.0, 2, 1.0, 2, 1.5),
        lambda: tandem(1.0, 1.0, 2, 1.0, 2, 0.0),
        lambda: tandem(3.0, 1.0, 4, 1.0, 1, 0.5),
        lambda: mmc_wait_tail(1.0, 1.0, 2, -1.0),
    ],
    ids=[
        "M/M/1 at ρ=1",
        "M/M/10 at ρ=1",
        "no arrivals",
        "negative service rate",
        "no agents",
        "nan rate",
        "p > 1",
        "p = 0",
        "second stage unstable",
        "negative t",
    ],
)
def test_impossible_parameters_are_refused(call):
    with pytest.raises(ValueError):
        call()
