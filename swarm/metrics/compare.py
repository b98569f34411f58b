"""The tiered-versus-swarm comparison: every metric per arm with its interval, the differences
with tests corrected for multiplicity, the mix-adjusted figures, and a verdict in words.

:func:`build_report` takes the :class:`~swarm.metrics.facts.TicketFacts` of one dataset and
returns plain JSON-able data (the shape is documented in docs/metrics.md, "The report"); the
API, the CLI, the dashboard and the CSV export all read this one structure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from swarm.metrics import stats
from swarm.metrics.facts import ARMS, PRIORITIES, TicketFacts

__all__ = [
    "DEFAULT_RATES",
    "HEADLINE",
    "METRICS",
    "CostRates",
    "Metric",
    "arm_metrics",
    "build_report",
]

Floats = NDArray[np.float64]
HOUR = 3600.0


@dataclass(frozen=True)
class CostRates:
    """Cost of one resolved ticket by the highest level that worked on it (owner or helper),
    plus the field rate when it went to a vendor. Defaults: TSIA's published B2B cost per
    resolved incident — L1 $45, L2 $80, L3 $150, field (on-site) $450."""

    l1: float = 45.0
    l2: float = 80.0
    l3: float = 150.0
    field: float = 450.0
    currency: str = "USD"

    def by_level(self, level: NDArray[np.int64]) -> Floats:
        """The rate of each level (1–3; anything else counts as L1)."""
        rates = np.full(level.shape, self.l1, dtype=np.float64)
        rates[level == 2] = self.l2
        rates[level >= 3] = self.l3
        return rates


DEFAULT_RATES = CostRates()


@dataclass(frozen=True)
class Metric:
    """One metric: how to read it per ticket, and which way is better."""

    name: str
    label: str
    kind: str  # duration | count | rate | score
    better: str  # lower | higher
    unit: str = ""
    values: Callable[[TicketFacts, Mapping[str, Any]], Any] = field(
        default=lambda f, ctx: None, repr=False, compare=False
    )


def _hours(later: Floats, earlier: Floats) -> Floats:
    # A clock that ran backwards gives zero, not a negative duration (docs/metrics.md).
    return np.maximum(later - earlier, 0.0) / HOUR


def _known(x: Floats) -> Floats:
    return x[~np.isnan(x)]


def _response_s(f: TicketFacts) -> Floats:
    return np.fmin(f.first_assigned_s, f.first_reply_s)


def _relevant_s(f: TicketFacts) -> Floats:
    reach = np.where(f.resolved, f.resolver_s, np.nan)
    return np.fmin(reach, f.first_helper_s)


def _sla(f: TicketFacts, ctx: Mapping[str, Any]) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(met, known) for the response and the resolution targets, per ticket."""
    targets: Mapping[str, tuple[float, float]] = ctx["sla_targets"]
    respond = np.full(len(f), np.nan)
    resolve = np.full(len(f), np.nan)
    for i, name in enumerate(PRIORITIES):
        if name in targets:
            respond[f.priority == i], resolve[f.priority == i] = targets[name]
    response = _response_s(f) - f.created_s
    waited = f.as_of_s - f.created_s
    r_known = ~np.isnan(respond) & (~np.isnan(response) | (waited > respond))
    r_met = ~np.isnan(response) & (response <= respond)
    worked = np.where(f.resolved, f.resolved_s, f.as_of_s) - f.created_s - f.paused_s
    s_known = ~np.isnan(resolve) & (f.resolved | (worked > resolve))
    s_met = f.resolved & (worked <= resolve)
    return np.stack([r_met, s_met]), np.stack([r_known, s_known])


def _sla_rate(f: TicketFacts, ctx: Mapping[str, Any], which: int) -> tuple[int, int]:
    met, known = _sla(f, ctx)
    return _rate(met[which], known[which])


def _rate(k: NDArray[np.bool_], n: NDArray[np.bool_]) -> tuple[int, int]:
    return int(np.sum(k & n)), int(np.sum(n))


