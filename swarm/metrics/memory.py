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

from swarm.metrics.dialect import SQLITE_TIME_FORMAT

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
"""


def memory_log(rows: Iterable[EventRow]) -> sqlite3.Connection:
    """A connection to an in-memory ``ticket_events`` table holding ``rows``.

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
    db.executemany(
        "INSERT INTO ticket_events (id, ticket_id, type, actor_id, at, data, source) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (_values(number, row) for number, row in enumerate(rows, start=1)),
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
