"""An event log held in memory: the metrics' SQL run on plain rows, without the application.

The metrics are SQL aggregations (docs/metrics.md); for a hand-built sequence of events (the
unit tests that pin each definition, the simulator's runs before they are stored) this loads the
rows into an in-memory SQLite table shaped like ``ticket_events`` — the same columns and the
same text form of times SQLAlchemy writes — so that exactly the same query text answers.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from swarm.metrics.dialect import SQLITE_TIME_FORMAT, event_table

__all__ = ["EventRow", "memory_log"]

#: One event as plain data: ``id`` (optional: the order given), ``ticket_id``, ``type``,
#: ``actor_id`` (optional), ``at`` (aware datetime or epoch seconds), ``data`` (optional),
#: ``source`` (optional, ``live``).
EventRow = Mapping[str, Any]

_SCHEMA = """
CREATE TABLE ticket_events (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL,
    type VARCHAR(32) NOT NULL,
    actor_id INTEGER,
    at DATETIME NOT NULL,
    data JSON NOT NULL,
    source VARCHAR(64) NOT NULL
);
CREATE INDEX ix_ticket_events_ticket_id_id ON ticket_events (ticket_id, id);
CREATE INDEX ix_ticket_events_source_at ON ticket_events (source, at);
CREATE INDEX ix_ticket_events_type ON ticket_events (type);
CREATE TABLE dataset_events (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL,
    type VARCHAR(32) NOT NULL,
    actor_id INTEGER,
    at DATETIME NOT NULL,
    data JSON NOT NULL,
    source VARCHAR(64) NOT NULL
);
CREATE INDEX ix_dataset_events_source_ticket_id_id ON dataset_events (source, ticket_id, id);
CREATE INDEX ix_dataset_events_source_type ON dataset_events (source, type);
CREATE INDEX ix_dataset_events_source_at ON dataset_events (source, at);
"""


def memory_log(rows: Iterable[EventRow]) -> sqlite3.Connection:
    """A connection to an in-memory event log holding ``rows``: those of ``live`` in a
    ``ticket_events`` table, the others (imported or simulated datasets) in
    ``dataset_events``, as the application keeps them.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> db = memory_log([{"ticket_id": 1, "type": "created", "at": datetime(2026, 1, 1, tzinfo=UTC),
    ...                   "data": {"mode": "swarm"}}])
    >>> db.execute("SELECT id, type, at, source FROM ticket_events").fetchall()
    [(1, 'created', '2026-01-01 00:00:00.000000', 'live')]
    """
    db = sqlite3.connect(":memory:")
    db.executescript(_SCHEMA)
    by_table: dict[str, list[tuple[Any, ...]]] = {"ticket_events": [], "dataset_events": []}
    for number, row in enumerate(rows, start=1):
        values = _values(number, row)
        by_table[event_table(values[-1])].append(values)
    for table, batch in by_table.items():
        db.executemany(
            f"INSERT INTO {table} (id, ticket_id, type, actor_id, at, data, source) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
    db.commit()
    return db


def _values(number: int, row: EventRow) -> tuple[Any, ...]:
    at = row["at"]
    if isinstance(at, int | float):
        at = datetime.fromtimestamp(at, UTC)
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise ValueError(f"Event {number}: 'at' must be an aware datetime or epoch seconds.")
    return (
        int(row.get("id", number)),
        int(row["ticket_id"]),
        str(row["type"]),
        row.get("actor_id"),
        at.astimezone(UTC).strftime(SQLITE_TIME_FORMAT),
        json.dumps(dict(row.get("data") or {})),
        str(row.get("source", "live")),
    )