def _fcr(f: TicketFacts) -> tuple[int, int]:
    first = f.resolved & (f.handoffs == 0) & (f.reopens == 0) & (f.resolver == f.first_owner)
    return _rate(first, f.resolved)


def _cost(f: TicketFacts, rates: CostRates) -> Floats:
    level = np.maximum(np.maximum(f.owner_level, f.helper_level), np.maximum(f.top_tier, 1))
    level = np.where(f.top_tier >= 4, np.maximum(f.owner_level, 1), level)
    return rates.by_level(level) + np.where(f.vendor_handoffs > 0, rates.field, 0.0)


METRICS: tuple[Metric, ...] = (
    Metric(
        "ttr_hours",
        "Time to resolution",
        "duration",
        "lower",
        "hours",
        lambda f, ctx: _hours(np.where(f.resolved, f.resolved_s, f.as_of_s), f.created_s),
    ),
    Metric(
        "first_response_hours",
        "Time to first response",
        "duration",
        "lower",
        "hours",
        lambda f, ctx: _known(_hours(_response_s(f), f.created_s)),
    ),
    Metric(
        "time_to_own_hours",
        "Time to own",
        "duration",
        "lower",
        "hours",
        lambda f, ctx: _known(_hours(f.first_assigned_s, f.created_s)),
    ),
    Metric(
        "time_to_relevant_hours",
        "Time to the relevant person",
        "duration",
        "lower",
        "hours",
        lambda f, ctx: _known(_hours(_relevant_s(f), f.created_s)),
    ),
    Metric(
        "time_to_first_helper_hours",
        "Time to first helper",
        "duration",
        "lower",
        "hours",
        lambda f, ctx: _known(_hours(f.first_helper_s, f.created_s)),
    ),
    Metric(
        "vendor_hours",
        "Time with a vendor",
        "duration",
        "lower",
        "hours",
        lambda f, ctx: f.vendor_s[f.vendor_handoffs > 0] / HOUR,
    ),
    Metric("handoffs", "Handoffs", "count", "lower", "", lambda f, ctx: f.handoffs * 1.0),
    Metric("escalations", "Escalations", "count", "lower", "", lambda f, ctx: f.escalations * 1.0),
    Metric(
        "touches", "People who worked on it", "count", "lower", "", lambda f, ctx: f.touches * 1.0
    ),
    Metric(
        "helpers", "Contributing helpers", "count", "higher", "", lambda f, ctx: f.helpers * 1.0
    ),
    Metric(
        "guests", "Outside helpers (guests)", "count", "lower", "", lambda f, ctx: f.guests * 1.0
    ),
    Metric(
        "effort_minutes",
        "Helpers' room minutes",
        "count",
        "lower",
        "minutes",
        lambda f, ctx: f.helper_seconds / 60.0,
    ),
    Metric("fcr_rate", "First-contact resolution", "rate", "higher", "", lambda f, ctx: _fcr(f)),
    Metric(
        "reopen_rate",
        "Reopened",
        "rate",
        "lower",
        "",
        lambda f, ctx: _rate(f.reopens > 0, f.resolved | (f.reopens > 0)),
    ),
    Metric(
        "escalation_rate",
        "Escalated",
        "rate",
        "lower",
        "",
        lambda f, ctx: _rate(f.escalations > 0, np.ones(len(f), dtype=bool)),
    ),
    Metric(
        "sla_response_rate",
        "Response within SLA",
        "rate",
        "higher",
        "",
        lambda f, ctx: _sla_rate(f, ctx, 0),
    ),
    Metric(
        "sla_resolution_rate",
        "Resolution within SLA",
        "rate",
        "higher",
        "",
        lambda f, ctx: _sla_rate(f, ctx, 1),
    ),
    Metric(
        "swarmed_rate",
        "Swarmed (a helper joined)",
        "rate",
        "higher",
        "",
        lambda f, ctx: _rate(f.helpers > 0, np.ones(len(f), dtype=bool)),
    ),
    Metric(
        "vendor_rate",
        "Went to a vendor",
        "rate",
        "lower",
        "",
        lambda f, ctx: _rate(f.vendor_handoffs > 0, np.ones(len(f), dtype=bool)),
    ),
    Metric(
        "satisfaction",
        "Requester satisfaction",
        "score",
        "higher",
        "of 5",
        lambda f, ctx: _known(f.satisfaction),
    ),
    Metric(
        "cost_per_resolved",
        "Cost per resolved ticket",
        "count",
        "lower",
        "USD",
        lambda f, ctx: _cost(f, ctx["rates"])[f.resolved],
    ),
)
BY_NAME = {m.name: m for m in METRICS}
#: The metrics the verdict speaks of and the dashboard puts first.
HEADLINE: tuple[str, ...] = ("ttr_hours", "handoffs", "fcr_rate", "satisfaction")


