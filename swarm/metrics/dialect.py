"""The few SQL expressions that differ between SQLite and PostgreSQL, for the metrics queries.

The metrics are SQL aggregations pushed to the database (docs/metrics.md, "How it is computed"):
a million events never cross into Python. Everything else in the queries is the common subset
of both (CTEs, window functions, ``CASE``), so one text serves both once these are filled in.

Times: SQLite keeps ``ticket_events.at`` as text ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC (what
SQLAlchemy writes), which sorts like the moment it names, so ``MIN``/``MAX`` over it are right
and only the aggregated values are converted to epoch seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, get_args

__all__ = [
    "DIALECTS",
    "EVENT_TABLES",
    "Dialect",
    "epoch",
    "event_table",
    "jbool",
    "jnum",
    "jtext",
    "time_param",
]

Dialect = Literal["sqlite", "postgresql"]
DIALECTS: tuple[str, ...] = get_args(Dialect)

#: The tables an event log lives in: the application's own (``live``) and every other
#: dataset's (imported or simulated, docs/import.md). The only table names the queries splice.
EVENT_TABLES: tuple[str, ...] = ("ticket_events", "dataset_events")
LIVE = "live"


def event_table(source: str) -> str:
    """The table holding the events of dataset ``source``: ``ticket_events`` for the live log,
    ``dataset_events`` for an imported or simulated one. Always one of :data:`EVENT_TABLES`,
    whatever ``source`` says, so it may be spliced into SQL (``source`` itself is bound).

    >>> event_table("live"), event_table("volvo'; DROP TABLE users; --")
    ('ticket_events', 'dataset_events')
    """
    return EVENT_TABLES[0] if source == LIVE else EVENT_TABLES[1]


#: What SQLAlchemy's ``DateTime`` writes on SQLite.
SQLITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def epoch(dialect: Dialect, expr: str) -> str:
    """Seconds since 1970 (UTC) of a timestamp expression, as a double.

    >>> epoch("postgresql", "e.at")
    'EXTRACT(EPOCH FROM e.at)'
    """
    if dialect == "postgresql":
        return f"EXTRACT(EPOCH FROM {expr})"
    # julianday keeps about a millisecond; unixepoch() with subseconds needs SQLite 3.42.
    return f"((julianday({expr}) - 2440587.5) * 86400.0)"


def jtext(dialect: Dialect, key: str, column: str = "data") -> str:
    """A JSON object's member as text (NULL when missing).

    On PostgreSQL a member that is not a string is NULL. On SQLite the member is extracted
    once, as is (each guard would parse the JSON text again, and parsing is most of what a
    metrics query costs there): a number where a string belongs stays a number, which compares
    unequal to every string — never an error, never a false match.

    >>> jtext("sqlite", "via", "e.data")
    "json_extract(e.data, '$.via')"
    """
    _check_key(key)
    if dialect == "postgresql":
        return f"(CASE WHEN jsonb_typeof({column}->'{key}') = 'string' THEN {column}->>'{key}' END)"
    return f"json_extract({column}, '$.{key}')"


def jnum(dialect: Dialect, key: str, column: str = "data") -> str:
    """A JSON object's numeric member (NULL when missing), so that a hand-edited or imported
    row with ``"agent_id": "7"`` is ignored rather than a query error: on PostgreSQL a member
    that is not a number is NULL; on SQLite (see :func:`jtext`) the text ``'7'`` compares
    unequal to the number 7.

    >>> jnum("postgresql", "agent_id")
    "(CASE WHEN jsonb_typeof(data->'agent_id') = 'number' THEN (data->>'agent_id')::float8 END)"
    """
    _check_key(key)
    if dialect == "postgresql":
        return (
            f"(CASE WHEN jsonb_typeof({column}->'{key}') = 'number' "
            f"THEN ({column}->>'{key}')::float8 END)"
        )
    return f"json_extract({column}, '$.{key}')"


def jbool(dialect: Dialect, key: str, column: str = "data") -> str:
    """1 when a JSON member is ``true``, else 0.

    >>> jbool("sqlite", "split")
    "(CASE WHEN json_extract(data, '$.split') = 1 THEN 1 ELSE 0 END)"
    """
    _check_key(key)
    if dialect == "postgresql":
        return f"(CASE WHEN {column}->'{key}' = 'true'::jsonb THEN 1 ELSE 0 END)"
    # SQLite's json_extract answers 1 for true (and for the number 1, a harmless reading).
    return f"(CASE WHEN json_extract({column}, '$.{key}') = 1 THEN 1 ELSE 0 END)"


def time_param(dialect: Dialect, when: datetime) -> str | datetime:
    """A bound timestamp in the form the dialect compares with ``ticket_events.at``.

    >>> time_param("sqlite", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    '2026-01-02 03:04:05.000000'
    """
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"A metrics period needs timezone-aware times, got {when!r}.")
    if dialect == "postgresql":
        return when.astimezone(UTC)
    return when.astimezone(UTC).strftime(SQLITE_TIME_FORMAT)


def _check_key(key: str) -> None:
    # Keys are spliced into SQL text; only the code's own identifiers ever reach here.
    if not key.replace("_", "").isalnum() or not key.isascii():
        raise ValueError(f"Not a JSON key this module splices into SQL: {key!r}")
