"""The manager dashboard: the two arms side by side with their intervals and the verdict, the
charts that make the case for swarming or against it, and the same figures as CSV.

``/dashboard`` renders the headline on the server (it paints without JavaScript) and embeds the
whole report as JSON for dashboard.js, which draws the charts; a filter or a live change makes
the script fetch the page again and swap its sections, so one template words every figure.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Response, render_template, request
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from swarm.models import User
from swarm.models.users import Role
from swarm.reporting.service import MetricsQuery, MetricsService
from swarm.runtime import db_session, profile_service, runtime
from swarm.tickets.errors import Forbidden, Invalid
from swarm.tiers.config import PRIORITIES
from swarm.web import web
from swarm.web.forms import current
from swarm.web.i18n import N_, translate

ARMS = ("swarm", "tiered")
ARM_LABELS = {"swarm": N_("Swarming"), "tiered": N_("Tiered")}
#: The metrics' names in words, for those the report's differences do not label.
METRIC_LABELS = {
    "first_response_hours": N_("First response"),
    "time_to_own_hours": N_("Time until owned"),
    "time_to_relevant_hours": N_("Time to the right person"),
    "ttr_hours": N_("Time to resolution"),
    "time_to_first_helper_hours": N_("Time to the first helper"),
    "vendor_hours": N_("Time at a vendor"),
    "handoffs": N_("Hand-offs per ticket"),
    "escalations": N_("Escalations per ticket"),
    "touches": N_("People who touched a ticket"),
    "helpers": N_("Helpers per ticket"),
    "guests": N_("Guests per ticket"),
    "effort_minutes": N_("Effort per ticket (minutes)"),
    "fcr_rate": N_("Resolved by the first owner"),
    "reopen_rate": N_("Reopened"),
    "escalation_rate": N_("Escalated"),
    "sla_response_rate": N_("First response within the SLA"),
    "sla_resolution_rate": N_("Resolved within the SLA"),
    "swarmed_rate": N_("Swarmed on"),
    "vendor_rate": N_("Sent to a vendor"),
    "satisfaction": N_("Satisfaction (1–5)"),
}
HANDOFF_BUCKETS = ("0", "1", "2", "3+")
CSV_COLUMNS = (
    "metric",
    "label",
    "arm",
    "statistic",
    "unit",
    "n",
    "estimate",
    "ci_low",
    "ci_high",
    "level",
    "p",
    "p_holm",
    "conclusive",
)


def metrics_service() -> MetricsService:
    return MetricsService(db_session(), runtime().clock)


def require_manager(user: User) -> None:
    if not user.has_role(Role.MANAGER):
        raise Forbidden("The dashboard is for managers and admins.")


# ------------------------------------------------------------------ the filters


def dashboard_query(args: MultiDict[str, str]) -> MetricsQuery:
    """The query the filter form asks for. ``to`` is the last day shown (inclusive), so the
    period's end is the next midnight; ``category`` may list several, comma-separated."""
    problems: dict[str, list[str]] = {}
    dataset = (args.get("dataset") or "live").strip()
    if len(dataset) > 64:
        problems["dataset"] = ["A dataset name has at most 64 characters."]
    days: dict[str, date | None] = {}
    for name in ("from", "to"):
        text = (args.get(name) or "").strip()
        try:
            days[name] = date.fromisoformat(text) if text else None
        except ValueError:
            problems[name] = ["Give a date as YYYY-MM-DD."]
            days[name] = None
    start, last = days["from"], days["to"]
    if last == date.max:  # the period ends the next midnight, which no date holds
        problems["to"] = ["Give a last day before 9999-12-31."]
        last = None
    if start and last and last < start:
        problems["to"] = ["The last day comes on or after the first."]
    priority = tuple(p for p in args.getlist("priority") if p)
    unknown = sorted(set(priority) - set(PRIORITIES))
    if unknown:
        known = ", ".join(PRIORITIES)
        problems["priority"] = [f"Unknown priority {', '.join(unknown)}; use {known}."]
    typed = (c.strip() for raw in args.getlist("category") for c in raw.split(","))
    category = tuple(dict.fromkeys(c for c in typed if c))
    if any(len(c) > 80 for c in category):
        problems["category"] = ["A category has at most 80 characters."]
    if problems:
        raise Invalid(
            "The filters are not valid: " + " ".join(m for ms in problems.values() for m in ms),
            fields=problems,
        )
    return MetricsQuery(
        dataset=dataset,
        start=_midnight(start) if start else None,
        end=_midnight(last) + timedelta(days=1) if last else None,
        priority=tuple(p for p in PRIORITIES if p in priority),
        category=category,
    )


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def filter_values(query: MetricsQuery) -> dict[str, Any]:
    """What the form shows (and the CSV link repeats)."""
    return {
        "dataset": query.dataset,
        "from": query.start.date().isoformat() if query.start else "",
        "to": (query.end - timedelta(days=1)).date().isoformat() if query.end else "",
        "priority": list(query.priority),
        "category": ", ".join(query.category),
    }