def _num(x: float) -> float | None:
    """JSON has no NaN: an undefined figure is null."""
    return None if x is None or not math.isfinite(x) else round(float(x), 6)


def _pair(ci: tuple[float, float]) -> list[float | None]:
    return [_num(ci[0]), _num(ci[1])]


def _summary(
    metric: Metric, f: TicketFacts, ctx: Mapping[str, Any], level: float
) -> dict[str, Any]:
    raw = metric.values(f, ctx)
    if metric.kind == "rate":
        k, n = raw
        rate = k / n if n else math.nan
        return {
            "kind": "rate",
            "k": k,
            "n": n,
            "rate": _num(rate),
            "ci": _pair(stats.wilson_ci(k, n, level)),
        }
    x = np.asarray(raw, dtype=np.float64)
    if metric.name == "ttr_hours":
        km = stats.kaplan_meier(x, f.resolved, level)
        resolved = x[f.resolved]
        return {
            "kind": "duration",
            "unit": metric.unit,
            "n": int(x.size),
            "resolved": int(resolved.size),
            "censored": int(x.size - resolved.size),
            "median": _num(km.median),
            "median_ci": _pair(km.median_ci),
            "p90": _num(km.p90),
            "p90_ci": _pair(stats.quantile_ci(_censored_as_inf(x, f.resolved), 0.9, level)),
            "mean": _num(stats.restricted_mean(km)),
        }
    base: dict[str, Any] = {"kind": metric.kind, "unit": metric.unit, "n": int(x.size)}
    if metric.kind == "duration":
        base |= {
            "median": _num(stats.quantile(x, 0.5)),
            "median_ci": _pair(stats.quantile_ci(x, 0.5, level)),
            "p90": _num(stats.quantile(x, 0.9)),
            "p90_ci": _pair(stats.quantile_ci(x, 0.9, level)),
            "mean": _num(float(np.mean(x)) if x.size else math.nan),
        }
    else:
        base |= {
            "mean": _num(float(np.mean(x)) if x.size else math.nan),
            "mean_ci": _pair(stats.mean_ci(x, level)),
            "median": _num(stats.quantile(x, 0.5)),
            "p90": _num(stats.quantile(x, 0.9)),
        }
        if metric.kind == "score":
            base["share"] = {
                str(s): _num(float(np.mean(np.round(x) == s)) if x.size else math.nan)
                for s in range(1, 6)
            }
    return base


def _censored_as_inf(x: Floats, observed: NDArray[np.bool_]) -> Floats:
    # A ticket still open has not resolved yet: for an order statistic it sits above every
    # resolved one, which is conservative wherever censoring is not all late.
    return np.where(observed, x, np.inf)


