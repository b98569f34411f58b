"""The manager's comparison, read from the database: who may ask, which dataset, and the SQL
of :mod:`swarm.metrics` run where the events are.

:func:`build_report` is the whole comparison of one dataset on a connection, without any
question of who asks (the benchmark and the CLI call it); :class:`MetricsService` is what the
API and the pages use: it checks the viewer (managers and admins; an agent sees their own
contribution only), reads the organisation's metrics settings and names people.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session

from swarm.clock import Clock
from swarm.events import LIVE_SOURCE
from swarm.metrics import knowledge, people
from swarm.metrics.compare import DEFAULT_RATES, CostRates
from swarm.metrics.compare import build_report as compare_facts
from swarm.metrics.dialect import DIALECTS, Dialect
from swarm.metrics.exceptions import Thresholds, exceptions, exceptions_sql
from swarm.metrics.facts import PRIORITIES, Selection, facts_sql, pause_sql, ticket_facts
from swarm.models import Dataset, DatasetActor, Setting, TicketEvent, User
from swarm.models.users import AgentProfile, Role
from swarm.tickets.errors import Forbidden, Invalid, NotFound
from swarm.tickets.sla import DEFAULT_TARGETS

__all__ = [
    "METRICS_SETTINGS_KEY",
    "MetricsQuery",
    "MetricsService",
    "MetricsSettings",
    "build_report",
    "metrics_settings_from_dict",
]

METRICS_SETTINGS_KEY = "metrics"
#: ``work_mem`` of the metrics queries' transaction on PostgreSQL (per sort or hash node).
POSTGRES_WORK_MEM = "128MB"
#: Tickets' facts read per batch from the database.
FACT_BATCH = 20_000
#: A period or filter value a manager could mean; beyond it is a typo, not a question.
MAX_FILTER_VALUES = 50


@dataclass(frozen=True)
class MetricsQuery:
    """One question: a dataset, a creation period ``[start, end)``, optional filters."""

    dataset: str = LIVE_SOURCE
    start: datetime | None = None
    end: datetime | None = None
    priority: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    tier: int | None = None
    skill: int | None = None
    level: float = 0.95

    def __post_init__(self) -> None:
        errors: dict[str, list[str]] = {}
        if not self.dataset or len(self.dataset) > 64:
            errors["dataset"] = ["Name a dataset: live, an imported log's name, or sim:<run>."]
        for name in ("start", "end"):
            when = getattr(self, name)
            if when is not None and (when.tzinfo is None or when.utcoffset() is None):
                errors[name] = ["Give a time with its time zone (for example 2026-11-01T00:00Z)."]
        start, end = self.start, self.end
        if start and end and start.tzinfo and end.tzinfo and end <= start:
            errors["to"] = ["The end of the period must come after its start."]
        bad = [p for p in self.priority if p not in PRIORITIES]
        if bad:
            errors["priority"] = [f"Unknown priority {bad[0]!r}; use P1, P2, P3 or P4."]
        if len(self.category) > MAX_FILTER_VALUES or any(len(c) > 80 for c in self.category):
            errors["category"] = [f"At most {MAX_FILTER_VALUES} categories of 80 characters."]
        if self.tier is not None and not 0 <= self.tier <= 4:
            errors["tier"] = ["A tier is 0 to 4."]
        if self.skill is not None and not 0 < self.skill < 2**63:
            errors["skill"] = ["A skill is a positive id."]
        if not (isinstance(self.level, float) and 0.5 <= self.level <= 0.999):
            errors["level"] = ["The confidence level is between 0.5 and 0.999 (e.g. 0.95)."]
        if errors:
            raise Invalid("The metrics query has invalid fields.", fields=errors)

    def filters(self) -> dict[str, Any]:
        return {
            "priority": list(self.priority),
            "category": list(self.category),
            "tier": self.tier,
            "skill": self.skill,
        }


@dataclass(frozen=True)
class MetricsSettings:
    """What a manager tunes: the cost of a resolve per level, and the exception thresholds."""

    rates: CostRates = DEFAULT_RATES
    thresholds: Thresholds = field(default_factory=Thresholds)

    def to_dict(self) -> dict[str, Any]:
        r, t = self.rates, self.thresholds
        return {
            "rates": {"l1": r.l1, "l2": r.l2, "l3": r.l3, "field": r.field, "currency": r.currency},
            "thresholds": {
                "hand_minutes": t.hand_minutes,
                "swarms_per_day": t.swarms_per_day,
                "vendor_grace_minutes": t.vendor_grace_minutes,
            },
        }


def metrics_settings_from_dict(data: Mapping[str, Any]) -> MetricsSettings:
    """Read ``{rates?: {l1, l2, l3, field, currency}, thresholds?: {…}}``; missing parts keep
    their defaults. Raises :class:`Invalid` naming each bad field."""
    if not isinstance(data, Mapping):
        raise Invalid("The metrics settings must be a JSON object.")
    errors: dict[str, list[str]] = {}
    rates = dict(MetricsSettings().to_dict()["rates"])
    given = data.get("rates") or {}
    if not isinstance(given, Mapping):
        errors["rates"] = ["rates maps l1, l2, l3, field to amounts."]
        given = {}
    for key, value in given.items():
        if key == "currency":
            if not isinstance(value, str) or not 1 <= len(value) <= 8:
                errors["rates.currency"] = ["A currency code of 1 to 8 letters, e.g. USD."]
            else:
                rates[key] = value.strip().upper()
        elif key in ("l1", "l2", "l3", "field"):
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or not 0 <= value <= 1_000_000
            ):
                errors[f"rates.{key}"] = ["An amount between 0 and 1,000,000."]
            else:
                rates[key] = float(value)
        else:
            errors[f"rates.{key}"] = ["Unknown rate; use l1, l2, l3, field or currency."]
    limits = dict(MetricsSettings().to_dict()["thresholds"])
    given = data.get("thresholds") or {}
    if not isinstance(given, Mapping):
        errors["thresholds"] = ["thresholds maps hand_minutes, swarms_per_day, … to numbers."]
        given = {}
    for key, value in given.items():
        if key not in limits:
            errors[f"thresholds.{key}"] = [f"Unknown threshold; use {', '.join(limits)}."]
        elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100_000:
            errors[f"thresholds.{key}"] = ["A whole number between 0 and 100,000."]
        else:
            limits[key] = value
    unknown = set(data) - {"rates", "thresholds"}
    if unknown:
        errors[sorted(unknown)[0]] = ["Unknown setting; use rates or thresholds."]
    if errors:
        raise Invalid("The metrics settings have invalid fields.", fields=errors)
    return MetricsSettings(CostRates(**rates), Thresholds(**limits))


def _dialect(conn: Connection) -> Dialect:
    name = conn.dialect.name
    if name not in DIALECTS:
        raise RuntimeError(f"Metrics run on SQLite or PostgreSQL, not {name}.")
    return "postgresql" if name == "postgresql" else "sqlite"


def _sla_targets() -> dict[str, tuple[float, float]]:
    return {p: (r.total_seconds(), s.total_seconds()) for p, (r, s) in DEFAULT_TARGETS.items()}


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).isoformat()


def build_report(
    conn: Connection,
    query: MetricsQuery,
    *,
    as_of: datetime,
    levels: Mapping[int, int] | None = None,
    settings: MetricsSettings | None = None,
    bucket: str = "week",
) -> dict[str, Any]:
    """The whole comparison of ``query`` on ``conn``: facts computed by the database, then
    the statistics (docs/metrics.md, "The report")."""
    settings = settings or MetricsSettings()
    dialect = _dialect(conn)
    sel = Selection(
        source=query.dataset,
        as_of=as_of,
        start=query.start,
        end=query.end,
        priority=query.priority,
        category=query.category,
        tier=query.tier,
        skill=query.skill,
    )
    if dialect == "postgresql":
        # Analytical sorts and hashes over a whole log: PostgreSQL's 4 MB default would spill
        # them to disk. For this transaction only.
        conn.execute(text(f"SET LOCAL work_mem = '{POSTGRES_WORK_MEM}'"))
        # The facts are read through a server-side cursor; without this PostgreSQL plans a
        # cursor for its first rows (nested loops), which over a whole log never ends.
        conn.execute(text("SET LOCAL cursor_tuple_fraction = 1.0"))
    psql, pparams = pause_sql(dialect, sel)
    pauses = conn.execute(text(psql), pparams).all()
    sql, params = facts_sql(dialect, sel, levels)
    # Streamed in batches that become numpy columns one by one (a server-side cursor on
    # PostgreSQL): at ten million events the rows alone held ~1.5 GB.
    statement = text(sql).execution_options(stream_results=True, yield_per=FACT_BATCH)
    result = conn.execute(statement, params)
    facts = ticket_facts(result.partitions(), pauses, as_of.timestamp(), chunked=True)
    return compare_facts(
        facts,
        dataset=query.dataset,
        period={"from": _iso(query.start), "to": _iso(query.end), "as_of": _iso(as_of)},
        filters=query.filters(),
        sla_targets=_sla_targets(),
        rates=settings.rates,
        level=query.level,
        bucket=bucket,
    )


class MetricsService:
    """Metrics for the people allowed to see them. Managers and admins see everything; an
    agent sees only their own contribution; requesters and guests see nothing."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # ------------------------------------------------------------------ who may ask

    def _require_manager(self, viewer: User, doing: str) -> None:
        if not viewer.is_active or viewer.role not in (Role.MANAGER, Role.ADMIN):
            raise Forbidden(f"Only managers and admins may {doing}.")

    # ------------------------------------------------------------------ datasets

    def datasets(self, viewer: User) -> list[dict[str, Any]]:
        """The live log and every dataset ready to read (imported or simulated), with its
        size: ``live`` first. Imports still being written are not listed."""
        self._require_manager(viewer, "list the metrics datasets")
        tickets, events, last = self.session.execute(
            select(
                func.count(func.distinct(TicketEvent.ticket_id)),
                func.count(),
                func.max(TicketEvent.at),
            ).where(TicketEvent.source == LIVE_SOURCE)
        ).one()
        found = [
            {
                "name": LIVE_SOURCE,
                "kind": "live",
                "format": None,
                "origin": None,
                "tickets": int(tickets or 0),
                "events": int(events or 0),
                "last_event_at": _iso(last),
            }
        ]
        stored = self.session.execute(
            select(Dataset)
            .where(Dataset.name.not_like("~%"), Dataset.name != LIVE_SOURCE)
            .order_by(Dataset.name)
        ).scalars()
        found += [
            {
                "name": d.name,
                "kind": d.kind,
                "format": d.format,
                "origin": d.origin,
                "tickets": int(d.cases),
                "events": int(d.events),
                "last_event_at": _iso(d.last_event_at),
            }
            for d in stored
        ]
        return found

    def _dataset(self, dataset: str) -> Dataset:
        found = self.session.get(Dataset, dataset)
        if found is None or dataset.startswith("~"):
            raise NotFound(f"There is no dataset {dataset!r}.")
        return found

    def _as_of(self, dataset: str) -> datetime:
        """Live tickets are measured now; an imported or simulated dataset at its last event
        (its 'now'), so that its open tickets are not censored years later."""
        if dataset == LIVE_SOURCE:
            return self.clock.now()
        last = self._dataset(dataset).last_event_at
        if last is None:
            raise NotFound(f"There is no dataset {dataset!r}.")
        if last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        return last

    def levels(self, dataset: str = LIVE_SOURCE) -> dict[int, int]:
        """Each agent's support level (their home tier, 1–3) for the cost of a resolve; for
        an imported or simulated dataset, its actors' levels (``dataset_actors.level``)."""
        if dataset != LIVE_SOURCE:
            found = self.session.execute(
                select(DatasetActor.id, DatasetActor.level).where(
                    DatasetActor.source == dataset, DatasetActor.level.is_not(None)
                )
            ).all()
            return {int(i): max(1, min(3, int(lv))) for i, lv in found if lv is not None}
        rows = self.session.execute(
            select(AgentProfile.user_id, AgentProfile.tier).where(AgentProfile.tier.is_not(None))
        ).all()
        return {int(u): max(1, min(3, int(t))) for u, t in rows if t is not None and t >= 1}

    def settings(self) -> MetricsSettings:
        row = self.session.get(Setting, METRICS_SETTINGS_KEY)
        if row is None:
            return MetricsSettings()
        try:
            return metrics_settings_from_dict(row.value)
        except Invalid:
            return MetricsSettings()

    def settings_doc(self, viewer: User) -> dict[str, Any]:
        self._require_manager(viewer, "read the metrics settings")
        return self.settings().to_dict()

    def set_settings(self, viewer: User, data: Mapping[str, Any]) -> dict[str, Any]:
        """Store new cost rates or thresholds (managers and admins)."""
        self._require_manager(viewer, "change the metrics settings")
        settings = metrics_settings_from_dict(data)
        row = self.session.get(Setting, METRICS_SETTINGS_KEY)
        now = self.clock.now()
        if row is None:
            row = Setting(key=METRICS_SETTINGS_KEY, value={}, version=0, updated_at=now)
            self.session.add(row)
        row.value = settings.to_dict()
        row.version = (row.version or 0) + 1
        row.updated_at = now
        row.updated_by_id = viewer.id
        self.session.commit()
        return settings.to_dict()

    # ------------------------------------------------------------------ the comparison

    def report(self, viewer: User, query: MetricsQuery, bucket: str = "week") -> dict[str, Any]:
        """The full comparison (docs/metrics.md, "The report")."""
        self._require_manager(viewer, "compare the modes")
        if bucket not in ("week", "day"):
            raise Invalid(
                "A time series bucket is week or day.", fields={"bucket": ["week or day"]}
            )
        as_of = self._as_of(query.dataset)
        report = build_report(
            self.session.connection(),
            query,
            as_of=as_of,
            levels=self.levels(query.dataset),
            settings=self.settings(),
            bucket=bucket,
        )
        self.session.rollback()  # read-only: end the transaction the queries opened
        return report

    def summary(self, viewer: User, query: MetricsQuery) -> dict[str, Any]:
        full = self.report(viewer, query)
        return {k: full[k] for k in ("dataset", "period", "filters", "tickets", "arms")}

    def compare(self, viewer: User, query: MetricsQuery) -> dict[str, Any]:
        full = self.report(viewer, query)
        keep = (
            "dataset",
            "period",
            "filters",
            "level",
            "tickets",
            "randomised",
            "design",
            "arms",
            "differences",
            "headline",
            "verdict",
        )
        return {k: full[k] for k in keep}

    def timeseries(self, viewer: User, query: MetricsQuery, bucket: str) -> dict[str, Any]:
        full = self.report(viewer, query, bucket)
        return {
            "dataset": full["dataset"],
            "period": full["period"],
            "filters": full["filters"],
            **full["timeseries"],
            "backlog": full["backlog"],
        }

    # ------------------------------------------------------------------ people

    def _names(self, dataset: str = LIVE_SOURCE) -> dict[int, str]:
        """Who an id is: a user of the application, or an actor of a dataset."""
        if dataset != LIVE_SOURCE:
            rows = self.session.execute(
                select(DatasetActor.id, DatasetActor.name).where(DatasetActor.source == dataset)
            ).all()
            return {int(i): n for i, n in rows}
        return {int(i): n for i, n in self.session.execute(select(User.id, User.name)).all()}

    def exceptions(self, viewer: User, query: MetricsQuery) -> dict[str, Any]:
        """What a manager should act on (docs/metrics.md, "Exceptions")."""
        self._require_manager(viewer, "see the exceptions")
        conn = self.session.connection()
        dialect = _dialect(conn)
        as_of = self._as_of(query.dataset)
        thresholds = self.settings().thresholds
        queries = exceptions_sql(
            dialect, query.dataset, query.start, query.end, as_of=as_of, thresholds=thresholds
        )
        rows = {
            kind: conn.execute(text(sql), params).all() for kind, (sql, params) in queries.items()
        }
        found = exceptions(
            rows, as_of=as_of, thresholds=thresholds, names=self._names(query.dataset)
        )
        self.session.rollback()
        return {"dataset": query.dataset, "period": _period(query, as_of), **found}

    def knowledge(self, viewer: User, query: MetricsQuery) -> dict[str, Any]:
        """Deflection, reuse, capture and time to publish (swarm/metrics/knowledge.py), per
        arm; deflection once for the organisation, and only for the live dataset."""
        self._require_manager(viewer, "see the knowledge metrics")
        conn = self.session.connection()
        dialect = _dialect(conn)
        as_of = self._as_of(query.dataset)
        sql, params = knowledge.ticket_knowledge_sql(
            dialect, query.dataset, query.start, query.end, as_of=as_of
        )
        tickets = conn.execute(text(sql), params).all()
        visits: list[Any] = []
        if query.dataset == LIVE_SOURCE:
            vsql, vparams = knowledge.portal_visits_sql(
                dialect, query.dataset, query.start, query.end
            )
            visits = list(conn.execute(text(vsql), vparams).all())
        self.session.rollback()
        return {
            "dataset": query.dataset,
            "period": _period(query, as_of),
            "level": query.level,
            **knowledge.knowledge_report(tickets, visits, query.level),
        }

    def contribution(self, viewer: User, query: MetricsQuery) -> dict[str, Any]:
        """Who contributed, owners and helpers alike. Agents see only their own row."""
        if not viewer.is_active or not viewer.is_staff:
            raise Forbidden("Only staff have a contribution to see.")
        person = None if viewer.role in (Role.MANAGER, Role.ADMIN) else viewer.id
        conn = self.session.connection()
        dialect = _dialect(conn)
        as_of = self._as_of(query.dataset)
        sql, params = people.contribution_sql(
            dialect, query.dataset, query.start, query.end, as_of=as_of, person=person
        )
        rows = people.contribution(conn.execute(text(sql), params).all())
        names = self._names(query.dataset)
        for row in rows:
            row["name"] = names.get(row["person_id"])
        growth: list[dict[str, Any]] = []
        if query.dataset == LIVE_SOURCE:
            gsql, gparams = people.skill_growth_sql(dialect, query.start, query.end, person=person)
            growth = people.skill_growth(conn.execute(text(gsql), gparams).all())
        self.session.rollback()
        return {
            "dataset": query.dataset,
            "period": _period(query, as_of),
            "people": rows,
            "growth": growth,
        }


def _period(query: MetricsQuery, as_of: datetime) -> dict[str, Any]:
    return {"from": _iso(query.start), "to": _iso(query.end), "as_of": _iso(as_of)}
