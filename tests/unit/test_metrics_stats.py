"""The comparison's statistics: known answers, edge cases, and the exact bootstrap pinned to
resampling."""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
import scipy.stats as st
from statsmodels.stats.power import TTestIndPower

from swarm.metrics.stats import (
    chi_square_p,
    holm,
    kaplan_meier,
    mann_whitney_p,
    mean_ci,
    mean_diff_ci,
    needed_per_arm_rate,
    needed_per_arm_shift,
    quantile,
    quantile_ci,
    quantile_diff_ci,
    quantile_distribution,
    rate_diff_ci,
    restricted_mean,
    standardised,
    stratified_difference,
    survival_on_grid,
    wilson_ci,
)


def inverted_cdf(q):
    """A vectorised statistic for scipy.stats.bootstrap: the same quantile as ours."""
    return lambda x, axis=-1: np.quantile(x, q, axis=axis, method="inverted_cdf")


def fixed_samples():
    rng = np.random.default_rng(7)
    return {
        "durations": np.round(rng.exponential(3.0, 30), 2),
        "counts": rng.poisson(3.0, 57).astype(float),
        "skewed": np.round(rng.lognormal(0.0, 1.0, 101), 3),
    }


# --- quantiles -------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 20, 33])
@pytest.mark.parametrize("q", [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0])
def test_quantile_is_numpys_inverted_cdf(n, q):
    x = np.random.default_rng(n).normal(size=n)
    assert quantile(x, q) == np.quantile(x, q, method="inverted_cdf")


def test_quantile_of_nothing_is_nan():
    assert math.isnan(quantile([], 0.5))


@pytest.mark.parametrize("sample", [[1.0, 2.0, 2.0, 5.0], [3.0, 1.0, 4.0, 1.0, 5.0]])
@pytest.mark.parametrize("q", [0.25, 0.5, 0.9])
def test_exact_bootstrap_distribution_is_the_enumeration_of_every_resample(sample, q):
    """Every one of the n**n equally likely resamples, counted: the distribution is exact."""
    n = len(sample)
    counts: dict[float, int] = {}
    for resample in itertools.product(sample, repeat=n):
        value = float(np.quantile(resample, q, method="inverted_cdf"))
        counts[value] = counts.get(value, 0) + 1
    values, cdf = quantile_distribution(sample, q)
    expected = np.cumsum([counts.get(v, 0) for v in values]) / n**n
    assert values.tolist() == sorted(set(sample))
    np.testing.assert_allclose(cdf, expected, atol=1e-12)


@pytest.mark.parametrize("q", [0.05, 0.5, 0.9])
def test_exact_distribution_on_a_large_sample_skips_only_negligible_tails(q):
    """Outside 6/sqrt(n) of k/n the binomial tail is taken as 0 or 1; nothing visible is lost."""
    x = np.random.default_rng(3).lognormal(0.0, 1.0, 5000)
    values, cdf = quantile_distribution(x, q)
    k = int(np.searchsorted(np.sort(x), quantile(x, q))) + 1
    full = st.binom.sf(k - 1, x.size, np.arange(1, x.size + 1) / x.size)
    np.testing.assert_array_equal(values, np.sort(x))
    np.testing.assert_allclose(cdf, full, rtol=0, atol=1e-15)
    assert np.count_nonzero((cdf > 0) & (cdf < 1)) > 50


@pytest.mark.parametrize("name", ["durations", "counts", "skewed"])
@pytest.mark.parametrize("q", [0.5, 0.9])
def test_quantile_ci_is_the_percentile_bootstrap_without_resampling(name, q):
    """scipy's resampled percentile interval lands on the same sample values (within one rank,
    the resampling noise of 50 000 resamples)."""
    x = fixed_samples()[name]
    resampled = st.bootstrap(
        (x,),
        inverted_cdf(q),
        method="percentile",
        n_resamples=50_000,
        vectorized=True,
        rng=np.random.default_rng(1),
    ).confidence_interval
    exact = quantile_ci(x, q)
    ranks = np.unique(x)
    for ours, theirs in zip(exact, (resampled.low, resampled.high), strict=True):
        assert abs(np.searchsorted(ranks, ours) - np.searchsorted(ranks, theirs)) <= 1
    assert exact[0] <= quantile(x, q) <= exact[1]
    assert exact[0] < exact[1]