def arm_metrics(f: TicketFacts, ctx: Mapping[str, Any], level: float = 0.95) -> dict[str, Any]:
    """Everything one arm shows: counts, the figures the CLI contract names, each metric with
    its interval, cost, the survival curve and resolution by number of handoffs."""
    metrics = {m.name: _summary(m, f, ctx, level) for m in METRICS}
    h = f.handoffs
    n = len(f)
    share = (
        {
            "0": np.mean(h == 0),
            "1": np.mean(h == 1),
            "2": np.mean(h == 2),
            "3+": np.mean(h >= 3),
        }
        if n
        else {}
    )
    ttr = metrics["ttr_hours"]
    cost = _cost(f, ctx["rates"])[f.resolved]
    hours = _hours(np.where(f.resolved, f.resolved_s, f.as_of_s), f.created_s)
    km = stats.kaplan_meier(hours, f.resolved, level)
    return {
        "tickets": n,
        "resolved": int(np.sum(f.resolved)),
        "open": int(n - np.sum(f.resolved)),
        "handoffs": {
            "mean": metrics["handoffs"]["mean"],
            "median": metrics["handoffs"]["median"],
            "p90": metrics["handoffs"]["p90"],
            "share": {k: _num(float(v)) for k, v in share.items()},
        },
        "ttr_hours": {k: ttr[k] for k in ("median", "mean", "p90", "median_ci", "p90_ci")},
        "fcr_rate": metrics["fcr_rate"]["rate"],
        "reopen_rate": metrics["reopen_rate"]["rate"],
        "escalation_rate": metrics["escalation_rate"]["rate"],
        "metrics": metrics,
        "cost": {
            "per_resolved": _num(float(np.mean(cost)) if cost.size else math.nan),
            "total": _num(float(np.sum(cost))),
            "currency": ctx["rates"].currency,
            "helper_minutes": _num(float(np.sum(f.helper_seconds)) / 60.0),
        },
        "survival": _survival(km),
        "by_handoffs": _by_handoffs(f, hours),
    }


def _survival(km: stats.Survival, points: int = 80) -> dict[str, Any]:
    if km.times.size == 0:
        return {"hours": [], "resolved_share": [], "lo": [], "hi": []}
    grid = np.unique(
        np.concatenate(([0.0], np.quantile(km.times, np.linspace(0, 1, points)), [km.horizon]))
    )
    on = stats.survival_on_grid(km, grid)
    return {
        "hours": [_num(v) for v in grid],
        "resolved_share": [_num(v) for v in on.resolved_share],
        "lo": [_num(v) for v in on.lo],
        "hi": [_num(v) for v in on.hi],
    }


def _by_handoffs(f: TicketFacts, hours: Floats) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, mask in (
        ("0", f.handoffs == 0),
        ("1", f.handoffs == 1),
        ("2", f.handoffs == 2),
        ("3+", f.handoffs >= 3),
    ):
        done = hours[mask & f.resolved]
        out[name] = {
            "tickets": int(np.sum(mask)),
            "resolved": int(done.size),
            "ttr_median_hours": _num(stats.quantile(done, 0.5)),
            "ttr_p90_hours": _num(stats.quantile(done, 0.9)),
        }
    return out


# ---------------------------------------------------------------- differences between arms


def _difference(
    metric: Metric,
    a: TicketFacts,
    b: TicketFacts,
    ctx: Mapping[str, Any],
    level: float,
) -> dict[str, Any]:
    """Swarm minus tiered, with its interval and test (before multiplicity correction)."""
    va, vb = metric.values(a, ctx), metric.values(b, ctx)
    out: dict[str, Any] = {
        "label": metric.label,
        "unit": metric.unit,
        "better": metric.better,
    }
    if metric.kind == "rate":
        (k1, n1), (k2, n2) = va, vb
        est = (k1 / n1 - k2 / n2) if n1 and n2 else math.nan
        out |= {
            "statistic": "rate",
            "estimate": est,
            "ci": stats.rate_diff_ci(k1, n1, k2, n2, level) if n1 and n2 else stats.NAN_INTERVAL,
            "test": "chi-square",
            "p": stats.chi_square_p(k1, n1, k2, n2) if n1 and n2 else math.nan,
            "samples": (n1, n2),
            "power": ("rate", k1 / n1 if n1 else math.nan, k2 / n2 if n2 else math.nan),
        }
        return out
    xa, xb = np.asarray(va, dtype=np.float64), np.asarray(vb, dtype=np.float64)
    if metric.name == "ttr_hours":
        ka = stats.kaplan_meier(xa, a.resolved, level)
        kb = stats.kaplan_meier(xb, b.resolved, level)
        ia, ib = _censored_as_inf(xa, a.resolved), _censored_as_inf(xb, b.resolved)
        out |= {
            "statistic": "median",
            "estimate": ka.median - kb.median,
            "ci": stats.quantile_diff_ci(ia, ib, 0.5, level),
            "test": "log-rank",
            "p": _logrank(xa, a.resolved, xb, b.resolved),
        }
    elif metric.kind == "duration":
        out |= {
            "statistic": "median",
            "estimate": stats.quantile(xa, 0.5) - stats.quantile(xb, 0.5),
            "ci": stats.quantile_diff_ci(xa, xb, 0.5, level),
            "test": "mann-whitney",
            "p": stats.mann_whitney_p(xa, xb),
        }
    else:
        out |= {
            "statistic": "mean",
            "estimate": (float(np.mean(xa)) - float(np.mean(xb)))
            if xa.size and xb.size
            else math.nan,
            "ci": stats.mean_diff_ci(xa, xb, level),
            "test": "mann-whitney",
            "p": stats.mann_whitney_p(xa, xb),
        }
    out["samples"] = (int(xa.size), int(xb.size))
    out["power"] = ("shift", xa, xb)
    return out


