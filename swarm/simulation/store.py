"""Writing a dataset (an imported log or a simulator run) so that it appears all at once.

:class:`DatasetWriter` inserts a dataset's events in batches under a *staging* name (``~`` and
a random suffix, which no dataset name may start with), each batch in its own short
transaction, so that memory and transaction size stay constant whatever the log's length. Then
:meth:`DatasetWriter.finish`, in one transaction, deletes the rows the name held before and
renames the staging rows to it: re-importing a name replaces it atomically, and readers see the
old dataset or the new one, never half of one.

An import that fails (an exception inside the ``with``) removes its staging rows on the way
out. One that is killed leaves them; they are never listed (staging names are not dataset
names) and the next writer removes every staging dataset whose last write is older than
:data:`STALE_AFTER`.

This module is the only writer of the ``datasets``, ``dataset_events`` and ``dataset_actors``
tables (docs/import.md).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from swarm.events import LIVE_SOURCE
from swarm.metrics.dialect import SQLITE_TIME_FORMAT
from swarm.models.datasets import Dataset, DatasetActor, DatasetEvent

__all__ = [
    "BATCH",
    "KINDS",
    "STALE_AFTER",
    "DatasetNameError",
    "DatasetWriter",
    "check_dataset_name",
]

#: Events per insert (and per transaction) while writing.
BATCH = 5_000
#: A staging dataset without a write for this long belongs to an import that died.
STALE_AFTER = timedelta(minutes=15)
KINDS = ("import", "sim")
STAGING_PREFIX = "~"
SIM_PREFIX = "sim:"
#: How often (in batches) a writer refreshes its staging row's heartbeat.
_HEARTBEAT_BATCHES = 20


class DatasetNameError(ValueError):
    """A dataset name that cannot be used; the message says why."""


def check_dataset_name(name: str, kind: str = "import") -> str:
    """``name`` when it may name a dataset of ``kind``, else :class:`DatasetNameError`.

    >>> check_dataset_name("volvo-2013")
    'volvo-2013'
    >>> for bad in ("live", "sim:x", "~abc", ""):
    ...     try:
    ...         check_dataset_name(bad)
    ...     except DatasetNameError as error:
    ...         print(error)
    The name 'live' is taken: live is the application's own log. Choose another name.
    Names starting with 'sim:' are reserved for simulator runs.
    A dataset name cannot start with '~'.
    A dataset name has 1 to 64 characters.
    """
    if kind not in KINDS:
        raise DatasetNameError(f"A dataset is of kind import or sim, not {kind!r}.")
    if not isinstance(name, str) or not 1 <= len(name) <= 64:
        raise DatasetNameError("A dataset name has 1 to 64 characters.")
    if name.strip() != name or not name.isprintable():
        raise DatasetNameError("A dataset name has no leading or trailing spaces and no controls.")
    if name.lower() == LIVE_SOURCE:
        raise DatasetNameError(
            f"The name {name!r} is taken: live is the application's own log. Choose another name."
        )
    if name.startswith(STAGING_PREFIX):
        raise DatasetNameError(f"A dataset name cannot start with {STAGING_PREFIX!r}.")
    if kind == "sim" and not name.startswith(SIM_PREFIX):
        raise DatasetNameError(f"A simulator run is named {SIM_PREFIX}<run>.")
    if kind != "sim" and name.startswith(SIM_PREFIX):
        raise DatasetNameError(
            f"Names starting with {SIM_PREFIX!r} are reserved for simulator runs."
        )
    return name


class DatasetWriter:
    """Writes one dataset; use it as a context manager.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    name : str
        The dataset's name (:func:`check_dataset_name`).
    kind : {"import", "sim"}
    fmt : str
        The format it came from: ``uci``, ``xes``, ``csv`` or ``sim``.
    origin : str
        The file name or the scenario's name.
    params : mapping, optional
        What it was made with (a simulator's scenario, an import's mapping), kept as JSON.
    arm : str, optional
        ``tiered`` or ``swarm`` when all its tickets are of one arm, ``both`` for a simulation.

    Examples
    --------
    ::

        with DatasetWriter(engine, "volvo", kind="import", fmt="xes", origin="bpi13.xes") as w:
            w.add(rows)            # EventRow mappings, each case's events in order
            w.add_actor(7, "V5 3rd", 3)
            w.finish({"handoffs": {...}})

    Events of one ticket must be added in their order: their ids (the metrics' order) are the
    order of :meth:`add`. Leaving the ``with`` without :meth:`finish` removes what was written.
    """

    def __init__(
        self,
        engine: Engine,
        name: str,
        *,
        kind: str = "import",
        fmt: str,
        origin: str = "",
        params: Mapping[str, Any] | None = None,
        arm: str | None = None,
        batch: int = BATCH,
    ) -> None:
        self.engine = engine
        self.name = check_dataset_name(name, kind)
        self.kind = kind
        self.fmt = fmt
        self.origin = origin[:255]
        self.params = dict(params or {})
        self.arm = arm
        self.batch = batch
        self.staging = f"{STAGING_PREFIX}{secrets.token_hex(8)}"
        self.events = 0
        self.last_event_at: datetime | None = None
        self._pending: list[tuple[int, str, int | None, datetime, str]] = []
        self._actors: dict[int, tuple[str, int | None]] = {}
        self._batches = 0
        self._open = False
        self._finished = False
        self._case_count = 0

    # ------------------------------------------------------------------ context

    def __enter__(self) -> DatasetWriter:
        self.clean_stale()
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(
                insert(Dataset).values(
                    name=self.staging,
                    kind=self.kind,
                    format=self.fmt,
                    origin=self.origin,
                    arm=self.arm,
                    created_at=now,
                    cases=0,
                    events=0,
                    rejected={},
                    summary={"staging_for": self.name},
                    params=self.params,
                )
            )
        self._open = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._open and not self._finished:
            self.discard()

    # ------------------------------------------------------------------ writing

    def add(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Queue events (``ticket_id, type, actor_id?, at, data?``; ``at`` aware); a full
        batch is written at once."""
        if not self._open or self._finished:
            raise RuntimeError("DatasetWriter.add outside its with block or after finish().")
        for row in rows:
            at = row["at"]
            if not isinstance(at, datetime) or at.tzinfo is None:
                raise ValueError("An event's 'at' must be an aware datetime.")
            ticket = int(row["ticket_id"])
            actor = row.get("actor_id")
            self._pending.append(
                (
                    ticket,
                    str(row["type"]),
                    None if actor is None else int(actor),
                    at.astimezone(UTC),
                    json.dumps(dict(row.get("data") or {}), separators=(",", ":")),
                )
            )
            if row["type"] == "created":
                self._case_count += 1
            if self.last_event_at is None or at > self.last_event_at:
                self.last_event_at = at
            if len(self._pending) >= self.batch:
                self._flush()

    def add_actor(self, actor_id: int, name: str, level: int | None = None) -> None:
        """Name an actor (a group or a person) of the dataset; ``level`` is their support
        line (1–3) when known. A second call for the same id replaces the first."""
        if level is not None and not 1 <= int(level) <= 3:
            raise ValueError("A support level is 1, 2 or 3.")
        self._actors[int(actor_id)] = (str(name)[:255], None if level is None else int(level))

    def finish(
        self, summary: Mapping[str, Any] | None = None, rejected: Mapping[str, int] | None = None
    ) -> Dataset:
        """Make the dataset visible under its name, replacing what the name held, in one
        transaction. ``summary`` (JSON) is kept with it, ``rejected`` counts rows refused by
        reason. Returns the stored :class:`Dataset` row (detached)."""
        if not self._open or self._finished:
            raise RuntimeError("DatasetWriter.finish outside its with block or called twice.")
        self._flush()
        actors = [
            {"source": self.staging, "id": i, "name": n, "level": lv}
            for i, (n, lv) in sorted(self._actors.items())
        ]
        with self.engine.begin() as conn:
            for start in range(0, len(actors), self.batch):
                conn.execute(insert(DatasetActor), actors[start : start + self.batch])
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(delete(DatasetEvent).where(DatasetEvent.source == self.name))
            conn.execute(delete(DatasetActor).where(DatasetActor.source == self.name))
            conn.execute(delete(Dataset).where(Dataset.name == self.name))
            conn.execute(
                update(DatasetEvent)
                .where(DatasetEvent.source == self.staging)
                .values(source=self.name)
            )
            conn.execute(
                update(DatasetActor)
                .where(DatasetActor.source == self.staging)
                .values(source=self.name)
            )
            conn.execute(
                update(Dataset)
                .where(Dataset.name == self.staging)
                .values(
                    name=self.name,
                    created_at=now,
                    cases=self._case_count,
                    events=self.events,
                    rejected=dict(rejected or {}),
                    summary=dict(summary or {}),
                    last_event_at=self.last_event_at,
                )
            )
            row = conn.execute(select(Dataset).where(Dataset.name == self.name)).one()
        self._finished = True
        if self.engine.dialect.name == "postgresql":
            # The planner's statistics: without them, a bulk-loaded table read at once by the
            # metrics is planned as if empty (nested loops: minutes instead of seconds), until
            # autovacuum comes round.
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE dataset_events")
        return Dataset(**{c: getattr(row, c) for c in row._fields})

    def discard(self) -> None:
        """Remove everything written so far (an import that failed)."""
        self._pending.clear()
        _remove(self.engine, [self.staging])
        self._finished = True

    def _flush(self) -> None:
        if not self._pending:
            return
        with self.engine.begin() as conn:
            _insert_events(conn, self.staging, self._pending)
            self._batches += 1
            if self._batches % _HEARTBEAT_BATCHES == 0:
                conn.execute(
                    update(Dataset)
                    .where(Dataset.name == self.staging)
                    .values(created_at=datetime.now(UTC))
                )
        self.events += len(self._pending)
        self._pending = []

    # ------------------------------------------------------------------ staging clean-up

    def clean_stale(self) -> list[str]:
        """Remove staging datasets whose last write is older than :data:`STALE_AFTER`
        (imports that were killed); returns their staging names."""
        limit = datetime.now(UTC) - STALE_AFTER
        with self.engine.connect() as conn:
            stale = list(
                conn.execute(
                    select(Dataset.name).where(
                        Dataset.name.startswith(STAGING_PREFIX, autoescape=True),
                        Dataset.created_at < limit,
                    )
                ).scalars()
            )
        _remove(self.engine, stale)
        return stale


_COPY = "COPY dataset_events (ticket_id, type, actor_id, at, data, source) FROM STDIN"
_INSERT = (
    "INSERT INTO dataset_events (ticket_id, type, actor_id, at, data, source) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


def _insert_events(
    conn: Connection, source: str, rows: list[tuple[int, str, int | None, datetime, str]]
) -> None:
    """Insert a batch the fastest way the database offers: ``COPY`` on PostgreSQL (psycopg),
    the driver's ``executemany`` with the values already in SQLite's text forms on SQLite
    (what :class:`swarm.db.UTCDateTime` and ``JSON`` would write, without their per-row
    processing); a Core insert elsewhere. About 3× faster than the Core insert on both."""
    name = conn.dialect.name
    if name == "postgresql" and conn.dialect.driver == "psycopg":
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(_COPY) as copy:
            for ticket, type_, actor, at, data in rows:
                copy.write_row((ticket, type_, actor, at, data, source))
    elif name == "sqlite":
        conn.exec_driver_sql(
            _INSERT,
            [(t, ty, a, at.strftime(SQLITE_TIME_FORMAT), d, source) for t, ty, a, at, d in rows],
        )
    else:
        conn.execute(
            insert(DatasetEvent),
            [
                {
                    "ticket_id": t,
                    "type": ty,
                    "actor_id": a,
                    "at": at,
                    "data": json.loads(d),
                    "source": source,
                }
                for t, ty, a, at, d in rows
            ],
        )


def _remove(engine: Engine, names: list[str]) -> None:
    if not names:
        return
    with engine.begin() as conn:
        conn.execute(delete(DatasetEvent).where(DatasetEvent.source.in_(names)))
        conn.execute(delete(DatasetActor).where(DatasetActor.source.in_(names)))
        conn.execute(delete(Dataset).where(Dataset.name.in_(names)))