def test_quantile_ci_narrows_with_the_level():
    x = fixed_samples()["skewed"]
    wide, narrow = quantile_ci(x, 0.5, 0.99), quantile_ci(x, 0.5, 0.80)
    assert wide[0] < narrow[0] and narrow[1] < wide[1]


@pytest.mark.parametrize(
    ("sample", "expected"),
    [([], (math.nan, math.nan)), ([4.0], (math.nan, math.nan)), ([3.0] * 9, (3.0, 3.0))],
)
def test_quantile_ci_of_degenerate_samples(sample, expected):
    np.testing.assert_equal(quantile_ci(sample, 0.5), expected)


@pytest.mark.parametrize("q", [0.5, 0.9])
@pytest.mark.parametrize("kind", ["durations", "counts"])
def test_quantile_diff_ci_agrees_with_two_sample_resampling(q, kind):
    rng = np.random.default_rng(11)
    if kind == "durations":
        a, b = np.round(rng.exponential(3.0, 40), 2), np.round(rng.exponential(4.0, 50), 2)
    else:
        a, b = rng.poisson(2.0, 60).astype(float), rng.poisson(3.0, 45).astype(float)

    def difference(x, y, axis=-1):
        return inverted_cdf(q)(x, axis) - inverted_cdf(q)(y, axis)

    resampled = st.bootstrap(
        (a, b),
        difference,
        method="percentile",
        n_resamples=50_000,
        vectorized=True,
        rng=np.random.default_rng(1),
    ).confidence_interval
    ours = quantile_diff_ci(a, b, q)
    width = resampled.high - resampled.low
    assert ours[0] == pytest.approx(resampled.low, abs=0.03 * width)
    assert ours[1] == pytest.approx(resampled.high, abs=0.03 * width)


def test_quantile_diff_ci_is_reproducible_and_seeded():
    a, b = fixed_samples()["durations"], fixed_samples()["skewed"]
    assert quantile_diff_ci(a, b, 0.5) == quantile_diff_ci(a, b, 0.5)
    assert quantile_diff_ci(a, b, 0.5, seed=3) == quantile_diff_ci(a, b, 0.5, seed=3)


def test_quantile_diff_ci_needs_two_values_per_arm():
    assert all(math.isnan(v) for v in quantile_diff_ci([1.0], [1.0, 2.0, 3.0], 0.5))
    assert all(math.isnan(v) for v in quantile_diff_ci([1.0, 2.0], [], 0.5))


def test_quantile_diff_ci_of_constant_arms_is_their_difference():
    assert quantile_diff_ci([5.0] * 4, [2.0] * 6, 0.9) == (3.0, 3.0)


# --- means -----------------------------------------------------------------------------------


def test_mean_ci_is_scipys_one_sample_t_interval():
    x = fixed_samples()["counts"]
    expected = st.ttest_1samp(x, 0.0).confidence_interval(0.9)
    assert mean_ci(x, 0.9) == pytest.approx((expected.low, expected.high))


@pytest.mark.parametrize(
    ("sample", "expected"),
    [([], (math.nan, math.nan)), ([2.0], (math.nan, math.nan)), ([2.0, 2.0], (2.0, 2.0))],
)
def test_mean_ci_of_degenerate_samples(sample, expected):
    np.testing.assert_equal(mean_ci(sample), expected)


def test_mean_diff_ci_is_welchs_interval():
    # Welch by hand: se^2 = 5/3/4 + 5/2/5, df = 6.98, t(0.975, df) = 2.3656.
    low, high = mean_diff_ci([1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0, 7.0])
    assert (low, high) == pytest.approx((-4.765, -0.235), abs=1e-3)