def _logrank(xa: Floats, oa: NDArray[np.bool_], xb: Floats, ob: NDArray[np.bool_]) -> float:
    from scipy.stats import CensoredData, logrank  # type: ignore[import-untyped]

    if xa.size < 2 or xb.size < 2 or not (oa.any() or ob.any()):
        return math.nan
    result = logrank(
        CensoredData(uncensored=xa[oa], right=xa[~oa]),
        CensoredData(uncensored=xb[ob], right=xb[~ob]),
    )
    return float(result.pvalue)


def _adjusted(
    metric: Metric, a: TicketFacts, b: TicketFacts, ctx: Mapping[str, Any]
) -> dict[str, Any]:
    """The difference within each priority and each category, and standardised to the pooled
    mix (direct standardisation), for a metric with one value per ticket."""
    if metric.kind == "rate" and metric.name != "fcr_rate" and metric.name != "escalation_rate":
        return {}
    per_ticket = _per_ticket(metric, a, ctx), _per_ticket(metric, b, ctx)
    if per_ticket[0] is None or per_ticket[1] is None:
        return {}
    (va, ma), (vb, mb) = per_ticket[0], per_ticket[1]
    statistic: Callable[[Floats], float] = (
        (lambda x: stats.quantile(x, 0.5)) if metric.kind == "duration" else _mean
    )
    out: dict[str, Any] = {}
    for by, sa, sb in (
        ("priority", _labels(a.priority[ma], PRIORITIES), _labels(b.priority[mb], PRIORITIES)),
        ("category", _named(a.category[ma]), _named(b.category[mb])),
    ):
        d = stats.stratified_difference(va, sa, vb, sb, statistic)
        out[by] = {
            "estimate": _num(d.estimate),
            "swarm": _num(d.a),
            "tiered": _num(d.b),
            "strata": [
                {
                    "stratum": str(s.stratum),
                    "swarm": _num(s.a),
                    "tiered": _num(s.b),
                    "n_swarm": s.n_a,
                    "n_tiered": s.n_b,
                }
                for s in d.strata
            ],
        }
    return out


def _mean(x: Floats) -> float:
    return float(np.mean(x)) if x.size else math.nan


def _labels(codes: NDArray[np.int64], names: tuple[str, ...]) -> NDArray[np.str_]:
    return np.array([names[c] if 0 <= c < len(names) else "none" for c in codes], dtype=np.str_)


