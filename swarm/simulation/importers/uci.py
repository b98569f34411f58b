"""The ServiceNow incident audit log (UCI "Incident management process enriched event log").

Each row is a snapshot of an incident after an update; an incident's rows are read together
(the file keeps them together: 24,918 runs for 24,918 incidents) and become one ticket:

- ``created`` at ``opened_at`` (``mode: tiered``, the final record's priority mapped to P1–P4,
  category, subcategory, first assignment group, contact type; the caller is the requester);
- the owner is the person (``assigned_to``) or, while none, the group (``assignment_group``);
  the first known one an ``assigned``; the incident's handoffs are its **final**
  ``reassignment_count``: each increase of the count is one owner change, at the row it
  appears in, to the row's owner, or — when the count rises by more than the owners the rows
  show (snapshots miss intermediate owners) — to an *unrecorded owner* that stands in for it;
- ``reopen_count`` increases become ``resolved`` (at the last ``Resolved`` snapshot before)
  and ``reopened``; ``Awaiting User Info`` is ``pending``;
- the resolution is ``resolved_at`` when it parses (time to resolution = ``resolved_at −
  opened_at``), then ``closed`` at ``closed_at``.

Rows that cannot be read are counted by reason (:class:`~.base.Rejections`). Memory: one
incident's rows at a time, plus the set of incident numbers already read (to tell a file not
grouped by incident: such rows are rejected, never merged silently).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import IO, Any

from swarm.simulation.importers.base import (
    ARM,
    ActorBook,
    CheckedRows,
    EmptyLogError,
    LogFormatError,
    Rejections,
    priority_of,
    require_columns,
)

__all__ = ["COLUMNS", "Incident", "parse_time", "read_incidents", "translate_incident"]

WHAT = "a ServiceNow incident log"
#: The columns the translation reads (the file has 36).
COLUMNS = (
    "number",
    "incident_state",
    "reassignment_count",
    "reopen_count",
    "sys_mod_count",
    "caller_id",
    "opened_at",
    "sys_updated_at",
    "contact_type",
    "category",
    "subcategory",
    "priority",
    "assignment_group",
    "assigned_to",
    "closed_code",
    "resolved_at",
    "closed_at",
)
MISSING = "?"
_PENDING = "Awaiting User Info"
_DONE = ("Resolved", "Closed")

#: One row as the translation reads it: the :data:`COLUMNS` values, with the counts and the
#: update time parsed.
Row = tuple[Any, ...]
Incident = list[Row]


@lru_cache(maxsize=65_536)
def parse_time(text: str) -> datetime | None:
    """``D/M/YYYY HH:MM`` (day first, no seconds, no zone: taken as UTC), or None.

    >>> parse_time("29/2/2016 01:16"), parse_time("?"), parse_time("31/2/2016 01:16")
    (datetime.datetime(2016, 2, 29, 1, 16, tzinfo=datetime.timezone.utc), None, None)
    """
    try:
        day, rest = text.split(" ", 1)
        d, m, y = day.split("/")
        hh, mm = rest.split(":")
        return datetime(int(y), int(m), int(d), int(hh), int(mm), tzinfo=UTC)
    except ValueError:
        return None


def read_incidents(stream: IO[bytes], rejections: Rejections) -> Iterator[Incident]:
    """Each incident's rows, read from the CSV bytes ``stream``. Rows that cannot be read are
    counted in ``rejections``; raises :class:`LogFormatError` when the header lacks the
    columns and :class:`EmptyLogError` when no row can be read."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        raise EmptyLogError("The log is empty: no header, no rows.") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise LogFormatError(f"The file does not look like {WHAT}: {error}.") from None
    require_columns(header, COLUMNS, WHAT)
    where = [header.index(c) for c in COLUMNS]
    width = len(header)
    i_number, i_rc, i_ro, i_mod, i_updated = (
        COLUMNS.index(c)
        for c in ("number", "reassignment_count", "reopen_count", "sys_mod_count", "sys_updated_at")
    )
    done: set[str] = set()
    current: Incident = []
    number = ""
    checked = CheckedRows(reader, width, rejections)
    try:
        for raw in checked:
            values: list[Any] = [raw[i] for i in where]
            if values[i_number] in ("", MISSING):
                rejections.reject("no incident number")
                continue
            try:
                for i in (i_rc, i_ro, i_mod):
                    values[i] = int(values[i])
            except ValueError:
                rejections.reject("unparseable reassignment_count, reopen_count or sys_mod_count")
                continue
            updated = parse_time(values[i_updated])
            if updated is None:
                rejections.reject("unparseable sys_updated_at")
                continue
            values[i_updated] = updated
            if values[i_number] != number:
                if current:
                    yield current
                    done.add(number)
                number = values[i_number]
                current = []
                if number in done:
                    # Merging would need every incident in memory; the rule is a grouped file.
                    rejections.reject("an incident's rows apart from its others (sort by number)")
                    number = ""
                    continue
            if number:
                current.append(tuple(values))
            else:
                rejections.reject("an incident's rows apart from its others (sort by number)")
    except (UnicodeDecodeError, csv.Error) as error:
        raise LogFormatError(f"The file does not look like {WHAT}: {error}.") from None
    if current:
        yield current
    elif checked.read == 0:
        raise EmptyLogError("The log has a header but no rows.")