def test_mean_diff_ci_with_a_constant_arm_rests_on_the_other():
    low, high = mean_diff_ci([1.0, 1.0, 1.0], [2.0, 2.0, 3.0])
    expected = st.t.interval(0.95, 2, loc=-4 / 3, scale=st.sem([2.0, 2.0, 3.0]))
    assert (low, high) == pytest.approx(expected)
    assert mean_diff_ci([1.0, 1.0], [3.0, 3.0, 3.0]) == (-2.0, -2.0)
    assert all(math.isnan(v) for v in mean_diff_ci([1.0], [2.0, 3.0]))


# --- rates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "n", "expected"),
    # Newcombe (1998a), Statistics in Medicine 17:857, worked examples, Wilson score method.
    [
        (81, 263, (0.2553, 0.3662)),
        (15, 148, (0.0624, 0.1605)),
        (0, 20, (0.0, 0.1611)),
        (1, 29, (0.0061, 0.1718)),
        (29, 29, (0.8830, 1.0)),
    ],
)
def test_wilson_ci_matches_newcombes_table(k, n, expected):
    assert wilson_ci(k, n) == pytest.approx(expected, abs=1e-4)


def test_wilson_ci_of_no_trials_is_nan():
    assert all(math.isnan(v) for v in wilson_ci(0, 0))


@pytest.mark.parametrize(("k", "n"), [(-1, 5), (6, 5), (0, -1)])
def test_impossible_counts_are_refused(k, n):
    with pytest.raises(ValueError, match="0 <= k <= n"):
        wilson_ci(k, n)


@pytest.mark.parametrize(
    ("counts", "expected"),
    # Newcombe (1998b), Statistics in Medicine 17:873, worked examples, method 10 (hybrid score).
    [
        ((56, 70, 48, 80), (0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.1705, 0.8090)),
        ((6, 7, 2, 7), (0.0582, 0.8062)),
        ((5, 56, 0, 29), (-0.0381, 0.1926)),
        ((0, 10, 0, 20), (-0.1611, 0.2775)),
        ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ],
)
def test_rate_diff_ci_matches_newcombes_table(counts, expected):
    assert rate_diff_ci(*counts) == pytest.approx(expected, abs=1e-4)


def test_rate_diff_ci_without_trials_in_an_arm_is_nan():
    assert all(math.isnan(v) for v in rate_diff_ci(3, 10, 0, 0))


# --- tests -----------------------------------------------------------------------------------


def test_mann_whitney_of_complete_separation_is_the_exact_two_over_seventy():
    assert mann_whitney_p([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]) == pytest.approx(2 / 70)


def test_mann_whitney_with_ties_is_scipys_tie_corrected_test():
    a, b = fixed_samples()["counts"], fixed_samples()["counts"][:30] + 1.0
    expected = st.mannwhitneyu(a, b, alternative="two-sided").pvalue
    assert mann_whitney_p(a, b) == pytest.approx(expected)
    assert 0.0 < mann_whitney_p(a, b) < 1.0


@pytest.mark.parametrize(("a", "b"), [([], [1.0, 2.0]), ([1.0], []), ([3.0, 3.0], [3.0])])
def test_mann_whitney_of_degenerate_samples_is_nan(a, b):
    assert math.isnan(mann_whitney_p(a, b))


def test_chi_square_on_large_counts_is_yates_corrected_pearson():
    expected = st.chi2_contingency([[56, 14], [48, 32]]).pvalue
    assert chi_square_p(56, 70, 48, 80) == pytest.approx(expected)
    assert chi_square_p(56, 70, 48, 80) == pytest.approx(0.0134, abs=1e-4)


def test_chi_square_turns_to_fisher_when_a_cell_is_small():
    # Expected successes are 3.5 per arm: chi-square's approximation is off, Fisher's is exact.
    assert chi_square_p(1, 10, 6, 10) == pytest.approx(st.fisher_exact([[1, 9], [6, 4]]).pvalue)


@pytest.mark.parametrize("counts", [(0, 0, 3, 10), (3, 10, 0, 0), (0, 10, 0, 20), (10, 10, 20, 20)])
def test_chi_square_of_a_table_without_variation_is_nan(counts):
    assert math.isnan(chi_square_p(*counts))


