"""Per-ticket facts from the event log, computed by the database.

A metric is a statistic over tickets; every ticket's part in it is a *fact* read off its events
(docs/metrics.md defines each one). :func:`facts_sql` writes one query that the database answers
with a row per ticket — a million events never cross into Python (one ``GROUP BY`` pass over
them takes about 0.6 s on SQLite where fetching them takes 3 s) — and :func:`pause_sql` the
intervals a ticket's resolution clock stood still. :func:`ticket_facts` turns both results into
numpy columns (:class:`TicketFacts`); :func:`facts_from_log` does all of it on a SQLite
connection, such as :func:`swarm.metrics.memory.memory_log` of hand-built rows.

Order is the events' ids, never their clocks: an imported log whose clock runs backwards still
has one order, and durations that come out negative are reported as zero.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from swarm.metrics.dialect import Dialect, epoch, event_table, jbool, jnum, jtext, time_param

__all__ = [
    "ARMS",
    "PRIORITIES",
    "Selection",
    "TicketFacts",
    "facts_from_log",
    "facts_sql",
    "pause_sql",
    "ticket_facts",
]

ARMS: tuple[str, ...] = ("swarm", "tiered")
PRIORITIES: tuple[str, ...] = ("P1", "P2", "P3", "P4")

#: Events that say nothing about who worked on a ticket: the requester's own, or an offer or a
#: refusal that was never taken up. Every other event with an actor counts as a touch.
_NOT_A_TOUCH = (
    "created",
    "satisfaction_rated",
    "help_offered",
    "offer_declined",
    "invitation_declined",
    "invitation_expired",
    "article_suggested",
    "article_viewed",
    "deflected",
)
#: How a helper's stint may begin (docs/events.md, "Participation"); a row without ``via`` is
#: older and counts only if its helper wrote on the ticket.
_HELP_KINDS = ("message", "note")
_FINAL_VENDOR = ("resolved", "rejected")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class Selection:
    """Which tickets a query reads: one dataset (``source``), created in ``[start, end)``, with
    optional filters. ``as_of`` is the moment open tickets are measured (censored) at."""

    source: str
    as_of: datetime
    start: datetime | None = None
    end: datetime | None = None
    priority: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    tier: int | None = None
    skill: int | None = None


def _in_list(name: str, values: Sequence[Any], params: dict[str, Any]) -> str:
    keys = []
    for i, value in enumerate(values):
        params[f"{name}{i}"] = value
        keys.append(f":{name}{i}")
    return ", ".join(keys)


def _created(dialect: Dialect, sel: Selection, params: dict[str, Any]) -> str:
    """The selected tickets, one row each: the first ``created`` event of the source."""
    table = event_table(sel.source)
    where = ["f.source = :source", "f.type = 'created'"]
    if sel.start is not None:
        params["start"] = time_param(dialect, sel.start)
        where.append("f.at >= :start")
    if sel.end is not None:
        params["end"] = time_param(dialect, sel.end)
        where.append("f.at < :end")
    if sel.priority:
        where.append(
            f"{jtext(dialect, 'priority', 'f.data')} IN ({_in_list('pr', sel.priority, params)})"
        )
    if sel.category:
        cat = f"COALESCE({jtext(dialect, 'category', 'f.data')}, '')"
        where.append(f"{cat} IN ({_in_list('cat', sel.category, params)})")
    if sel.tier is not None:
        params["tier"] = sel.tier
        tiers = f"COALESCE({jnum(dialect, 'to_tier', 't.data')}, {jnum(dialect, 'tier', 't.data')})"
        where.append(
            f"EXISTS (SELECT 1 FROM {table} t WHERE t.source = :source "
            "AND t.ticket_id = f.ticket_id "
            "AND t.type IN ('queued', 'assigned', 'escalated', 'deescalated') "
            f"AND {tiers} = :tier)"
        )
    if sel.skill is not None:
        params["skill"] = sel.skill
        if dialect == "postgresql":
            skills = (
                "jsonb_array_elements(CASE WHEN jsonb_typeof(s.data->'skills') = 'array' "
                "THEN s.data->'skills' ELSE '[]'::jsonb END) AS j"
            )
            skill_id = (
                "(CASE WHEN jsonb_typeof(j->'skill_id') = 'number' "
                "THEN (j->>'skill_id')::float8 END)"
            )
        else:
            skills = "json_each(s.data, '$.skills') AS j"
            skill_id = "json_extract(j.value, '$.skill_id')"
        where.append(
            f"EXISTS (SELECT 1 FROM {table} s, {skills} WHERE s.source = :source "
            f"AND s.ticket_id = f.ticket_id AND s.type = 'skills_set' AND {skill_id} = :skill)"
        )
    return (
        "SELECT f.ticket_id, f.at AS created_at, "
        f"{jtext(dialect, 'mode', 'f.data')} AS arm, "
        f"{jtext(dialect, 'priority', 'f.data')} AS priority, "
        f"COALESCE({jtext(dialect, 'category', 'f.data')}, '') AS category, "
        f"{jbool(dialect, 'split', 'f.data')} AS split, "
        f"{jnum(dialect, 'requester_id', 'f.data')} AS requester "
        f"FROM first_created fc JOIN {table} f ON f.id = fc.id "
        f"WHERE {' AND '.join(where)}"
    )


#: The selected tickets' first ``created`` events (a log may repeat one), then the tickets.
_SELECTED = """
first_created AS MATERIALIZED (
    SELECT MIN(id) AS id FROM {table}
    WHERE source = :source AND type = 'created' GROUP BY ticket_id
),
c AS MATERIALIZED ({created})"""


def facts_sql(
    dialect: Dialect, sel: Selection, levels: Mapping[int, int] | None = None
) -> tuple[str, dict[str, Any]]:
    """The query (and its parameters) that answers one row per selected ticket, in
    :data:`FACT_COLUMNS` order. ``levels`` maps an agent's user id to their support level
    (1–3), for the cost of a resolve.

    One pass over all the selected tickets' events computes what a ``GROUP BY`` can; the
    owner sequence (handoffs) reads only ``assigned``/``escalated``/``deescalated`` rows and
    the helpers only ``helper_joined`` rows, so the log is walked once and a fraction.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> sql, params = facts_sql("sqlite", Selection("live", datetime(2026, 1, 1, tzinfo=UTC)))
    >>> sorted(params)
    ['as_of', 'source']
    """
    params: dict[str, Any] = {
        "source": sel.source,
        "as_of": time_param(dialect, sel.as_of),
    }
    created = _created(dialect, sel, params)
    table = event_table(sel.source)
    level = _level_of("m.agent", levels or {})
    agent = jnum(dialect, "agent_id", "ev.data")
    not_touch = ", ".join(f"'{t}'" for t in _NOT_A_TOUCH)
    # The person an event tells of: the owner an assignment names or the helper who joined
    # (a manager dispatching a ticket is not working it), else whoever acted.
    person = (
        f"CASE WHEN ev.type IN ('assigned', 'helper_joined') THEN {agent} "
        f"WHEN ev.type IN ({not_touch}) OR gu.person IS NOT NULL THEN NULL ELSE ev.actor_id END"
    )

    def ep(expr: str) -> str:
        return epoch(dialect, expr)

    def source_of(alias: str) -> str:
        return _source_column(dialect, alias, table)

    def per_ticket(alias: str) -> str:
        return _per_ticket(dialect, table, alias)

    sql = f"""