def _per_ticket(
    metric: Metric, f: TicketFacts, ctx: Mapping[str, Any]
) -> tuple[Floats, NDArray[np.bool_]] | None:
    """One value per ticket (and which tickets have one), for stratifying."""
    if metric.name == "ttr_hours":
        return _hours(f.resolved_s, f.created_s)[f.resolved], np.asarray(f.resolved)
    if metric.name == "handoffs":
        return f.handoffs.astype(np.float64), np.ones(len(f), dtype=np.bool_)
    if metric.name == "fcr_rate":
        first = (f.handoffs == 0) & (f.reopens == 0) & (f.resolver == f.first_owner)
        return first[f.resolved].astype(np.float64), np.asarray(f.resolved)
    if metric.name == "escalation_rate":
        return (f.escalations > 0).astype(np.float64), np.ones(len(f), dtype=np.bool_)
    if metric.name == "satisfaction":
        known = ~np.isnan(f.satisfaction)
        return f.satisfaction[known], known
    return None


def _needed(d: Mapping[str, Any], alpha: float) -> int | None:
    kind, *args = d["power"]
    if kind == "rate":
        total = stats.needed_per_arm_rate(args[0], args[1], alpha=alpha)
    else:
        total = stats.needed_per_arm_shift(args[0], args[1], alpha=alpha)
    if total is None:
        return None
    return max(0, int(total) - int(min(d["samples"])))


# ---------------------------------------------------------------- the report


def build_report(
    facts: TicketFacts,
    *,
    dataset: str,
    period: Mapping[str, Any],
    filters: Mapping[str, Any],
    sla_targets: Mapping[str, tuple[float, float]],
    rates: CostRates = DEFAULT_RATES,
    level: float = 0.95,
    bucket: str = "week",
) -> dict[str, Any]:
    """The whole comparison of one dataset (docs/metrics.md, "The report").

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> from swarm.metrics.facts import Selection, facts_from_log
    >>> from swarm.metrics.memory import memory_log
    >>> db = memory_log([{"ticket_id": 1, "type": "created", "at": 0.0,
    ...                   "data": {"mode": "swarm", "priority": "P3"}}])
    >>> facts = facts_from_log(db, Selection("live", datetime(2026, 1, 1, tzinfo=UTC)))
    >>> report = build_report(facts, dataset="live", period={}, filters={}, sla_targets={})
    >>> report["tickets"], sorted(report["arms"]), report["differences"]
    (1, ['swarm'], {})
    """
    ctx = {"sla_targets": sla_targets, "rates": rates}
    alpha = 1.0 - level
    arms = {name: facts.take(facts.arm == i) for i, name in enumerate(ARMS)}
    present = {name: f for name, f in arms.items() if len(f)}
    report: dict[str, Any] = {
        "dataset": dataset,
        "period": dict(period),
        "filters": dict(filters),
        "level": level,
        "tickets": len(facts),
        "randomised": bool(len(present) == 2 and len(facts) and bool(np.all(facts.split))),
        # A simulation runs the very same tickets through both arms (common random numbers):
        # no selection at all, so the difference is the policies' by construction.
        "design": "simulation" if dataset.startswith("sim:") else "observed",
        "arms": {name: arm_metrics(f, ctx, level) for name, f in present.items()},
        "differences": {},
        "headline": list(HEADLINE),
    }
    if len(present) == 2:
        a, b = present["swarm"], present["tiered"]
        diffs = {m.name: _difference(m, a, b, ctx, level) for m in METRICS}
        corrected = stats.holm({k: d["p"] for k, d in diffs.items()})
        for name, d in diffs.items():
            d["p_holm"] = corrected.get(name, math.nan)
            ci = d["ci"]
            d["conclusive"] = bool(
                math.isfinite(d["p_holm"])
                and d["p_holm"] < alpha
                and math.isfinite(ci[0])
                and math.isfinite(ci[1])
                and (ci[0] > 0 or ci[1] < 0)
            )
            d["needed_per_arm"] = None if d["conclusive"] else _needed(d, alpha)
            if name in HEADLINE:
                d["adjusted"] = _adjusted(BY_NAME[name], a, b, ctx)
        report["differences"] = {name: _jsonable(d) for name, d in diffs.items()}
    report["verdict"] = verdict(report)
    report["timeseries"] = timeseries(facts, bucket)
    report["backlog"] = backlog(facts)
    report["fit"] = fit(facts)
    return report


