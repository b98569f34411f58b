"""The database side of calibration: one streamed pass over a dataset's events.

:func:`read_calibration` reads the dataset's ``created``, ``assigned``, ``resolved`` and
``reopened`` events ordered by ticket and id (a server-side cursor on PostgreSQL, so memory holds
one ticket whatever the log's size), folds them into a
:class:`~swarm.simulation.calibrate.LogShape` and returns it with the actors' names and levels
(``dataset_actors``; for ``live``, the users). The derivation itself is pure
(:mod:`swarm.simulation.calibrate`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from swarm.metrics.dialect import Dialect, epoch, event_table, jnum, jtext
from swarm.simulation.calibrate import CalibrationError, LogShape, traces

__all__ = ["read_calibration"]


def read_calibration(
    engine: Engine, dataset: str
) -> tuple[LogShape, dict[int, tuple[str, int | None]]]:
    """The shape of ``dataset`` and its actors ``{id: (name, level)}``.

    Raises
    ------
    CalibrationError
        An unknown dataset, or one without events.
    """
    dialect: Dialect = "postgresql" if engine.dialect.name == "postgresql" else "sqlite"
    table = event_table(dataset)
    actors: dict[int, tuple[str, int | None]] = {}
    with engine.connect() as conn:
        if dataset != "live":
            known = conn.execute(
                text("SELECT cases FROM datasets WHERE name = :n"), {"n": dataset}
            ).first()
            if known is None:
                names = [
                    r[0]
                    for r in conn.execute(
                        text("SELECT name FROM datasets WHERE name NOT LIKE '~%' ORDER BY name")
                    )
                ]
                listing = ", ".join(names) if names else "none yet (python -m swarm import-log)"
                raise CalibrationError(f"Unknown dataset {dataset!r}. Datasets: {listing}.")
            for actor_id, name, level in conn.execute(
                text("SELECT id, name, level FROM dataset_actors WHERE source = :s"),
                {"s": dataset},
            ):
                actors[int(actor_id)] = (str(name), None if level is None else int(level))
        else:
            for user_id, name in conn.execute(text("SELECT id, name FROM users")):
                actors[int(user_id)] = (str(name), None)
        # The table is one of two names (event_table); the dataset is a bound parameter.
        sql = (
            f"SELECT ticket_id, type, {epoch(dialect, 'at')} AS at_s, "  # noqa: S608
            f"{jnum(dialect, 'agent_id')} AS agent, {jnum(dialect, 'tier')} AS tier, "
            f"{jtext(dialect, 'priority')} AS priority, "
            f"{jtext(dialect, 'category')} AS category "
            f"FROM {table} WHERE source = :s "
            "AND type IN ('created', 'assigned', 'resolved', 'reopened') "
            "ORDER BY ticket_id, id"
        )
        result = conn.execution_options(stream_results=True, yield_per=5000).execute(
            text(sql), {"s": dataset}
        )
        levels = {a: lv for a, (_, lv) in actors.items() if lv is not None}
        shape = LogShape()
        rows: Any = (tuple(r) for r in result)
        for trace in traces(rows, levels):
            shape.add_ticket(trace)
    if shape.tickets == 0:
        raise CalibrationError(
            f"Dataset {dataset!r} has no tickets: there is nothing to calibrate on."
        )
    return shape, actors