def dashboard_report(user: User, query: MetricsQuery) -> dict[str, Any]:
    """The report with the exceptions and the contribution the dashboard also shows."""
    require_manager(user)
    service = metrics_service()
    report = service.report(user, query)
    if "exceptions" not in report:
        report["exceptions"] = service.exceptions(user, query)
    if "contribution" not in report:
        report["contribution"] = service.contribution(user, query)
    if "knowledge" not in report:
        report["knowledge"] = service.knowledge(user, query)
    return report


# ------------------------------------------------------------------ people and exceptions

EXCEPTION_KINDS = {
    "unanswered_hand": "Hand raised, nobody came",
    "vendor_overdue": "Vendor overdue",
    "overloaded_expert": "Overloaded expert",
    "ping_pong": "Ping-pong between owners",
}


def _rows(section: Any, *keys: str) -> list[Mapping[str, Any]]:
    """A section's rows, whether it is the list itself or a mapping holding it."""
    if isinstance(section, Mapping):
        for key in keys:
            if isinstance(section.get(key), list):
                return list(section[key])
        return []
    return list(section) if isinstance(section, list) else []


def _name(row: Mapping[str, Any], key: str, fallback: str) -> str:
    for value in (row.get("name"), row.get(key)):
        if isinstance(value, str) and value:
            return value
        if isinstance(value, Mapping) and value.get("name"):
            return str(value["name"])
    return fallback


