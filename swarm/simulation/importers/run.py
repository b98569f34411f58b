"""Importing a log file into a dataset: the reading (pure, per format) joined to the writing
(:class:`swarm.simulation.store.DatasetWriter`).

:func:`import_log` checks the name and reads the first case before anything is written, so
a missing file, a file that is not what its format says, an empty log or a taken name fails
with nothing written; after that, any failure discards what was written, and the previous
dataset of that name stays as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from swarm.simulation.importers import csvlog, uci, xes
from swarm.simulation.importers.base import (
    ARM,
    ActorBook,
    Case,
    CaseStats,
    EmptyLogError,
    ImportProblem,
    Rejections,
    Rules,
    open_log,
    translate_case,
)
from swarm.simulation.store import DatasetNameError, DatasetWriter, check_dataset_name

__all__ = ["FORMATS", "ImportResult", "import_log"]

FORMATS = ("uci", "xes", "csv")
#: Cases between two calls of the progress callback.
PROGRESS_EVERY = 500


@dataclass
class ImportResult:
    """What an import wrote: the dataset's name, its size, the rows refused by reason, the
    summary kept with it (:meth:`~.base.CaseStats.summary` and more) and how long it took."""

    name: str
    format: str
    cases: int
    events: int
    rejected: dict[str, int]
    summary: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


Translated = tuple[list[dict[str, Any]], int, float | None]


def import_log(
    engine: Engine,
    path: str | Path,
    fmt: str,
    name: str,
    *,
    xes_options: xes.XesOptions | None = None,
    rules: Rules | None = None,
    mapping: csvlog.CsvMapping | None = None,
    progress: Callable[[int], None] | None = None,
    batch: int | None = None,
) -> ImportResult:
    """Import the log at ``path`` (``fmt``: uci, xes or csv; gzip read directly) as dataset
    ``name``, replacing what that name held. ``progress`` is called now and then with the
    bytes of the file read so far. Raises :class:`ImportProblem` (with a message for the
    person at the command line) when the log cannot be imported; nothing is written then."""
    started = time.perf_counter()
    if fmt not in FORMATS:
        raise ImportProblem(f"Unknown format {fmt!r}: use one of {', '.join(FORMATS)}.")
    try:
        check_dataset_name(name, "import")
    except DatasetNameError as error:
        raise ImportProblem(str(error)) from None
    if fmt == "csv" and mapping is None:
        raise ImportProblem(
            "A CSV log needs a column mapping (--mapping FILE or --map KEY=COLUMN)."
        )
    stream, counter = open_log(path)
    rejected = Rejections()
    notes = Rejections()
    book = ActorBook()
    stats = CaseStats()
    try:
        cases = _translated(fmt, stream, rejected, notes, book, xes_options, rules, mapping)
        first = next(cases, None)  # format errors and empty logs surface here
        if first is None:
            raise EmptyLogError(_nothing_read(rejected))
        options: dict[str, Any] = {}
        if mapping is not None:
            options["mapping"] = {k: v for k, v in vars(mapping).items() if v not in (None, ())}
        if xes_options is not None:
            options["xes"] = vars(xes_options)
        writer = DatasetWriter(
            engine,
            name,
            kind="import",
            fmt=fmt,
            origin=Path(path).name,
            params=options,
            arm=ARM,
            **({"batch": batch} if batch else {}),
        )
        with writer:
            for number, item in enumerate(_chain(first, cases), start=1):
                rows, handoffs, ttr = item
                stats.count(handoffs, ttr, len(rows))
                writer.add(rows)
                if progress is not None and number % PROGRESS_EVERY == 0:
                    progress(counter.count)
            for actor, actor_name, level in book:
                writer.add_actor(actor, actor_name, level)
            summary = stats.summary()
            summary["notes"] = dict(notes)
            summary["rows_rejected"] = rejected.total()
            summary["seconds"] = round(time.perf_counter() - started, 2)
            writer.finish(summary, dict(rejected))
    finally:
        stream.close()
    if progress is not None:
        progress(counter.count)
    return ImportResult(
        name=name,
        format=fmt,
        cases=stats.cases,
        events=stats.events,
        rejected=dict(rejected),
        summary=summary,
        seconds=time.perf_counter() - started,
    )


def _nothing_read(rejected: Rejections) -> str:
    if not rejected:
        return "The log is empty: it has no case."
    reasons = "; ".join(f"{reason}: {n}" for reason, n in rejected.most_common())
    return f"No case could be read from the log ({reasons})."


def _chain(first: Translated, rest: Iterator[Translated]) -> Iterator[Translated]:
    yield first
    yield from rest


def _translated(
    fmt: str,
    stream: Any,
    rejected: Rejections,
    notes: Rejections,
    book: ActorBook,
    xes_options: xes.XesOptions | None,
    rules: Rules | None,
    mapping: csvlog.CsvMapping | None,
) -> Iterator[Translated]:
    """Each case's events, numbered from 1 in the order of the file."""
    ticket = 0
    if fmt == "uci":
        for incident in uci.read_incidents(stream, rejected):
            found = uci.translate_incident(incident, ticket + 1, book, notes)
            if found is None:
                rejected.reject("an incident without a parseable opened_at", len(incident))
                continue
            ticket += 1
            yield found
        return
    cases: Iterator[Case]
    if fmt == "xes":
        cases = xes.read_cases(stream, rejected, xes_options or xes.XesOptions())
        case_rules = rules or Rules()
    else:
        assert mapping is not None
        cases = csvlog.read_cases(stream, rejected, mapping)
        case_rules = rules or mapping.rules()
    for case in cases:
        ticket += 1
        yield translate_case(case, ticket, book, case_rules)