def test_holm_steps_down_and_keeps_monotone_order():
    # Sorted 0.01, 0.03, 0.04 times 3, 2, 1 = 0.03, 0.06, 0.04 -> made monotone: 0.06.
    adjusted = holm({"ttr": 0.01, "fcr": 0.04, "csat": 0.03})
    assert adjusted == pytest.approx({"ttr": 0.03, "fcr": 0.06, "csat": 0.06})
    assert list(adjusted) == ["ttr", "fcr", "csat"]


def test_holm_leaves_untestable_metrics_out_of_the_family():
    adjusted = holm({"a": 0.02, "b": math.nan, "c": 0.5})
    assert adjusted["a"] == pytest.approx(0.04)
    assert adjusted["c"] == pytest.approx(0.5)
    assert math.isnan(adjusted["b"])
    assert holm({}) == {}
    assert math.isnan(holm({"x": math.nan})["x"])


# --- Kaplan-Meier ----------------------------------------------------------------------------

# Freireich et al. (1963), 6-MP arm: weeks in remission of 21 leukaemia patients, "+" censored
# (Kleinbaum & Klein, Survival Analysis, 3rd ed., ch. 2; Collett, Modelling Survival Data).
SIX_MP = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
# The product-limit by hand: (at risk - events) / at risk at each event time.
SIX_MP_STEPS = [
    (6, 21, 3),
    (7, 17, 1),
    (10, 15, 1),
    (13, 12, 1),
    (16, 11, 1),
    (22, 7, 1),
    (23, 6, 1),
]


def six_mp():
    return kaplan_meier(np.array(SIX_MP, float), np.array(SIX_MP_EVENT, bool))


def test_kaplan_meier_reproduces_the_textbook_6mp_table():
    s = six_mp()
    survival, expected = Fraction(1), []
    for _, at_risk, events in SIX_MP_STEPS:
        survival *= Fraction(at_risk - events, at_risk)
        expected.append(1 - float(survival))
    assert s.times.tolist() == [t for t, _, _ in SIX_MP_STEPS]
    np.testing.assert_allclose(s.resolved_share, expected)
    # The textbook's rounded survival column: .857 .807 .753 .690 .627 .538 .448.
    np.testing.assert_allclose(
        1 - s.resolved_share, [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448], atol=5e-4
    )
    assert s.median == 23.0
    assert math.isnan(s.p90)  # S never falls below 0.448
    assert (s.n, s.events, s.horizon) == (21, 9, 35.0)


def test_kaplan_meier_band_is_greenwoods_and_the_median_interval_reads_it():
    s = six_mp()
    # Greenwood at 6 weeks: SE = S sqrt(3 / (21 * 18)) = 0.0764; S + 1.96 SE > 1 is clipped.
    se = (18 / 21) * math.sqrt(3 / (21 * 18))
    assert s.hi[0] == pytest.approx(1 - (18 / 21 - st.norm.ppf(0.975) * se))
    assert s.lo[0] == pytest.approx(0.0)
    assert np.all(s.lo <= s.resolved_share) and np.all(s.resolved_share <= s.hi)
    # The lower survival band first reaches 0.5 at 13 weeks (0.481); the upper one never does.
    assert s.median_ci[0] == 13.0
    assert math.isnan(s.median_ci[1])


def test_kaplan_meier_restricted_mean_is_the_area_under_the_steps():
    area, survival, previous = Fraction(0), Fraction(1), 0
    for time, at_risk, events in SIX_MP_STEPS:
        area += survival * (time - previous)
        survival *= Fraction(at_risk - events, at_risk)
        previous = time
    area += survival * (35 - previous)
    assert restricted_mean(six_mp()) == pytest.approx(float(area))