def _jsonable(d: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in d.items() if k not in ("power", "samples")}
    out["estimate"] = _num(d["estimate"])
    out["ci"] = _pair(d["ci"])
    out["p"] = _num(d["p"])
    out["p_holm"] = _num(d["p_holm"])
    out["n"] = {"swarm": d["samples"][0], "tiered": d["samples"][1]}
    return out


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "hours":
        return f"{value:.1f} h" if abs(value) >= 1 else f"{value * 60:.0f} min"
    if unit == "rate":
        return f"{value * 100:.0f} %"
    return f"{value:.2f}"


def verdict(report: Mapping[str, Any]) -> str:
    """The comparison in a few sentences a director can read."""
    arms = report["arms"]
    if not arms:
        return "No tickets in this selection: there is nothing to compare."
    if len(arms) == 1:
        (only,) = arms
        other = "tiered" if only == "swarm" else "swarm"
        return (
            f"All {report['tickets']} tickets in this selection ran in the {only} arm; "
            f"there is no {other} arm to compare with."
        )
    d = report["differences"]
    s, t = arms["swarm"], arms["tiered"]
    ttr = d["ttr_hours"]
    faster = (ttr["estimate"] or 0) < 0
    lead = (
        f"Median time to resolution: swarm {_fmt(s['ttr_hours']['median'], 'hours')}, "
        f"tiered {_fmt(t['ttr_hours']['median'], 'hours')}"
    )
    if ttr["conclusive"]:
        lead = f"Swarming resolves tickets {'faster' if faster else 'more slowly'} here. " + lead
        lo, hi = ttr["ci"]
        lead += (
            f" (difference {_fmt(ttr['estimate'], 'hours')}, {report['level']:.0%} CI "
            f"{_fmt(lo, 'hours')} to {_fmt(hi, 'hours')})."
        )
    else:
        more = ttr.get("needed_per_arm")
        lead += "; the difference is not conclusive yet" + (
            f" (about {more} more tickets per arm at the observed effect)." if more else "."
        )
    hand = (
        f" Tickets change hands {s['handoffs']['mean']:.2f} times on average in swarm and "
        f"{t['handoffs']['mean']:.2f} in tiered"
        + (" (conclusive)." if d["handoffs"]["conclusive"] else " (not conclusive).")
    )
    fcr = d["fcr_rate"]
    first = (
        f" First-contact resolution: {_fmt(s['fcr_rate'], 'rate')} against "
        f"{_fmt(t['fcr_rate'], 'rate')}"
        + (" (conclusive)." if fcr["conclusive"] else " (not conclusive).")
    )
    if report.get("design") == "simulation":
        how = (
            " Both arms ran the very same tickets (a simulation), so the difference is the "
            "routing policies'."
        )
    elif report["randomised"]:
        how = " The arms were split at random, so the difference is caused by the mode."
    else:
        how = (
            " The arms were not split at random: compare the mix-adjusted figures before "
            "reading the difference as the mode's effect."
        )
    return lead + hand + first + how


def timeseries(facts: TicketFacts, bucket: str = "week") -> dict[str, Any]:
    """Per week (or day) of creation and arm: tickets created, resolved since, median hours to
    resolution of those resolved, mean handoffs."""
    step = 7 * 86400.0 if bucket == "week" else 86400.0
    if len(facts) == 0:
        return {"bucket": bucket, "points": []}
    # Weeks start on Monday 00:00 UTC (epoch day 0 was a Thursday).
    offset = 3 * 86400.0 if bucket == "week" else 0.0
    start = np.floor((facts.created_s + offset) / step) * step - offset
    points = []
    for t0 in np.unique(start):
        in_bucket = start == t0
        entry: dict[str, Any] = {"start": datetime.fromtimestamp(float(t0), UTC).isoformat()}
        for i, arm in enumerate(ARMS):
            m = in_bucket & (facts.arm == i)
            if not m.any():
                continue
            done = m & facts.resolved
            hours = _hours(facts.resolved_s[done], facts.created_s[done])
            entry[arm] = {
                "created": int(np.sum(m)),
                "resolved": int(np.sum(done)),
                "ttr_median_hours": _num(stats.quantile(hours, 0.5)),
                "handoffs_mean": _num(float(np.mean(facts.handoffs[m]))),
            }
        points.append(entry)
    return {"bucket": bucket, "points": points}


