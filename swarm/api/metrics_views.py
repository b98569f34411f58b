"""The manager's comparison over REST: summary, comparison, time series, exceptions,
contribution, datasets and the settings that price a resolve (docs/metrics.md)."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import AwareDateTime, Boolean, Dict, Float, Integer, List, Raw, String
from apiflask.validators import Length, OneOf, Range

from swarm.api import api
from swarm.api.auth import authenticated, caller
from swarm.api.schemas import StrictSchema, Text
from swarm.inputs import MAX_ID
from swarm.metrics.facts import PRIORITIES
from swarm.reporting.service import MetricsQuery
from swarm.runtime import metrics_service

MANAGERS = {403: "Managers and admins only"}
QUERY = {
    **MANAGERS,
    404: "No such dataset",
    422: "Invalid filters (the end of the period comes after its start)",
}


class MetricsArgs(StrictSchema):
    dataset = Text(
        1,
        64,
        load_default="live",
        metadata={"description": "`live` (default), an imported log's name, or `sim:<run>`."},
    )
    from_ = AwareDateTime(
        data_key="from",
        metadata={"description": "Tickets created at or after this time (with its zone)."},
    )
    to = AwareDateTime(metadata={"description": "Tickets created before this time."})
    priority = List(String(validate=OneOf(PRIORITIES)), metadata={"description": "Repeatable."})
    category = List(Text(1, 80, blank=True), validate=Length(max=50))
    tier = Integer(validate=Range(0, 4), metadata={"description": "Tickets that were in it."})
    skill = Integer(validate=Range(1, MAX_ID), metadata={"description": "A skill id."})
    level = Float(load_default=0.95, validate=Range(0.5, 0.999))


class SeriesArgs(MetricsArgs):
    bucket = String(load_default="week", validate=OneOf(("week", "day")))


def _query(args: dict[str, Any]) -> MetricsQuery:
    return MetricsQuery(
        dataset=args["dataset"],
        start=args.get("from_"),
        end=args.get("to"),
        priority=tuple(args.get("priority") or ()),
        category=tuple(args.get("category") or ()),
        tier=args.get("tier"),
        skill=args.get("skill"),
        level=float(args["level"]),
    )


class SummaryOut(Schema):
    dataset = String()
    period = Dict(metadata={"description": "`from`, `to` (null when open), `as_of`."})
    filters = Dict()
    tickets = Integer()
    arms = Dict(
        metadata={
            "description": "`swarm` and/or `tiered` (an arm absent from the data is absent): "
            "tickets, resolved, open, handoffs {mean, median, p90, share}, ttr_hours "
            "{median, mean, p90, median_ci, p90_ci}, fcr_rate, reopen_rate, escalation_rate, "
            "metrics {name: figures with intervals}, cost, survival, by_handoffs."
        }
    )


class CompareOut(SummaryOut):
    level = Float()
    randomised = Boolean(metadata={"description": "Every ticket's arm drawn by the split."})
    design = String(
        metadata={
            "description": "`simulation` (a sim: dataset: both arms ran the very same tickets) "
            "or `observed`."
        }
    )
    differences = Dict(
        metadata={
            "description": "Per metric, swarm minus tiered: estimate, ci, test, p, p_holm, "
            "conclusive, needed_per_arm, and for the headline metrics the mix-adjusted figures."
        }
    )
    headline = List(String())
    verdict = String()


class SeriesOut(Schema):
    dataset = String()
    period = Dict()
    filters = Dict()
    bucket = String()
    points = List(Dict())
    backlog = Dict()


class ExceptionsOut(Schema):
    dataset = String()
    period = Dict()
    as_of = Raw()
    thresholds = Dict()
    counts = Dict()
    items = List(Dict())


class ContributionOut(Schema):
    dataset = String()
    period = Dict()
    people = List(Dict())
    growth = List(Dict())


class DatasetOut(Schema):
    name = String()
    kind = String()  # live, import or sim
    format = String(allow_none=True)  # uci, xes, csv, sim
    origin = String(allow_none=True)  # the file or the scenario
    tickets = Integer()
    events = Integer()
    last_event_at = String(allow_none=True)


class DatasetsOut(Schema):
    datasets = List(Dict())


class MetricsSettingsIn(StrictSchema):
    rates = Dict(metadata={"description": "l1, l2, l3, field (amounts), currency."})
    thresholds = Dict(
        metadata={"description": "hand_minutes, swarms_per_day, vendor_grace_minutes."}
    )


class MetricsSettingsOut(Schema):
    rates = Dict()
    thresholds = Dict()


@api.get("/metrics/summary")
@api.input(MetricsArgs, location="query", arg_name="args")
@api.output(SummaryOut)
@api.doc(
    summary="Each arm's figures for a dataset and period (managers and admins)", responses=QUERY
)
@authenticated
def metrics_summary(args: dict[str, Any]) -> Any:
    return metrics_service().summary(caller(), _query(args))


@api.get("/metrics/compare")
@api.input(MetricsArgs, location="query", arg_name="args")
@api.output(CompareOut)
@api.doc(summary="Tiered against swarm: intervals, tests, mix adjustment, verdict", responses=QUERY)
@authenticated
def metrics_compare(args: dict[str, Any]) -> Any:
    return metrics_service().compare(caller(), _query(args))


@api.get("/metrics/timeseries")
@api.input(SeriesArgs, location="query", arg_name="args")
@api.output(SeriesOut)
@api.doc(
    summary="Per week (or day) and arm: created, resolved, median resolution, handoffs",
    responses=QUERY,
)
@authenticated
def metrics_timeseries(args: dict[str, Any]) -> Any:
    return metrics_service().timeseries(caller(), _query(args), args["bucket"])


@api.get("/metrics/exceptions")
@api.input(MetricsArgs, location="query", arg_name="args")
@api.output(ExceptionsOut)
@api.doc(
    summary="What a manager should act on: unanswered hands, ping-pong, overdue vendors",
    responses=QUERY,
)
@authenticated
def metrics_exceptions(args: dict[str, Any]) -> Any:
    return metrics_service().exceptions(caller(), _query(args))


@api.get("/metrics/contribution")
@api.input(MetricsArgs, location="query", arg_name="args")
@api.output(ContributionOut)
@api.doc(
    summary="Who contributed, owners and helpers (agents: their own row)",
    responses={**QUERY, 403: "Staff only"},
)
@authenticated
def metrics_contribution(args: dict[str, Any]) -> Any:
    return metrics_service().contribution(caller(), _query(args))


class KnowledgeOut(Schema):
    dataset = String()
    period = Dict()
    level = Float()
    arms = Dict(
        metadata={
            "description": "`swarm` and/or `tiered`: tickets, resolved, reuse {k, n, rate, ci}, "
            "captured, captured_per_100 (articles per 100 resolved tickets), "
            "resolve_to_published_hours {n, median, p90}, known {k, n, rate, ci}."
        }
    )
    deflection = Dict(
        metadata={
            "description": "Portal visits (live only; no arm: it happens before a ticket): "
            "suggested, viewed, visits (ended, with a suggestion shown), deflected, ticketed, "
            "rate, ci."
        }
    )


@api.get("/metrics/knowledge")
@api.input(MetricsArgs, location="query", arg_name="args")
@api.output(KnowledgeOut)
@api.doc(
    summary="Deflection, reuse, articles captured, time from resolve to published",
    responses=QUERY,
)
@authenticated
def metrics_knowledge(args: dict[str, Any]) -> Any:
    return metrics_service().knowledge(caller(), _query(args))


@api.get("/metrics/datasets")
@api.output(DatasetsOut)
@api.doc(summary="The datasets in the event log: live, imported, simulated", responses=MANAGERS)
@authenticated
def metrics_datasets() -> Any:
    return {"datasets": metrics_service().datasets(caller())}


@api.get("/config/metrics")
@api.output(MetricsSettingsOut)
@api.doc(
    summary="Cost per resolve by level and exception thresholds (managers and admins)",
    responses=MANAGERS,
)
@authenticated
def get_metrics_settings() -> Any:
    return metrics_service().settings_doc(caller())


@api.put("/config/metrics")
@api.input(MetricsSettingsIn, arg_name="data")
@api.output(MetricsSettingsOut)
@api.doc(
    summary="Change the cost rates or thresholds (missing parts keep their defaults)",
    responses={**MANAGERS, 422: "Invalid rates or thresholds"},
)
@authenticated
def put_metrics_settings(data: dict[str, Any]) -> Any:
    return metrics_service().set_settings(caller(), data)
