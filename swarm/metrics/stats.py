"""Statistics of the tiered-versus-swarm comparison.

Pure functions on numpy arrays (callers drop NaN first) that return plain floats, ``nan`` where
a figure is undefined, and ``Interval`` pairs. Every statistic that scipy or statsmodels computes
is taken from them; what is written here is the glue, the edge cases, and two things no kept
library offers: the exact bootstrap distribution of a sample quantile (Hutson & Ernst 2000), which
keeps the comparison of 70 000 tickets well under a second, and direct standardisation.

Degenerate input never raises: an empty arm, a single value where a spread is needed, or a sample
with nothing to compare gives ``nan``; malformed input (negative durations, ``k > n``) raises
``ValueError``.

References
----------
Hutson, A. D. and Ernst, M. D. (2000). The exact bootstrap mean and variance of an L-estimator.
*J. R. Statist. Soc. B* 62(1), 89-94.
Newcombe, R. G. (1998). Interval estimation for the difference between independent proportions.
*Statistics in Medicine* 17, 873-890.
Brookmeyer, R. and Crowley, J. (1982). A confidence interval for the median survival time.
*Biometrics* 38, 29-41.
Lehmann, E. L. (1975). *Nonparametrics*, ch. 2 (asymptotic relative efficiency 3/pi).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass

import numpy as np
import scipy.stats as st  # type: ignore[import-untyped]  # no stubs in the pinned venv
from numpy.typing import ArrayLike, NDArray
from statsmodels.stats.multitest import multipletests  # type: ignore[import-untyped]
from statsmodels.stats.power import (  # type: ignore[import-untyped]
    NormalIndPower,
    TTestIndPower,
    normal_sample_size_one_tail,
)
from statsmodels.stats.proportion import (  # type: ignore[import-untyped]
    confint_proportions_2indep,
    proportion_effectsize,
)

Interval = tuple[float, float]
Floats = NDArray[np.float64]

NAN_INTERVAL: Interval = (math.nan, math.nan)

# Draws from each arm's exact bootstrap distribution in quantile_diff_ci: the Monte Carlo error
# of a 2.5 % percentile of 20 000 draws is about 0.1 percentage point of probability, well
# inside the resolution of the sample itself.
DIFF_DRAWS = 20_000

# Mann-Whitney's asymptotic relative efficiency against the t-test under normality.
MANN_WHITNEY_ARE = 3.0 / math.pi

# Kaplan-Meier products such as (3/4)(2/3) land a rounding error away from 0.5; a survival this
# close to a threshold counts as having reached it.
_SURVIVAL_TOLERANCE = 1e-9


def _floats(x: ArrayLike) -> Floats:
    array = np.asarray(x, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError("A sample must be a one-dimensional array of numbers.")
    return array


def _interval(low: float, high: float) -> Interval:
    return (float(low), float(high))


# --- quantiles -------------------------------------------------------------------------------


def quantile(x: ArrayLike, q: float) -> float:
    """The sample quantile that is a value of the sample (``inverted_cdf``).

    Parameters
    ----------
    x : array_like
        The sample, without NaN.
    q : float
        The probability, in [0, 1].

    Returns
    -------
    float
        The smallest sample value whose empirical CDF reaches `q`; ``nan`` for an empty sample.

    Examples
    --------
    >>> quantile([3.0, 1.0, 2.0, 10.0], 0.5)
    2.0
    >>> quantile([], 0.9)
    nan
    """
    sample = _floats(x)
    if sample.size == 0:
        return math.nan
    return float(np.quantile(sample, q, method="inverted_cdf"))


def _order_rank(n: int, q: float) -> int:
    """The 1-based rank of the order statistic that ``np.quantile(inverted_cdf)`` returns."""
    # Asking numpy itself keeps the rank and quantile() in step, rounding included.
    return int(np.quantile(np.arange(1, n + 1, dtype=np.float64), q, method="inverted_cdf"))


def quantile_distribution(x: ArrayLike, q: float) -> tuple[Floats, Floats]:
    """The exact bootstrap distribution of the sample quantile.

    The `q` quantile of a sample of size n is its k-th order statistic, k fixed by `q` and n.
    A bootstrap resample's k-th order statistic is at most u exactly when at least k of its n
    draws are, so its CDF at u is ``P(Binomial(n, F(u)) >= k)`` with F the sample's empirical
    CDF (Hutson & Ernst 2000). No resampling: O(unique values), and the binomial tail is only
    evaluated within 6/sqrt(n) of k/n in F, outside which it is 0 or 1 to within e^-72.

    Parameters
    ----------
    x : array_like
        The sample, without NaN.
    q : float
        The probability, in [0, 1].

    Returns
    -------
    values, cdf : ndarray
        The sample's distinct values in increasing order and the probability that the bootstrap
        quantile is at most each; both empty for an empty sample.

    Examples
    --------
    >>> values, cdf = quantile_distribution([1.0, 2.0, 3.0], 0.5)
    >>> values.tolist(), np.round(cdf, 4).tolist()
    ([1.0, 2.0, 3.0], [0.2593, 0.7407, 1.0])
    """
    sample = _floats(x)
    n = sample.size
    if n == 0:
        return np.empty(0), np.empty(0)
    values, counts = np.unique(sample, return_counts=True)
    k = _order_rank(n, q)
    empirical = np.cumsum(counts) / n
    # Hoeffding: P(Binomial(n, p) >= k) is within exp(-2 n t^2) of 0 or 1 when p is t below or
    # above k/n; beyond t = 6/sqrt(n) that is e^-72, so only the values in between need sf.
    margin = 6.0 / math.sqrt(n)
    start = int(np.searchsorted(empirical, k / n - margin, side="left"))
    stop = int(np.searchsorted(empirical, k / n + margin, side="right"))
    cdf = np.zeros(values.size)
    cdf[start:stop] = st.binom.sf(k - 1, n, empirical[start:stop])
    cdf[stop:] = 1.0
    cdf[-1] = 1.0  # F = 1 at the maximum: certain, whatever the rounding of sf
    return values.astype(np.float64), cdf


def _percentile_of_distribution(values: Floats, cdf: Floats, p: float) -> float:
    index = min(int(np.searchsorted(cdf, p, side="left")), values.size - 1)
    return float(values[index])


def quantile_ci(x: ArrayLike, q: float, level: float = 0.95) -> Interval:
    """Percentile bootstrap interval of the sample quantile, computed exactly.

    The interval is the percentile bootstrap interval that ``scipy.stats.bootstrap(...,
    method="percentile")`` approaches as its number of resamples grows, read off the exact
    bootstrap distribution of the quantile (:func:`quantile_distribution`, after Hutson &
    Ernst 2000) instead of estimated by resampling, so it costs one pass over the distinct values
    and carries no Monte Carlo noise.

    Parameters
    ----------
    x : array_like
        The sample, without NaN.
    q : float
        The probability, in [0, 1].
    level : float
        The confidence level.

    Returns
    -------
    (float, float)
        The interval; ``(nan, nan)`` for fewer than two values, where a bootstrap says nothing.

    Examples
    --------
    >>> quantile_ci(np.arange(1.0, 101.0), 0.5)
    (40.0, 60.0)
    >>> quantile_ci([7.0], 0.5)
    (nan, nan)
    """
    sample = _floats(x)
    if sample.size < 2:
        return NAN_INTERVAL
    values, cdf = quantile_distribution(sample, q)
    tail = (1.0 - level) / 2.0
    return _interval(
        _percentile_of_distribution(values, cdf, tail),
        _percentile_of_distribution(values, cdf, 1.0 - tail),
    )


def quantile_diff_ci(
    a: ArrayLike, b: ArrayLike, q: float, level: float = 0.95, *, seed: int = 0
) -> Interval:
    """Percentile bootstrap interval of ``quantile(a, q) - quantile(b, q)``.

    The two arms are resampled independently, so the bootstrap difference is the difference of
    two independent draws from the arms' exact quantile distributions
    (:func:`quantile_distribution`). Those are sampled by inverting their CDFs, `DIFF_DRAWS`
    times with a fixed `seed` (the answer is reproducible), and the interval is read from the
    percentiles of the differences. Cost: O(unique values + draws), whatever the arms' sizes.

    Parameters
    ----------
    a, b : array_like
        The two samples, without NaN.
    q : float
        The probability, in [0, 1].
    level : float
        The confidence level.
    seed : int
        Seed of the draws.

    Returns
    -------
    (float, float)
        The interval; ``(nan, nan)`` when either arm has fewer than two values.

    Examples
    --------
    >>> low, high = quantile_diff_ci(np.arange(1.0, 101.0), np.arange(21.0, 121.0), 0.5)
    >>> low < -20.0 < high, high < 0.0
    (True, True)
    """
    first, second = _floats(a), _floats(b)
    if first.size < 2 or second.size < 2:
        return NAN_INTERVAL
    rng = np.random.default_rng(seed)
    draws = []
    for sample in (first, second):
        values, cdf = quantile_distribution(sample, q)
        index = np.searchsorted(cdf, rng.random(DIFF_DRAWS), side="left")
        draws.append(values[np.minimum(index, values.size - 1)])
    tail = (1.0 - level) / 2.0
    # Linear interpolation between draws, as scipy.stats.bootstrap reads its percentiles.
    low, high = np.percentile(draws[0] - draws[1], [100.0 * tail, 100.0 * (1.0 - tail)])
    return _interval(low, high)


# --- means -----------------------------------------------------------------------------------


def mean_ci(x: ArrayLike, level: float = 0.95) -> Interval:
    """Student t interval of the mean.

    Parameters
    ----------
    x : array_like
        The sample, without NaN.
    level : float
        The confidence level.

    Returns
    -------
    (float, float)
        ``scipy.stats.t.interval`` around the mean with the standard error of the mean;
        ``(nan, nan)`` for fewer than two values; the mean twice when all values are equal.

    Examples
    --------
    >>> low, high = mean_ci([1.0, 2.0, 3.0, 4.0])
    >>> round(low, 3), round(high, 3)
    (0.446, 4.554)
    """
    sample = _floats(x)
    if sample.size < 2:
        return NAN_INTERVAL
    mean = float(np.mean(sample))
    if np.ptp(sample) == 0:
        return (mean, mean)
    low, high = st.t.interval(level, sample.size - 1, loc=mean, scale=st.sem(sample))
    return _interval(low, high)


def mean_diff_ci(a: ArrayLike, b: ArrayLike, level: float = 0.95) -> Interval:
    """Welch interval of ``mean(a) - mean(b)`` (unequal variances).

    Parameters
    ----------
    a, b : array_like
        The two samples, without NaN.
    level : float
        The confidence level.

    Returns
    -------
    (float, float)
        ``scipy.stats.ttest_ind(a, b, equal_var=False).confidence_interval(level)``;
        ``(nan, nan)`` when an arm has fewer than two values; the difference twice when both
        arms are constant.

    Examples
    --------
    >>> low, high = mean_diff_ci([1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0, 7.0])
    >>> round(low, 3), round(high, 3)
    (-4.765, -0.235)
    """
    first, second = _floats(a), _floats(b)
    if first.size < 2 or second.size < 2:
        return NAN_INTERVAL
    if np.ptp(first) == 0 and np.ptp(second) == 0:
        difference = float(first[0] - second[0])
        return (difference, difference)
    with warnings.catch_warnings():
        # scipy warns of "catastrophic cancellation" for a constant arm, whose variance is in
        # fact exactly 0; Welch's interval then rests on the other arm alone, as it should.
        if np.ptp(first) == 0 or np.ptp(second) == 0:
            warnings.filterwarnings("ignore", message="Precision loss", category=RuntimeWarning)
        result = st.ttest_ind(first, second, equal_var=False)
    interval = result.confidence_interval(confidence_level=level)
    return _interval(interval.low, interval.high)


# --- rates -----------------------------------------------------------------------------------


def _check_count(k: int, n: int) -> None:
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"A rate needs 0 <= k <= n, not k={k}, n={n}.")


def wilson_ci(k: int, n: int, level: float = 0.95) -> Interval:
    """Wilson score interval of the rate ``k / n``.

    Parameters
    ----------
    k, n : int
        Successes and trials.
    level : float
        The confidence level.

    Returns
    -------
    (float, float)
        ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``; ``(nan, nan)`` when
        ``n == 0``.

    Examples
    --------
    >>> low, high = wilson_ci(8, 10)
    >>> round(low, 4), round(high, 4)
    (0.4902, 0.9433)
    """
    _check_count(k, n)
    if n == 0:
        return NAN_INTERVAL
    interval = st.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    return _interval(interval.low, interval.high)


def rate_diff_ci(k1: int, n1: int, k2: int, n2: int, level: float = 0.95) -> Interval:
    """Newcombe's hybrid score interval of ``k1/n1 - k2/n2``.

    Parameters
    ----------
    k1, n1, k2, n2 : int
        Successes and trials of each arm.
    level : float
        The confidence level.

    Returns
    -------
    (float, float)
        ``statsmodels.stats.proportion.confint_proportions_2indep(method="newcomb",
        compare="diff")``; ``(nan, nan)`` when an arm has no trials.

    Examples
    --------
    >>> low, high = rate_diff_ci(56, 70, 48, 80)
    >>> round(low, 4), round(high, 4)
    (0.0524, 0.3339)
    """
    _check_count(k1, n1)
    _check_count(k2, n2)
    if n1 == 0 or n2 == 0:
        return NAN_INTERVAL
    low, high = confint_proportions_2indep(
        k1, n1, k2, n2, method="newcomb", compare="diff", alpha=1.0 - level
    )
    return _interval(low, high)


# --- tests -----------------------------------------------------------------------------------


def mann_whitney_p(a: ArrayLike, b: ArrayLike) -> float:
    """Two-sided Mann-Whitney U p-value of a shift between two samples.

    Parameters
    ----------
    a, b : array_like
        The two samples, without NaN.

    Returns
    -------
    float
        ``scipy.stats.mannwhitneyu(a, b, alternative="two-sided").pvalue`` (exact for small
        samples without ties, normal approximation with tie correction otherwise); ``nan`` when
        an arm is empty or every value of both arms is the same.

    Examples
    --------
    >>> round(mann_whitney_p([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]), 4)
    0.0286
    >>> mann_whitney_p([2.0, 2.0], [2.0])
    nan
    """
    first, second = _floats(a), _floats(b)
    if first.size == 0 or second.size == 0:
        return math.nan
    if np.ptp(np.concatenate([first, second])) == 0:
        return math.nan
    return float(st.mannwhitneyu(first, second, alternative="two-sided").pvalue)


def chi_square_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """p-value of a difference between two rates (2 x 2 table).

    Pearson's chi-square with Yates' continuity correction (``scipy.stats.chi2_contingency``,
    its default for 2 x 2), or Fisher's exact test (``scipy.stats.fisher_exact``) when any
    expected count is below 5, where the chi-square approximation is poor.

    Parameters
    ----------
    k1, n1, k2, n2 : int
        Successes and trials of each arm.

    Returns
    -------
    float
        The two-sided p-value; ``nan`` when an arm has no trials or the table has no variation
        (all successes or all failures in both arms).

    Examples
    --------
    >>> round(chi_square_p(56, 70, 48, 80), 4)
    0.0134
    >>> round(chi_square_p(1, 10, 6, 10), 4)
    0.0573
    """
    _check_count(k1, n1)
    _check_count(k2, n2)
    if n1 == 0 or n2 == 0 or k1 + k2 in (0, n1 + n2):
        return math.nan
    table = np.array([[k1, n1 - k1], [k2, n2 - k2]])
    if np.any(st.contingency.expected_freq(table) < 5):
        return float(st.fisher_exact(table).pvalue)
    return float(st.chi2_contingency(table).pvalue)


def holm(pvalues: Mapping[str, float]) -> dict[str, float]:
    """Holm's step-down adjustment of a family of p-values.

    Parameters
    ----------
    pvalues : mapping of str to float
        Raw p-values by metric name.

    Returns
    -------
    dict of str to float
        ``statsmodels.stats.multitest.multipletests(method="holm")`` adjusted p-values, in the
        input's order. A ``nan`` p-value (an untestable metric) is not part of the family and
        stays ``nan``.

    Examples
    --------
    >>> holm({"ttr": 0.01, "fcr": 0.04, "csat": 0.03, "reopen": math.nan})
    {'ttr': 0.03, 'fcr': 0.06, 'csat': 0.06, 'reopen': nan}
    """
    adjusted = dict.fromkeys(pvalues, math.nan)
    names = [name for name, p in pvalues.items() if not math.isnan(p)]
    if names:
        _, corrected, _, _ = multipletests([pvalues[name] for name in names], method="holm")
        adjusted.update({name: float(p) for name, p in zip(names, corrected, strict=True)})
    return adjusted


# --- time to resolution ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Survival:
    """Kaplan-Meier estimate of the time to resolution, as the share of tickets resolved.

    Attributes
    ----------
    times : ndarray
        The distinct times at which some ticket resolved, increasing.
    resolved_share : ndarray
        ``1 - S(t)`` just after each time.
    lo, hi : ndarray
        The pointwise confidence band of `resolved_share` (Greenwood, linear, clipped to
        [0, 1]); ``nan`` where the variance is undefined (every remaining ticket resolved at
        that time).
    median : float
        First time with ``S(t) <= 0.5``; ``nan`` if half never resolved.
    median_ci : (float, float)
        The first time the band's lower survival curve reaches 0.5, and the first time its
        upper one does (Brookmeyer and Crowley); an end is ``nan`` when its curve never does
        (the interval is open upwards).
    p90 : float
        First time with ``S(t) <= 0.1``; ``nan`` if never reached.
    n, events : int
        Tickets, and tickets resolved.
    horizon : float
        The last observed time, resolved or censored; ``nan`` when there are no tickets.
    """

    times: Floats
    resolved_share: Floats
    lo: Floats
    hi: Floats
    median: float
    median_ci: Interval
    p90: float
    n: int = 0
    events: int = 0
    horizon: float = math.nan


def _first_time(times: Floats, reached: NDArray[np.bool_]) -> float:
    hits = np.flatnonzero(reached)
    return float(times[hits[0]]) if hits.size else math.nan


def kaplan_meier(durations: ArrayLike, observed: ArrayLike, level: float = 0.95) -> Survival:
    """Kaplan-Meier time to resolution, open tickets censored.

    ``scipy.stats.ecdf`` of ``scipy.stats.CensoredData`` (resolved tickets uncensored, open ones
    right-censored at their age), with scipy's default pointwise band (Greenwood's variance,
    linear scale). The median's interval is read where that band crosses 0.5: the lower end is
    the first time the lower survival curve reaches 0.5, the upper end the first time the upper
    one does, the construction of Brookmeyer & Crowley (1982) applied to the pointwise band.

    Parameters
    ----------
    durations : array_like
        Time from creation to resolution for resolved tickets, to the censoring moment for open
        ones; non-negative.
    observed : array_like of bool
        True for resolved tickets.
    level : float
        The confidence level of the band and of the median's interval.

    Returns
    -------
    Survival
        Empty arrays and ``nan`` figures when no ticket resolved (or there are none).

    Examples
    --------
    >>> s = kaplan_meier([1.0, 2.0, 2.0, 3.0, 4.0], [True, True, False, True, False])
    >>> s.times.tolist(), np.round(s.resolved_share, 3).tolist()
    ([1.0, 2.0, 3.0], [0.2, 0.4, 0.7])
    >>> s.median, s.p90
    (3.0, nan)
    """
    times = _floats(durations)
    resolved = np.asarray(observed, dtype=bool)
    if resolved.shape != times.shape:
        raise ValueError("durations and observed must have the same length.")
    if np.any(times < 0):
        raise ValueError("Durations must be non-negative.")
    n, events = int(times.size), int(resolved.sum())
    horizon = float(times.max()) if n else math.nan
    if events == 0:
        empty = np.empty(0)
        return Survival(empty, empty, empty, empty, math.nan, NAN_INTERVAL, math.nan, n, 0, horizon)

    result = st.ecdf(st.CensoredData(uncensored=times[resolved], right=times[~resolved]))
    with warnings.catch_warnings():
        # Greenwood's variance is 0/0 where S drops to 0; scipy warns and answers nan, which is
        # the honest answer and documented on Survival.
        warnings.filterwarnings(
            "ignore", message="The confidence interval is undefined", category=RuntimeWarning
        )
        band = result.sf.confidence_interval(level)
    # scipy steps at censoring times too; the curve only moves at resolutions.
    at_event = np.isin(result.sf.quantiles, times[resolved])
    survival = result.sf.probabilities[at_event]
    upper = band.high.probabilities[at_event]
    lower = band.low.probabilities[at_event]
    event_times = result.sf.quantiles[at_event].astype(np.float64)

    half = 0.5 + _SURVIVAL_TOLERANCE
    return Survival(
        times=event_times,
        resolved_share=1.0 - survival,
        lo=1.0 - upper,
        hi=1.0 - lower,
        median=_first_time(event_times, survival <= half),
        median_ci=(
            _first_time(event_times, lower <= half),
            _first_time(event_times, upper <= half),
        ),
        p90=_first_time(event_times, survival <= 0.1 + _SURVIVAL_TOLERANCE),
        n=n,
        events=events,
        horizon=horizon,
    )


def restricted_mean(s: Survival) -> float:
    """Restricted mean time to resolution: the area under S(t) up to the last observed time.

    Parameters
    ----------
    s : Survival
        A Kaplan-Meier estimate.

    Returns
    -------
    float
        The mean time to resolution when every ticket resolved; a lower bound of it, restricted
        to `s.horizon`, when the last tickets are open; ``nan`` when there are no tickets.

    Examples
    --------
    >>> restricted_mean(kaplan_meier([1.0, 2.0, 3.0], [True, True, True]))
    2.0
    >>> restricted_mean(kaplan_meier([4.0], [False]))
    4.0
    """
    if s.n == 0:
        return math.nan
    knots = np.concatenate([[0.0], s.times, [s.horizon]])
    heights = np.concatenate([[1.0], 1.0 - s.resolved_share])
    return float(np.sum(heights * np.diff(knots)))


def survival_on_grid(s: Survival, grid: ArrayLike) -> Survival:
    """The Kaplan-Meier step function and its band read at chosen times (for a chart or a table).

    Parameters
    ----------
    s : Survival
        A Kaplan-Meier estimate.
    grid : array_like
        Times to read the curve at.

    Returns
    -------
    Survival
        The same estimate with `times` replaced by `grid`: 0 before the first resolution,
        ``nan`` beyond the horizon, where the estimate says nothing.

    Examples
    --------
    >>> s = kaplan_meier([1.0, 2.0, 3.0, 4.0], [True, True, True, False])
    >>> survival_on_grid(s, [0.0, 1.5, 3.0, 9.0]).resolved_share.tolist()
    [0.0, 0.25, 0.75, nan]
    """
    points = _floats(grid)
    index = np.searchsorted(s.times, points, side="right") - 1
    beyond = ~(points <= s.horizon)

    def read(curve: Floats) -> Floats:
        values = np.where(index >= 0, curve[np.maximum(index, 0)] if curve.size else 0.0, 0.0)
        return np.where(beyond, math.nan, values).astype(np.float64)

    return Survival(
        points,
        read(s.resolved_share),
        read(s.lo),
        read(s.hi),
        s.median,
        s.median_ci,
        s.p90,
        s.n,
        s.events,
        s.horizon,
    )


# --- power -----------------------------------------------------------------------------------


def _per_arm(
    solver: NormalIndPower | TTestIndPower, effect: float, alpha: float, power: float
) -> float:
    """Per-arm sample size of a two-sided, two-sample test with equal arms, at least 2."""
    with warnings.catch_warnings():
        # statsmodels' root finder probes invalid sizes on its way and may give up at extreme
        # effects (|h| near pi, or 1e-9); both are caught here and answered below.
        warnings.simplefilter("ignore")
        size = float(
            np.asarray(
                solver.solve_power(
                    effect_size=effect, alpha=alpha, power=power, ratio=1.0, alternative="two-sided"
                ),
                dtype=np.float64,
            ).reshape(-1)[0]
        )
    if not (math.isfinite(size) and size > 0):
        # The closed normal form the solver approximates (its far tail dropped): n = 2 (z_a/2 +
        # z_b)^2 / effect^2, through statsmodels with sd sqrt(2) for a difference of two means.
        size = float(normal_sample_size_one_tail(effect, power, alpha / 2, std_null=math.sqrt(2)))
    return max(size, 2.0)


def needed_per_arm_rate(
    p1: float, p2: float, alpha: float = 0.05, power: float = 0.8
) -> int | None:
    """Tickets per arm a two-sided test needs to detect the observed difference of two rates.

    Cohen's h (``statsmodels.stats.proportion.proportion_effectsize``, the arcsine-transformed
    difference) and the normal-approximation sample size of
    ``statsmodels.stats.power.NormalIndPower`` for equal arms.

    Parameters
    ----------
    p1, p2 : float
        The observed rates.
    alpha : float
        The significance level (after any multiplicity adjustment the caller wants).
    power : float
        The wanted power.

    Returns
    -------
    int or None
        The total per arm (callers subtract what they have), at least 2; ``None`` when the
        rates are equal or undefined, where no sample size detects the difference.

    Examples
    --------
    >>> needed_per_arm_rate(0.8, 0.7)
    292
    >>> needed_per_arm_rate(0.5, 0.5) is None
    True
    """
    if not (0.0 <= p1 <= 1.0 and 0.0 <= p2 <= 1.0):
        return None
    effect = float(proportion_effectsize(p1, p2))
    if effect == 0.0 or not math.isfinite(effect):
        return None
    return math.ceil(_per_arm(NormalIndPower(), abs(effect), alpha, power))


def needed_per_arm_shift(
    a: ArrayLike, b: ArrayLike, alpha: float = 0.05, power: float = 0.8
) -> int | None:
    """Tickets per arm a Mann-Whitney test needs to detect the observed shift between samples.

    Durations and counts are skewed, so the effect is measured on ``log1p`` of the values:
    Cohen's d, the difference of means over the pooled standard deviation. The two-sample
    t-test's sample size at that d (``statsmodels.stats.power.TTestIndPower.solve_power``,
    two-sided, equal arms) is divided by Mann-Whitney's asymptotic relative efficiency against
    the t-test, 3/pi (about 0.955; Lehmann 1975), since the comparison uses Mann-Whitney. An
    approximation: on the skewed, tied data of tickets the rank test's efficiency is usually
    higher, so the figure errs on the side of asking for more.

    Parameters
    ----------
    a, b : array_like
        The observed samples (durations or counts, > -1), without NaN.
    alpha : float
        The significance level.
    power : float
        The wanted power.

    Returns
    -------
    int or None
        The total per arm (callers subtract what they have), at least 2; ``None`` when an arm
        has fewer than two values, both arms are constant, or the means of ``log1p`` are equal.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> a, b = rng.exponential(2.0, 200), rng.exponential(2.4, 200)
    >>> needed = needed_per_arm_shift(a, b)
    >>> needed > 200
    True
    >>> needed_per_arm_shift([1.0, 2.0], [1.0, 2.0]) is None
    True
    """
    first, second = _floats(a), _floats(b)
    if first.size < 2 or second.size < 2:
        return None
    if np.any(first <= -1) or np.any(second <= -1):
        raise ValueError("needed_per_arm_shift takes values above -1 (durations, counts).")
    log_a, log_b = np.log1p(first), np.log1p(second)
    pooled_var = (
        (first.size - 1) * np.var(log_a, ddof=1) + (second.size - 1) * np.var(log_b, ddof=1)
    ) / (first.size + second.size - 2)
    difference = float(np.mean(log_a) - np.mean(log_b))
    if pooled_var == 0 or difference == 0:
        return None
    effect = abs(difference) / math.sqrt(pooled_var)
    return math.ceil(_per_arm(TTestIndPower(), effect, alpha, power) / MANN_WHITNEY_ARE)


# --- case mix --------------------------------------------------------------------------------


def standardised(
    values_by_stratum: Mapping[Hashable, float], weights: Mapping[Hashable, float]
) -> float:
    """Direct standardisation: the weighted mean of per-stratum values.

    Parameters
    ----------
    values_by_stratum : mapping
        A statistic per stratum (e.g. the median time to resolution per priority).
    weights : mapping
        The standard population's weight per stratum (sizes or shares); non-negative.

    Returns
    -------
    float
        ``sum(w * v) / sum(w)`` over strata with a value that is not ``nan`` and a positive
        weight (the weights are renormalised over those); ``nan`` when there is none.

    Examples
    --------
    >>> standardised({"P1": 2.0, "P2": 4.0, "P3": math.nan}, {"P1": 1, "P2": 3, "P3": 6})
    3.5
    """
    if any(weight < 0 for weight in weights.values()):
        raise ValueError("Standardisation weights must be non-negative.")
    usable = [
        (value, weights.get(stratum, 0.0))
        for stratum, value in values_by_stratum.items()
        if not math.isnan(value) and weights.get(stratum, 0.0) > 0
    ]
    if not usable:
        return math.nan
    values, stratum_weights = zip(*usable, strict=True)
    return float(np.average(values, weights=stratum_weights))


@dataclass(frozen=True)
class Stratum:
    """One stratum of a stratified comparison: the statistic and the size of each arm."""

    stratum: Hashable
    a: float
    b: float
    n_a: int
    n_b: int


@dataclass(frozen=True)
class StratifiedDifference:
    """Arms compared within strata and standardised to their pooled mix.

    Attributes
    ----------
    strata : tuple of Stratum
        Every stratum seen in either arm, sorted.
    a, b : float
        Each arm's statistic directly standardised to the pooled mix of the shared strata.
    estimate : float
        ``a - b``: the weighted mean of the within-stratum differences.
    """

    strata: tuple[Stratum, ...]
    a: float
    b: float
    estimate: float


def _plain(key: object) -> Hashable:
    # numpy scalars become Python ones, so strata serialise as JSON keys.
    return key.item() if isinstance(key, np.generic) else key


def stratified_difference(
    values_a: ArrayLike,
    strata_a: ArrayLike,
    values_b: ArrayLike,
    strata_b: ArrayLike,
    statistic: Callable[[Floats], float],
) -> StratifiedDifference:
    """Difference between arms adjusted for case mix by direct standardisation.

    The `statistic` (median, mean, rate of 0/1 values, ...) is computed per stratum and arm.
    Both arms are then standardised to the same population, the pooled stratum sizes of the two
    arms (``n_a + n_b``), over the strata both arms have: the figure each arm would show had it
    received the pooled mix of priorities or categories. Strata seen in one arm only are listed
    but cannot be compared and carry no weight.

    Parameters
    ----------
    values_a, values_b : array_like
        Each arm's values, without NaN.
    strata_a, strata_b : array_like
        The stratum of each value (any sortable labels of one kind).
    statistic : callable
        Maps a non-empty float array to a float.

    Returns
    -------
    StratifiedDifference
        ``nan`` standardised figures when the arms share no stratum.

    Examples
    --------
    >>> result = stratified_difference(
    ...     [1.0, 1.0, 5.0], ["P1", "P1", "P3"], [2.0, 6.0, 6.0, 6.0], ["P1", "P3", "P3", "P3"],
    ...     lambda x: float(np.mean(x)),
    ... )
    >>> [(s.stratum, s.a, s.b, s.n_a, s.n_b) for s in result.strata]
    [('P1', 1.0, 2.0, 2, 1), ('P3', 5.0, 6.0, 1, 3)]
    >>> round(result.a, 4), round(result.b, 4), result.estimate
    (3.2857, 4.2857, -1.0)
    """
    first, second = _floats(values_a), _floats(values_b)
    labels_a, labels_b = np.asarray(strata_a), np.asarray(strata_b)
    if labels_a.shape != first.shape or labels_b.shape != second.shape:
        raise ValueError("Every value needs a stratum.")
    rows = []
    for key in np.unique(np.concatenate([labels_a, labels_b])):
        in_a, in_b = first[labels_a == key], second[labels_b == key]
        rows.append(
            Stratum(
                stratum=_plain(key),
                a=float(statistic(in_a)) if in_a.size else math.nan,
                b=float(statistic(in_b)) if in_b.size else math.nan,
                n_a=int(in_a.size),
                n_b=int(in_b.size),
            )
        )
    shared = [row for row in rows if not (math.isnan(row.a) or math.isnan(row.b))]
    weights = {row.stratum: float(row.n_a + row.n_b) for row in shared}
    standard_a = standardised({row.stratum: row.a for row in shared}, weights)
    standard_b = standardised({row.stratum: row.b for row in shared}, weights)
    return StratifiedDifference(tuple(rows), standard_a, standard_b, standard_a - standard_b)