WITH {_SELECTED.format(created=created, table=table)},
events AS (
    SELECT ev.ticket_id, ev.id, ev.type, ev.actor_id, ev.at, ev.data, c.requester
    FROM c JOIN {per_ticket("ev")} ON ev.ticket_id = c.ticket_id
    WHERE {source_of("ev")} = :source AND ev.at <= :as_of
),
guests AS MATERIALIZED (
    SELECT DISTINCT g.ticket_id, {jnum(dialect, "guest_id", "g.data")} AS person
    FROM c JOIN {per_ticket("g")} ON g.ticket_id = c.ticket_id
    WHERE {source_of("g")} = :source AND g.type = 'guest_invited' AND g.at <= :as_of
),
agg AS MATERIALIZED (
    SELECT ev.ticket_id,
        MIN(CASE WHEN ev.type = 'assigned' THEN ev.id END) AS first_assigned_id,
        MIN(CASE WHEN ev.type = 'assigned' THEN ev.at END) AS first_assigned_at,
        MIN(CASE WHEN ev.type = 'message' AND ev.actor_id IS NOT NULL
                 AND ev.actor_id <> COALESCE(ev.requester, -1)
                 AND {jtext(dialect, "kind", "ev.data")} = 'reply' THEN ev.at END)
            AS first_reply_at,
        MAX(CASE WHEN ev.type = 'resolved' THEN ev.id END) AS last_resolved_id,
        MAX(CASE WHEN ev.type = 'reopened' THEN ev.id END) AS last_reopened_id,
        SUM(CASE WHEN ev.type = 'reopened' THEN 1 ELSE 0 END) AS reopens,
        SUM(CASE WHEN ev.type = 'escalated' THEN 1 ELSE 0 END) AS escalations,
        SUM(CASE WHEN ev.type = 'escalated'
                 AND {jtext(dialect, "reason", "ev.data")} = 'time_limit' THEN 1 ELSE 0 END)
            AS escalations_by_time,
        SUM(CASE WHEN ev.type = 'deescalated' THEN 1 ELSE 0 END) AS deescalations,
        SUM(CASE WHEN ev.type = 'vendor_handoff' THEN 1 ELSE 0 END) AS vendor_handoffs,
        SUM(CASE WHEN ev.type = 'hand_raised' THEN 1 ELSE 0 END) AS hands_raised,
        MIN(CASE WHEN ev.type = 'helper_joined' THEN ev.at END) AS first_helper_at,
        SUM(CASE WHEN ev.type = 'helper_left'
                 THEN COALESCE({jnum(dialect, "seconds", "ev.data")}, 0) ELSE 0 END)
            AS helper_seconds,
        MAX(CASE WHEN ev.type = 'satisfaction_rated' THEN ev.id END) AS last_rating_id,
        MAX(CASE WHEN ev.type IN ('escalated', 'deescalated')
                 THEN {jnum(dialect, "to_tier", "ev.data")}
                 WHEN ev.type IN ('assigned', 'queued')
                 THEN {jnum(dialect, "tier", "ev.data")} END) AS top_tier,
        COUNT(DISTINCT CASE WHEN ev.type = 'guest_invited'
                            THEN {jnum(dialect, "guest_id", "ev.data")} END) AS guests,
        COUNT(DISTINCT {person}) AS people,
        COUNT(DISTINCT CASE WHEN ({person}) = ev.requester THEN ev.requester END)
            AS requester_acted
    FROM events ev
    -- A guest of the ticket's room is outside help, counted apart (``guests``).
    LEFT JOIN guests gu ON gu.ticket_id = ev.ticket_id AND gu.person = ev.actor_id
    GROUP BY ev.ticket_id
),
moves AS MATERIALIZED (
    SELECT ev.ticket_id, ev.id, ev.type, ev.at, {agent} AS agent,
        {jnum(dialect, "from_tier", "ev.data")} AS from_tier,
        {jnum(dialect, "to_tier", "ev.data")} AS to_tier
    FROM events ev WHERE ev.type IN ('assigned', 'escalated', 'deescalated', 'helper_joined')
),
seq AS (
    SELECT m.ticket_id, m.type, m.agent, m.from_tier, m.to_tier,
        LAG(m.type) OVER w AS prev_type,
        LAG(m.agent) OVER w AS prev_agent,
        LAG(m.from_tier) OVER w AS prev_from,
        LAG(m.to_tier) OVER w AS prev_to,
        SUM(CASE WHEN m.type = 'assigned' THEN 1 ELSE 0 END) OVER w AS assigned_so_far
    FROM moves m WHERE m.type <> 'helper_joined'
    WINDOW w AS (PARTITION BY m.ticket_id ORDER BY m.id)
),
handoffs AS (
    SELECT ticket_id, SUM(CASE
        WHEN type = 'assigned' AND prev_type = 'assigned'
             AND agent IS NOT NULL AND prev_agent IS NOT NULL AND agent <> prev_agent THEN 1
        WHEN type IN ('escalated', 'deescalated') AND assigned_so_far > 0
             AND NOT (prev_type IS NOT NULL AND prev_type = type
                      AND COALESCE(prev_from, -1) = COALESCE(from_tier, -1)
                      AND COALESCE(prev_to, -1) = COALESCE(to_tier, -1)) THEN 1
        ELSE 0 END) AS handoffs
    FROM seq GROUP BY ticket_id
),
staffing AS (
    SELECT m.ticket_id,
        COUNT(DISTINCT CASE WHEN m.type = 'helper_joined' THEN m.agent END) AS helpers,
        MAX(CASE WHEN m.type = 'assigned' THEN {level} END) AS owner_level,
        MAX(CASE WHEN m.type = 'helper_joined' THEN {level} END) AS helper_level
    FROM moves m
    WHERE m.type IN ('assigned', 'helper_joined')
    GROUP BY m.ticket_id
),
res AS (
    SELECT a.ticket_id, r.at AS resolved_at, r.actor_id AS resolver
    FROM agg a JOIN {table} r ON r.id = a.last_resolved_id
    WHERE a.last_reopened_id IS NULL OR a.last_resolved_id > a.last_reopened_id
),
reach AS (
    SELECT m.ticket_id, MIN(m.at) AS resolver_at FROM moves m
    JOIN res ON res.ticket_id = m.ticket_id AND m.agent = res.resolver
    WHERE m.type IN ('assigned', 'helper_joined')
    GROUP BY m.ticket_id
)
SELECT c.ticket_id, c.arm, c.split, c.priority, c.category,
    {ep("c.created_at")} AS created_s,
    {ep("a.first_assigned_at")} AS first_assigned_s,
    {ep("a.first_reply_at")} AS first_reply_s,
    {ep("res.resolved_at")} AS resolved_s,
    {ep("COALESCE(reach.resolver_at, res.resolved_at)")} AS resolver_s,
    {ep("a.first_helper_at")} AS first_helper_s,
    {jnum(dialect, "agent_id", "fa.data")} AS first_owner,
    res.resolver,
    a.reopens, a.escalations, a.escalations_by_time, a.deescalations, a.vendor_handoffs,
    a.hands_raised, COALESCE(h.handoffs, 0) AS handoffs,
    a.people - a.requester_acted AS touches,
    COALESCE(st.helpers, 0) AS helpers, a.guests,
    a.helper_seconds, {jnum(dialect, "score", "sr.data")} AS satisfaction,
    a.top_tier, COALESCE(st.owner_level, 0) AS owner_level,
    COALESCE(st.helper_level, 0) AS helper_level