_C = {name: i for i, name in enumerate(COLUMNS)}


def translate_incident(
    rows: Sequence[Row], ticket_id: int, book: ActorBook, notes: Rejections | None = None
) -> tuple[list[dict[str, Any]], int, float | None] | None:
    """Swarm events for one incident: ``(rows, handoffs, ttr_seconds)``, or None when its
    ``opened_at`` does not parse (the caller rejects its rows).

    Examples
    --------
    >>> t = lambda s: parse_time(s)
    >>> def row(state, rc, mod, updated, group="Group 1", person="?", ro=0):
    ...     return ("INC1", state, rc, ro, mod, "Caller 9", "1/3/2016 09:00", t(updated),
    ...             "Phone", "Category 4", "?", "2 - High", group, person, "code 5",
    ...             "1/3/2016 12:00", "4/3/2016 12:00")
    >>> events, handoffs, ttr = translate_incident([
    ...     row("New", 0, 0, "1/3/2016 09:05"),
    ...     row("Active", 1, 1, "1/3/2016 10:00", "Group 2", "Resolver 3"),
    ...     row("Resolved", 3, 2, "1/3/2016 12:00", "Group 2", "Resolver 3"),
    ... ], 1, ActorBook())
    >>> [e["type"] for e in events]
    ['created', 'assigned', 'assigned', 'assigned', 'assigned', 'resolved']
    >>> handoffs, ttr / 3600, events[0]["data"]["priority"]
    (3, 3.0, 'P2')
    """
    ordered = sorted(rows, key=lambda r: r[_C["sys_mod_count"]])
    final = ordered[-1]
    opened = parse_time(final[_C["opened_at"]]) or parse_time(ordered[0][_C["opened_at"]])
    if opened is None:
        return None
    number = final[_C["number"]]
    caller = final[_C["caller_id"]]
    requester = book.id(caller) if caller != MISSING else None
    created: dict[str, Any] = {"mode": ARM, "subject": number, "case": number}
    priority = priority_of(final[_C["priority"]])
    if priority:
        created["priority"] = priority
    for key in ("category", "subcategory", "contact_type"):
        if final[_C[key]] != MISSING:
            created[key] = final[_C[key]]
    groups = [r[_C["assignment_group"]] for r in ordered if r[_C["assignment_group"]] != MISSING]
    if groups:
        created["group"] = groups[0]
    if requester is not None:
        created["requester_id"] = requester
    events: list[dict[str, Any]] = [
        {
            "ticket_id": ticket_id,
            "type": "created",
            "at": opened,
            "actor_id": requester,
            "data": created,
        }
    ]

    def emit(type_: str, at: datetime, actor: int | None = None, **data: Any) -> None:
        events.append(
            {"ticket_id": ticket_id, "type": type_, "at": at, "actor_id": actor, "data": data}
        )

    owner: int | None = None
    handoffs = 0
    reassigned = reopened = 0
    state = "open"
    last_done: datetime | None = None

    def assign(to: int, at: datetime) -> None:
        nonlocal owner, handoffs
        if owner is not None:
            handoffs += 1
        emit("assigned", at, None, agent_id=to, by="import", previous_owner_id=owner)
        owner = to

    for r in ordered:
        at = r[_C["sys_updated_at"]]
        name = r[_C["assigned_to"]]
        if name == MISSING:
            name = r[_C["assignment_group"]]
        real = book.id(name) if name != MISSING else None
        rc, ro, incident_state = r[_C["reassignment_count"]], r[_C["reopen_count"]], r[1]
        if ro > reopened:
            for _ in range(ro - reopened):
                emit(
                    "resolved",
                    last_done or at,
                    owner,
                    **{"from": state, "to": "resolved", "resolution": "reopened later"},
                )
                emit("reopened", at, owner, **{"from": "resolved", "to": "open"})
                state = "open"
            reopened = ro
        if rc > reassigned:
            if owner is None:
                # The count rose before any owner was recorded: someone unrecorded had it.
                assign(book.padding(None), at)
            for k in range(rc - reassigned):
                last = k == rc - reassigned - 1
                if last and real is not None and real != owner:
                    assign(real, at)
                else:
                    assign(book.padding(owner), at)
            reassigned = rc
        elif owner is None and real is not None:
            assign(real, at)
        if incident_state in _DONE:
            last_done = at
        elif incident_state == _PENDING:
            if state != "pending":
                emit("status_changed", at, owner, **{"from": state, "to": "pending"})
                state = "pending"
        elif state == "pending":
            emit("status_changed", at, owner, **{"from": "pending", "to": "open"})
            state = "open"
    resolved = parse_time(final[_C["resolved_at"]])
    ttr: float | None = None
    if resolved is not None:
        emit(
            "resolved",
            resolved,
            owner,
            **{"from": state, "to": "resolved", "resolution": final[_C["closed_code"]]},
        )
        ttr = (resolved - opened).total_seconds()
        closed = parse_time(final[_C["closed_at"]])
        if final[1] == "Closed" and closed is not None:
            emit("closed", closed, owner, **{"from": "resolved", "to": "closed"})
    elif notes is not None:
        notes.reject(
            "no resolved_at (kept open)"
            if final[_C["resolved_at"]] == MISSING
            else "unparseable resolved_at (kept open)"
        )
    return events, handoffs, ttr