def exception_items(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``{kind, label, ticket_ids, subject, sentence}`` per exception (swarm/metrics/
    exceptions.py words each one's sentence)."""
    items = []
    for e in _rows(report.get("exceptions"), "items", "exceptions"):
        ids = e.get("ticket_ids") or ([e["ticket_id"]] if e.get("ticket_id") is not None else [])
        kind = str(e.get("kind") or "")
        items.append(
            {
                "kind": kind,
                "label": EXCEPTION_KINDS.get(kind, kind.replace("_", " ").capitalize()),
                "ticket_ids": [int(i) for i in ids],
                "subject": e.get("subject"),
                "sentence": e.get("sentence") or e.get("reason") or "",
                "priority": e.get("priority"),
            }
        )
    return items


def contributors(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Owners and helpers alike, most tickets contributed to first."""
    people = []
    for p in _rows(report.get("contribution"), "people", "contribution", "rows"):
        person_id = p.get("person_id") or (p.get("user") or {}).get("id")
        owned = p.get("tickets_owned", p.get("owned", 0)) or 0
        helped = p.get("tickets_helped", p.get("helped", 0)) or 0
        people.append(
            {
                "name": _name(p, "user", f"Person #{person_id}"),
                "contributed": p.get("tickets_contributed", owned + helped),
                "owned": owned,
                "resolved": p.get("tickets_resolved", p.get("resolved", 0)) or 0,
                "helped": helped,
                "messages": p.get("messages_total"),
                "minutes": p.get("helper_minutes", p.get("effort_minutes")),
            }
        )
    return sorted(people, key=lambda p: -(p["contributed"] or 0))


def skills_grown(report: Mapping[str, Any], skill_names: Mapping[int, str]) -> list[dict[str, Any]]:
    """Per skill: how many people grew in it and by how many levels in all, from the rows per
    person and skill that swarm/metrics/people.py gives (``growth``: the net change)."""
    contribution = report.get("contribution")
    section = report.get("growth", report.get("skill_growth"))
    if section is None and isinstance(contribution, Mapping):
        section = contribution.get("growth", contribution.get("skill_growth"))
    by_skill: dict[str, dict[str, Any]] = {}
    for row in _rows(section, "skills", "growth", "rows"):
        skill_id = row.get("skill_id")
        name = _name(row, "skill", skill_names.get(skill_id, f"Skill #{skill_id}"))
        entry = by_skill.setdefault(name, {"skill": name, "people": set(), "levels": 0})
        growth = row.get("growth") or 0
        if growth > 0:
            entry["people"].add(row.get("person_id"))
            entry["levels"] += growth
    grown = [
        {"skill": e["skill"], "people": len(e["people"]), "levels": e["levels"]}
        for e in by_skill.values()
        if e["levels"] > 0
    ]
    return sorted(grown, key=lambda g: (-g["levels"], g["skill"]))


# ------------------------------------------------------------------ the pages


@web.get("/dashboard")
@login_required
def dashboard() -> Any:
    user = current()
    require_manager(user)
    query = dashboard_query(request.args)
    report = dashboard_report(user, query)
    # Skill growth comes by skill id; the names are the skill graph's.
    skill_names = {s.id: s.name for s in profile_service().skills()}
    return render_template(
        "dashboard.html",
        report=report,
        filters=filter_values(query),
        datasets=metrics_service().datasets(user),
        priorities=PRIORITIES,
        arms=[a for a in ARMS if a in report["arms"]],
        arm_labels={arm: translate(label) for arm, label in ARM_LABELS.items()},
        buckets=HANDOFF_BUCKETS,
        level_label=level_label,
        metric_label=lambda name: translate(metric_label(report, name)),
        exceptions=exception_items(report),
        people=contributors(report),
        growth=skills_grown(report, skill_names),
    )


@web.get("/dashboard.csv")
@login_required
def dashboard_csv() -> Any:
    user = current()
    require_manager(user)
    query = dashboard_query(request.args)
    report = metrics_service().report(user, query)
    stamp = runtime().clock.now().date().isoformat()
    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in query.dataset)
    return Response(
        report_csv(report),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="swarm-metrics-{name}-{stamp}.csv"'},
    )


# ------------------------------------------------------------------ the CSV


def report_csv(report: Mapping[str, Any]) -> str:
    """One row per arm per metric (its estimate and interval), then one per difference
    (swarm − tiered, with its test's p-values)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows(report):
        writer.writerow([_cell(row.get(c)) for c in CSV_COLUMNS])
    return out.getvalue()


def csv_rows(report: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    level = report.get("level", 0.95)
    differences = report.get("differences", {})
    arms = [a for a in ARMS if a in report.get("arms", {})]
    names = _metric_order(report, arms)
    for name in names:
        label = metric_label(report, name)
        for arm in arms:
            metric = report["arms"][arm].get("metrics", {}).get(name)
            if metric is None:
                continue
            statistic, estimate, ci = headline_statistic(metric)
            yield {
                "metric": name,
                "label": label,
                "arm": arm,
                "statistic": statistic,
                "unit": metric.get("unit", metric.get("kind")),
                "n": metric.get("n"),
                "estimate": estimate,
                "ci_low": ci[0] if ci else None,
                "ci_high": ci[1] if ci else None,
                "level": level,
            }
    for name, diff in differences.items():
        ci = diff.get("ci") or (None, None)
        yield {
            "metric": name,
            "label": diff.get("label", name),
            "arm": "swarm - tiered",
            "statistic": diff.get("statistic"),
            "unit": diff.get("unit"),
            "estimate": diff.get("estimate"),
            "ci_low": ci[0],
            "ci_high": ci[1],
            "level": level,
            "p": diff.get("p"),
            "p_holm": diff.get("p_holm"),
            "conclusive": diff.get("conclusive"),
        }


def metric_label(report: Mapping[str, Any], name: str) -> str:
    label = report.get("differences", {}).get(name, {}).get("label")
    return str(label or METRIC_LABELS.get(name, name.replace("_", " ").capitalize()))


def _metric_order(report: Mapping[str, Any], arms: Sequence[str]) -> list[str]:
    seen = list(report.get("headline", []))
    for arm in arms:
        seen += sorted(report["arms"][arm].get("metrics", {}))
    return list(dict.fromkeys(seen))


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    # A spreadsheet runs a cell that starts like a formula; dataset names are typed by people.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and value != "swarm - tiered":
        return "'" + value
    return value


# ------------------------------------------------------------------ wording the figures


def headline_statistic(metric: Mapping[str, Any]) -> tuple[str, Any, Sequence[Any] | None]:
    """``(statistic, estimate, interval)`` of one arm's metric, by its kind."""
    kind = metric.get("kind")
    if kind == "duration":
        return "median", metric.get("median"), metric.get("median_ci")
    if kind == "rate":
        return "rate", metric.get("rate"), metric.get("ci")
    return "mean", metric.get("mean"), metric.get("mean_ci")


def _number(value: float, digits: int) -> str:
    return f"{value:.{digits}f}".replace("-", "−")


def _span(low: float, high: float, digits: int, scale: float = 1.0) -> str:
    a, b = _number(low * scale, digits), _number(high * scale, digits)
    # "−1.4 to −0.4" reads better than "−1.4–−0.4".
    return f"{a} to {b}" if low < 0 or high < 0 else f"{a}–{b}"


def _ok(*values: Any) -> bool:
    return all(isinstance(v, int | float) and not math.isnan(v) for v in values)


def level_label(level: float) -> str:
    # No-break spaces: "95 % CI" never splits across lines.
    return f"{round(level * 100):g}\u00a0%\u00a0CI"


def _digits(values: Sequence[float]) -> int:
    """Decimals that give the largest of ``values`` two significant digits or more."""
    big = max((abs(v) for v in values), default=0.0)
    return 0 if big >= 10 or big == 0 else 1 if big >= 1 else 2 if big >= 0.1 else 3


def _figure(
    value: float, ci: Sequence[Any] | None, unit: str, *, rate: bool, signed: bool, level: float
) -> str:
    """``value`` in its unit, then its interval in the same unit and decimals. Hours under
    one are shown in minutes; rates in per cent (their differences in percentage points)."""
    interval = [float(c) for c in ci] if ci and _ok(*ci) else None
    values = [value, *(interval or [])]
    prefix, scale, suffix = "", 1.0, f" {unit}" if unit else ""
    if rate:
        scale, suffix = 100.0, "\u00a0pp" if signed else "\u00a0%"
    elif unit == "hours":
        small = max(abs(v) for v in values) < 1
        scale, suffix = (60.0, " min") if small else (1.0, " h")
    elif unit == "minutes":
        suffix = " min"
    elif unit == "USD":
        prefix, suffix = "$", ""
    digits = _digits([v * scale for v in values])
    if rate and not signed:
        digits = min(digits, 1)
    sign = "+" if signed and value > 0 else "−" if value < 0 else ""
    text = f"{sign}{prefix}{_number(abs(value) * scale, digits)}{suffix}"
    if interval is None:
        return text
    return f"{text} ({level_label(level)} {_span(interval[0], interval[1], digits, scale)})"


@web.app_template_filter("metric_figure")
def metric_figure(metric: Mapping[str, Any] | None, level: float = 0.95) -> str:
    """One arm's figure with its interval: ``2.1 h (95 % CI 1.8–2.5)``, ``80 % (95 % CI
    73–85)``, ``0.10 (95 % CI 0.05–0.20)``, ``4.3 of 5 (…)``; "—" when there is none."""
    if not metric:
        return "—"
    _statistic, value, ci = headline_statistic(metric)
    if not _ok(value):
        return "—"
    unit = str(metric.get("unit") or "")
    rate = metric.get("kind") == "rate"
    return _figure(float(value), ci, unit, rate=rate, signed=False, level=level)


@web.app_template_filter("difference_figure")
def difference_figure(diff: Mapping[str, Any] | None, level: float = 0.95) -> str:
    """Swarming minus tiered with its interval: ``−0.9 h (95 % CI −1.4 to −0.4)``."""
    if not diff or not _ok(diff.get("estimate")):
        return "—"
    unit = str(diff.get("unit") or "")
    rate = diff.get("statistic") == "rate" or unit == "share"
    return _figure(
        float(diff["estimate"]), diff.get("ci"), unit, rate=rate, signed=True, level=level
    )


@web.app_template_filter("fit_value")
def fit_value(value: Any, unit: str | None) -> str:
    """A fit indicator's figure in its unit (``share``, ``minutes``, ``points per month`` —
    the monthly change of a share, in percentage points)."""
    if not _ok(value):
        return "—"
    if unit == "share":
        return f"{value * 100:.0f}\u00a0%"
    if unit in ("share_change", "points per month"):
        points = _number(value * 100, 1)
        return f"{'+' if value > 0 else ''}{points} points a month"
    if unit == "minutes":
        return f"{value:.0f} min"
    return _number(float(value), 2)


@web.app_template_filter("hours")
def hours(value: Any) -> str:
    return f"{_number(value, 1)} h" if _ok(value) else "—"


@web.app_template_filter("share")
def share(value: Any) -> str:
    return f"{value * 100:.0f}\u00a0%" if _ok(value) else "—"


@web.app_template_filter("p_value")
def p_value(value: Any) -> str:
    if not _ok(value):
        return "—"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


@web.app_template_filter("money")
def money(value: Any, currency: str = "USD") -> str:
    if not _ok(value):
        return "—"
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency)
    return f"{symbol}{value:,.2f}" if symbol else f"{value:,.2f} {currency}"


@web.app_template_filter("hours_from_minutes")
def hours_from_minutes(value: Any) -> str:
    return f"{value / 60:.0f} h" if _ok(value) else "—"


@web.app_template_filter("resolved_by")
def resolved_by(survival: Mapping[str, Any] | None, hour: float) -> float:
    """The Kaplan–Meier share resolved ``hour`` hours after opening: the step curve's value
    at its last time not after ``hour`` (nan when the curve does not reach that far)."""
    if not survival:
        return math.nan
    times, shares = survival.get("hours") or [], survival.get("resolved_share") or []
    value = math.nan
    for t, s in zip(times, shares, strict=False):
        if t > hour:
            return value
        value = s
    return value if times and times[-1] >= hour else math.nan