FROM c
JOIN agg a ON a.ticket_id = c.ticket_id
LEFT JOIN {table} fa ON fa.id = a.first_assigned_id
LEFT JOIN {table} sr ON sr.id = a.last_rating_id
LEFT JOIN res ON res.ticket_id = c.ticket_id
LEFT JOIN reach ON reach.ticket_id = c.ticket_id
LEFT JOIN handoffs h ON h.ticket_id = c.ticket_id
LEFT JOIN staffing st ON st.ticket_id = c.ticket_id
ORDER BY c.ticket_id
"""
    return sql, params


def _source_column(dialect: Dialect, alias: str, table: str = "ticket_events") -> str:
    """``alias.source`` as the join to the selected tickets should read it. On SQLite, without
    planner statistics (the application never gathers them), an indexed ``source`` makes the
    planner walk the ``(source, at)`` index once per ticket; ``|| ''`` keeps it on the
    ``(ticket_id, id)`` index, a few rows per ticket. PostgreSQL has statistics, and the plain
    column gives it the right estimate. ``dataset_events`` has no ``(ticket_id, id)`` index but
    ``(source, ticket_id, id)``, which only the plain column reaches.

    >>> _source_column("sqlite", "ev"), _source_column("postgresql", "ev")
    ("ev.source || ''", 'ev.source')
    >>> _source_column("sqlite", "ev", "dataset_events")
    'ev.source'
    """
    if dialect == "sqlite" and table == "ticket_events":
        return f"{alias}.source || ''"
    return f"{alias}.source"


def _per_ticket(dialect: Dialect, table: str, alias: str) -> str:
    """``table alias`` for reading the selected tickets' events ticket by ticket. On SQLite,
    without statistics, the planner would read ``dataset_events`` through ``(source, at)``
    or ``(source, type)`` — the whole dataset once per ticket, minutes for 25,000 tickets
    instead of a second — so the per-ticket index is named (``INDEXED BY``). PostgreSQL
    plans it well from its statistics.

    >>> _per_ticket("sqlite", "dataset_events", "ev")
    'dataset_events AS ev INDEXED BY ix_dataset_events_source_ticket_id_id'
    >>> _per_ticket("postgresql", "dataset_events", "ev")
    'dataset_events AS ev'
    >>> _per_ticket("sqlite", "ticket_events", "ev")
    'ticket_events AS ev'
    """
    if dialect == "sqlite" and table == "dataset_events":
        return f"{table} AS {alias} INDEXED BY ix_dataset_events_source_ticket_id_id"
    return f"{table} AS {alias}"


def _level_of(expr: str, levels: Mapping[int, int]) -> str:
    """A CASE giving the level of the agent ``expr`` (0 when unknown), the agents spelled out
    as integer lists per level: SQLite scans a joined lookup table once per row (it builds no
    index on one), but it keeps an ``IN`` list as a b-tree.

    >>> _level_of("m.agent", {7: 3, 8: 2, 9: 2})
    'CASE WHEN m.agent IN (7) THEN 3 WHEN m.agent IN (8, 9) THEN 2 ELSE 0 END'
    """
    by_level: dict[int, list[int]] = {}
    for agent, lv in levels.items():
        by_level.setdefault(int(lv), []).append(int(agent))
    whens = " ".join(
        f"WHEN {expr} IN ({', '.join(str(a) for a in sorted(agents))}) THEN {lv}"
        for lv, agents in sorted(by_level.items(), reverse=True)
    )
    return f"CASE {whens} ELSE 0 END" if whens else "0"


#: The columns :func:`facts_sql` answers, in order.
FACT_COLUMNS: tuple[str, ...] = (
    "ticket",
    "arm",
    "split",
    "priority",
    "category",
    "created_s",
    "first_assigned_s",
    "first_reply_s",
    "resolved_s",
    "resolver_s",
    "first_helper_s",
    "first_owner",
    "resolver",
    "reopens",
    "escalations",
    "escalations_by_time",
    "deescalations",
    "vendor_handoffs",
    "hands_raised",
    "handoffs",
    "touches",
    "helpers",
    "guests",
    "helper_seconds",
    "satisfaction",
    "top_tier",
    "owner_level",
    "helper_level",
)


def pause_sql(dialect: Dialect, sel: Selection) -> tuple[str, dict[str, Any]]:
    """The intervals ``(ticket, kind, start_s, end_s)`` a selected ticket's resolution clock
    stood still: kind 0 while it was ``pending`` (waiting on the requester), kind 1 while it
    was with a vendor (from ``vendor_handoff`` to the vendor's final ``vendor_update``). An
    interval still open ends at ``as_of``. The two kinds may overlap; :func:`ticket_facts`
    counts their union.
    """
    params: dict[str, Any] = {"source": sel.source, "as_of": time_param(dialect, sel.as_of)}
    created = _created(dialect, sel, params)
    table = event_table(sel.source)
    status = jtext(dialect, "status", "e.data")
    final = ", ".join(f"'{s}'" for s in _FINAL_VENDOR)

    def ep(expr: str) -> str:
        return epoch(dialect, expr)

    def source_of(alias: str) -> str:
        return _source_column(dialect, alias, table)

    def per_ticket(alias: str) -> str:
        return _per_ticket(dialect, table, alias)

    sql = f"""
WITH {_SELECTED.format(created=created, table=table)},
e AS (
    SELECT ev.ticket_id, ev.id, ev.type, ev.at, ev.data
    FROM c JOIN {per_ticket("ev")} ON ev.ticket_id = c.ticket_id
    WHERE {source_of("ev")} = :source AND ev.at <= :as_of
      AND ev.type IN ('status_changed', 'resolved', 'reopened', 'closed',
                      'vendor_handoff', 'vendor_update')
),
st AS (
    SELECT e.ticket_id, e.at, {jtext(dialect, "to", "e.data")} AS to_status,
        LEAD(e.at) OVER (PARTITION BY e.ticket_id ORDER BY e.id) AS next_at
    FROM e WHERE e.type IN ('status_changed', 'resolved', 'reopened', 'closed')
),
vd AS (
    SELECT e.ticket_id, e.type, e.at,
        LEAD(e.type) OVER (PARTITION BY e.ticket_id ORDER BY e.id) AS next_type,
        LEAD(e.at) OVER (PARTITION BY e.ticket_id ORDER BY e.id) AS next_at
    FROM e WHERE e.type = 'vendor_handoff'
       OR (e.type = 'vendor_update' AND {status} IN ({final}))
)
SELECT ticket_id, 0 AS kind, {ep("at")} AS start_s,
    {ep("COALESCE(next_at, :as_of)")} AS end_s
FROM st WHERE to_status = 'pending'
UNION ALL
SELECT ticket_id, 1, {ep("at")},
    {ep("CASE WHEN next_type = 'vendor_update' THEN next_at ELSE :as_of END")}
FROM vd WHERE type = 'vendor_handoff'
"""
    return sql, params


@dataclass(frozen=True)
class TicketFacts:
    """One entry per ticket, in ticket-id order. Times are epoch seconds; a time that never
    happened (or is not known yet) is NaN. ``arm`` indexes :data:`ARMS`, ``priority`` indexes
    :data:`PRIORITIES` (-1 when the log has none)."""

    ticket: IntArray
    arm: IntArray
    split: BoolArray
    priority: IntArray
    category: NDArray[np.str_]
    created_s: FloatArray
    first_assigned_s: FloatArray
    first_reply_s: FloatArray
    resolved_s: FloatArray
    resolver_s: FloatArray
    first_helper_s: FloatArray
    first_owner: IntArray
    resolver: IntArray
    reopens: IntArray
    escalations: IntArray
    escalations_by_time: IntArray
    deescalations: IntArray
    vendor_handoffs: IntArray
    hands_raised: IntArray
    handoffs: IntArray
    touches: IntArray
    helpers: IntArray
    guests: IntArray
    helper_seconds: FloatArray
    satisfaction: FloatArray
    top_tier: IntArray
    owner_level: IntArray
    helper_level: IntArray
    paused_s: FloatArray
    vendor_s: FloatArray
    as_of_s: float

    def __len__(self) -> int:
        return int(self.ticket.size)

    @property
    def resolved(self) -> BoolArray:
        """Resolved (or closed) as of ``as_of``, and not reopened since."""
        return ~np.isnan(self.resolved_s)

    def take(self, mask: BoolArray) -> TicketFacts:
        """The facts of the tickets where ``mask`` is true."""
        values: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            values[f.name] = value[mask] if isinstance(value, np.ndarray) else value
        return TicketFacts(**values)


#: Integer facts (ids, counts, levels): read from the class, so the two cannot drift apart.
#: NULL (no such event) reads as -1 in them.
_INT_COLUMNS = frozenset(f.name for f in fields(TicketFacts) if f.type == "IntArray")


def ticket_facts(
    rows: Iterable[Sequence[Any]] | Iterable[Sequence[Sequence[Any]]],
    pauses: Sequence[Sequence[Any]],
    as_of_s: float,
    *,
    chunked: bool = False,
) -> TicketFacts:
    """Columns from the rows of :func:`facts_sql` and :func:`pause_sql`.

    With ``chunked``, ``rows`` is an iterable of row batches (a streamed result's
    ``partitions()``): each batch becomes numpy columns before the next is read, so that a
    million tickets never sit in memory as Python rows. Unknown arms (a log without ``mode``)
    are dropped; an unknown priority is -1.
    """
    batches = rows if chunked else [rows]
    parts = [_columns(list(batch)) for batch in batches] or [_columns([])]
    cols = {name: np.concatenate([p[name] for p in parts]) for name in FACT_COLUMNS}
    paused, vendor = _pauses(cols["ticket"], pauses)
    facts = TicketFacts(**cols, paused_s=paused, vendor_s=vendor, as_of_s=float(as_of_s))
    return facts.take(facts.arm >= 0)


def _columns(rows: Sequence[Sequence[Any]]) -> dict[str, NDArray[Any]]:
    cols: dict[str, NDArray[Any]] = {}
    raw = list(zip(*rows, strict=True)) if rows else [() for _ in FACT_COLUMNS]
    for name, values in zip(FACT_COLUMNS, raw, strict=True):
        if name in ("arm", "priority"):
            lookup = {v: i for i, v in enumerate(ARMS if name == "arm" else PRIORITIES)}
            cols[name] = np.array([lookup.get(v, -1) for v in values], dtype=np.int64)
        elif name == "category":
            cols[name] = np.array([v or "" for v in values], dtype=np.str_)
        elif name == "split":
            cols[name] = np.array(values, dtype=np.float64) > 0
        elif name in _INT_COLUMNS:
            # None (no such event) reads as NaN, then -1: no id, no tier, no level.
            column = np.array(values, dtype=np.float64)
            cols[name] = np.where(np.isnan(column), -1, column).astype(np.int64)
        else:
            cols[name] = np.array(values, dtype=np.float64)
    return cols


def _pauses(tickets: IntArray, rows: Sequence[Sequence[Any]]) -> tuple[FloatArray, FloatArray]:
    """Per ticket: the union of its pause intervals, and the time it spent with vendors."""
    paused = np.zeros(tickets.size, dtype=np.float64)
    vendor = np.zeros(tickets.size, dtype=np.float64)
    if not rows or tickets.size == 0:
        return paused, vendor
    data = np.array(rows, dtype=np.float64).reshape(-1, 4)
    where = np.searchsorted(tickets, data[:, 0].astype(np.int64))
    known = (where < tickets.size) & (tickets[np.minimum(where, tickets.size - 1)] == data[:, 0])
    data, where = data[known], where[known]
    kind, start = data[:, 1], data[:, 2]
    end = np.maximum(start, data[:, 3])
    np.add.at(vendor, where[kind == 1], (end - start)[kind == 1])
    # Union of intervals per ticket, without a loop: sort by (ticket, start) and shift each
    # ticket into its own stretch of the time line, so that a running maximum of the ends
    # never carries over from one ticket to the next.
    order = np.lexsort((start, where))
    where, start, end = where[order], start[order], end[order]
    origin = float(np.min(start))
    stretch = (float(np.max(end)) - origin + 1.0) * 2.0
    s = start - origin + where * stretch
    e = end - origin + where * stretch
    reach = np.maximum.accumulate(e)
    before = np.concatenate(([-np.inf], reach[:-1]))
    np.add.at(paused, where, np.maximum(0.0, e - np.maximum(s, before)))
    return paused, vendor


def facts_from_log(
    db: sqlite3.Connection, sel: Selection, levels: Mapping[int, int] | None = None
) -> TicketFacts:
    """The facts of the tickets ``sel`` names, read from a SQLite connection (for example a
    :func:`swarm.metrics.memory.memory_log`).

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> from swarm.metrics.memory import memory_log
    >>> t0 = datetime(2026, 3, 2, 9, tzinfo=UTC).timestamp()
    >>> db = memory_log([
    ...     {"ticket_id": 1, "type": "created", "at": t0, "actor_id": 50,
    ...      "data": {"mode": "swarm", "priority": "P3", "requester_id": 50}},
    ...     {"ticket_id": 1, "type": "assigned", "at": t0 + 600, "data": {"agent_id": 7}},
    ...     {"ticket_id": 1, "type": "resolved", "at": t0 + 3600, "actor_id": 7, "data": {}},
    ... ])
    >>> facts = facts_from_log(db, Selection("live", datetime(2026, 3, 3, tzinfo=UTC)))
    >>> round(float(facts.resolved_s[0] - facts.created_s[0]) / 3600, 3), int(facts.handoffs[0])
    (1.0, 0)
    """
    sql, params = facts_sql("sqlite", sel, levels)
    rows = db.execute(sql, params).fetchall()
    psql, pparams = pause_sql("sqlite", sel)
    pauses = db.execute(psql, pparams).fetchall()
    return ticket_facts(rows, pauses, sel.as_of.timestamp())