def test_kaplan_meier_without_censoring_is_the_empirical_cdf():
    durations = np.array([2.0, 1.0, 4.0, 3.0, 3.0])
    s = kaplan_meier(durations, np.ones(5, bool))
    assert s.times.tolist() == [1.0, 2.0, 3.0, 4.0]
    np.testing.assert_allclose(s.resolved_share, [0.2, 0.4, 0.8, 1.0])
    assert (s.median, s.p90) == (3.0, 4.0)
    assert restricted_mean(s) == pytest.approx(durations.mean())
    # Every remaining ticket resolved at 4: Greenwood's variance is 0/0 there.
    assert math.isnan(s.lo[-1]) and math.isnan(s.hi[-1])


def test_kaplan_meier_with_every_ticket_open_says_nothing_resolved():
    s = kaplan_meier([1.0, 5.0, 2.0], [False, False, False])
    assert s.times.size == s.resolved_share.size == s.lo.size == s.hi.size == 0
    assert math.isnan(s.median) and math.isnan(s.p90)
    assert all(math.isnan(v) for v in s.median_ci)
    assert (s.n, s.events, s.horizon) == (3, 0, 5.0)
    assert restricted_mean(s) == 5.0


def test_kaplan_meier_of_a_single_ticket():
    resolved = kaplan_meier([3.0], [True])
    assert resolved.times.tolist() == [3.0]
    assert resolved.resolved_share.tolist() == [1.0]
    assert (resolved.median, resolved.p90, restricted_mean(resolved)) == (3.0, 3.0, 3.0)
    still_open = kaplan_meier([3.0], [False])
    assert still_open.times.size == 0 and restricted_mean(still_open) == 3.0


def test_kaplan_meier_of_no_tickets():
    s = kaplan_meier([], [])
    assert s.times.size == 0 and s.n == 0
    assert math.isnan(s.median) and math.isnan(restricted_mean(s))


def test_kaplan_meier_median_at_exactly_half_is_the_first_time_it_gets_there():
    # S = 3/4 * 2/3 = 0.5 up to rounding at t = 2.
    s = kaplan_meier([1.0, 2.0, 3.0, 4.0], [True, True, True, True])
    assert s.median == 2.0


@pytest.mark.parametrize(
    ("durations", "observed", "message"),
    [([1.0, 2.0], [True], "same length"), ([-1.0], [True], "non-negative")],
)
def test_kaplan_meier_refuses_malformed_input(durations, observed, message):
    with pytest.raises(ValueError, match=message):
        kaplan_meier(durations, observed)


def test_survival_on_grid_reads_the_steps_and_stops_at_the_horizon():
    s = six_mp()
    grid = survival_on_grid(s, [0.0, 6.0, 8.0, 23.0, 35.0, 36.0])
    expected = [0.0, *s.resolved_share[[0, 1, 6, 6]], math.nan]
    np.testing.assert_allclose(grid.resolved_share, expected)
    np.testing.assert_allclose(grid.hi[:2], [0.0, s.hi[0]])
    empty = survival_on_grid(kaplan_meier([2.0], [False]), [1.0, 3.0])
    np.testing.assert_equal(empty.resolved_share, [0.0, math.nan])


# --- power -----------------------------------------------------------------------------------


def test_needed_per_arm_rate_is_cohens_h_sample_size():
    h = 2 * math.asin(math.sqrt(0.8)) - 2 * math.asin(math.sqrt(0.7))
    by_hand = 2 * (st.norm.ppf(0.975) + st.norm.ppf(0.8)) ** 2 / h**2
    assert needed_per_arm_rate(0.8, 0.7) == math.ceil(by_hand) == 292
    assert needed_per_arm_rate(0.7, 0.8) == 292
    assert needed_per_arm_rate(0.8, 0.7, power=0.9) > 292


@pytest.mark.parametrize(("p1", "p2"), [(0.5, 0.5), (0.0, 0.0), (math.nan, 0.5), (1.5, 0.2)])
def test_needed_per_arm_rate_without_an_effect_is_none(p1, p2):
    assert needed_per_arm_rate(p1, p2) is None


def test_needed_per_arm_rate_at_extreme_effects_still_answers():
    assert needed_per_arm_rate(0.0, 1.0) == 2
    assert needed_per_arm_rate(0.5, 0.5 + 1e-9) > 10**15