AGE_BUCKETS: tuple[tuple[str, float], ...] = (
    ("<1d", 1.0),
    ("1-3d", 3.0),
    ("3-7d", 7.0),
    (">7d", math.inf),
)


def backlog(facts: TicketFacts) -> dict[str, Any]:
    """Tickets open at ``as_of``, by age and by arm."""
    open_ = ~facts.resolved
    age_days = np.maximum(facts.as_of_s - facts.created_s[open_], 0.0) / 86400.0
    by_age: dict[str, int] = {}
    lower = 0.0
    for name, upper in AGE_BUCKETS:
        by_age[name] = int(np.sum((age_days >= lower) & (age_days < upper)))
        lower = upper
    return {
        "open": int(np.sum(open_)),
        "by_age": by_age,
        "by_arm": {arm: int(np.sum(open_ & (facts.arm == i))) for i, arm in enumerate(ARMS)},
        "median_age_days": _num(stats.quantile(age_days, 0.5)),
    }


CSI = (
    "Consortium for Service Innovation, Intelligent Swarming: indicators that swarming fits "
    "(library.serviceinnovation.org)"
)


def fit(facts: TicketFacts) -> list[dict[str, Any]]:
    """The organisation's data against the indicators the Consortium for Service Innovation
    publishes for when swarming fits. An indicator the log cannot measure says so."""
    resolved = facts.resolved
    handling = _hours(facts.resolved_s - facts.paused_s, facts.first_assigned_s)[
        resolved & ~np.isnan(facts.first_assigned_s)
    ]
    mean_minutes = float(np.mean(handling)) * 60 if handling.size else math.nan
    p1 = float(np.mean(facts.priority == 0)) if len(facts) else math.nan
    trend = _l1l2_trend(facts)
    return [
        {
            "indicator": "Average work time over 15 minutes",
            "value": _num(mean_minutes),
            "unit": "minutes",
            "threshold": 15,
            "met": None if not math.isfinite(mean_minutes) else mean_minutes > 15,
            "how": "Mean time from assignment to resolution, pauses excluded: the log does not "
            "record hands-on time, so this is an upper bound on work time.",
            "source": CSI,
        },
        {
            "indicator": "More than 30 % new issues",
            "value": None,
            "unit": "share",
            "threshold": 0.30,
            "met": None,
            "how": "Needs the knowledge base to tell new issues from known ones (tickets "
            "resolved with a linked article); no ticket here links one.",
            "source": CSI,
        },
        {
            "indicator": "At least 20 % severity-1 work",
            "value": _num(p1),
            "unit": "share",
            "threshold": 0.20,
            "met": None if not math.isfinite(p1) else p1 >= 0.20,
            "how": "Share of tickets opened at priority P1.",
            "source": CSI,
        },
        {
            "indicator": "A falling share solved at L1/L2",
            "value": _num(trend),
            "unit": "points per month",
            "threshold": 0.0,
            "met": None if not math.isfinite(trend) else trend < 0,
            "how": "Change per month of the share of resolved tickets whose highest level was "
            "L1 or L2 (least-squares slope over the months of the selection).",
            "source": CSI,
        },
    ]


def _l1l2_trend(facts: TicketFacts) -> float:
    done = facts.resolved
    if np.sum(done) < 10:
        return math.nan
    level = np.maximum(np.maximum(facts.owner_level, facts.helper_level), facts.top_tier)[done]
    low = (level <= 2) * 1.0
    month = np.floor(facts.resolved_s[done] / (30.44 * 86400.0))
    months = np.unique(month)
    if months.size < 2:
        return math.nan
    share = np.array([np.mean(low[month == m]) for m in months])
    slope = np.polyfit(months - months[0], share, 1)[0]
    return float(slope)


def _named(categories: NDArray[np.str_]) -> NDArray[np.str_]:
    return np.where(categories == "", "(none)", categories)