def test_needed_per_arm_shift_is_the_t_test_size_over_mann_whitneys_efficiency():
    rng = np.random.default_rng(5)
    a, b = rng.exponential(2.0, 300), rng.exponential(2.5, 300)
    la, lb = np.log1p(a), np.log1p(b)
    d = (lb.mean() - la.mean()) / math.sqrt((la.var(ddof=1) + lb.var(ddof=1)) / 2)
    t_size = TTestIndPower().solve_power(effect_size=d, alpha=0.05, power=0.8)
    assert needed_per_arm_shift(a, b) == math.ceil(t_size * math.pi / 3)
    assert needed_per_arm_shift(a, b, alpha=0.01) > needed_per_arm_shift(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [([1.0], [1.0, 2.0]), ([2.0, 2.0], [2.0, 2.0]), ([1.0, 3.0], [3.0, 1.0]), ([], [])],
)
def test_needed_per_arm_shift_without_a_measurable_effect_is_none(a, b):
    assert needed_per_arm_shift(a, b) is None


def test_needed_per_arm_shift_refuses_values_log1p_cannot_take():
    with pytest.raises(ValueError, match="above -1"):
        needed_per_arm_shift([-2.0, 1.0], [1.0, 2.0])


# --- case mix --------------------------------------------------------------------------------


def test_standardised_is_the_weighted_mean_over_strata_with_a_value():
    # (2*1 + 4*3) / (1 + 3); P3 has no value and its weight is dropped, P4 has no weight.
    values = {"P1": 2.0, "P2": 4.0, "P3": math.nan, "P4": 100.0}
    assert standardised(values, {"P1": 1, "P2": 3, "P3": 6}) == 3.5
    assert math.isnan(standardised({"P1": math.nan}, {"P1": 1.0}))
    assert math.isnan(standardised({}, {}))


def test_standardised_refuses_negative_weights():
    with pytest.raises(ValueError, match="non-negative"):
        standardised({"P1": 1.0}, {"P1": -1.0})


def test_stratified_difference_undoes_a_simpsons_paradox():
    """Swarm is faster within each priority but took most of the slow P1s, so the raw medians
    point the wrong way; standardised to the pooled mix, the arms compare like with like."""
    swarm = [10.0] * 8 + [1.0] * 2
    swarm_priority = ["P1"] * 8 + ["P4"] * 2
    tiered = [12.0] * 2 + [2.0] * 8
    tiered_priority = ["P1"] * 2 + ["P4"] * 8
    median = lambda x: quantile(x, 0.5)  # noqa: E731
    assert quantile(swarm, 0.5) > quantile(tiered, 0.5)
    result = stratified_difference(swarm, swarm_priority, tiered, tiered_priority, median)
    assert [(s.stratum, s.a, s.b, s.n_a, s.n_b) for s in result.strata] == [
        ("P1", 10.0, 12.0, 8, 2),
        ("P4", 1.0, 2.0, 2, 8),
    ]
    # Pooled mix: 10 P1 and 10 P4, so each arm is the plain mean of its two stratum medians.
    assert (result.a, result.b, result.estimate) == (5.5, 7.0, -1.5)


def test_stratified_difference_lists_but_does_not_weigh_unshared_strata():
    result = stratified_difference(
        [1.0, 3.0, 9.0], np.array([1, 1, 2]), [2.0, 4.0], np.array([1, 3]), np.mean
    )
    assert [(s.stratum, s.n_a, s.n_b) for s in result.strata] == [(1, 2, 1), (2, 1, 0), (3, 0, 1)]
    assert type(result.strata[0].stratum) is int
    assert math.isnan(result.strata[1].b) and math.isnan(result.strata[2].a)
    assert (result.a, result.b, result.estimate) == (2.0, 2.0, 0.0)
    nothing_shared = stratified_difference([1.0], ["a"], [2.0], ["b"], np.mean)
    assert math.isnan(nothing_shared.estimate)


def test_stratified_difference_needs_a_stratum_per_value():
    with pytest.raises(ValueError, match="stratum"):
        stratified_difference([1.0, 2.0], ["a"], [1.0], ["a"], np.mean)
