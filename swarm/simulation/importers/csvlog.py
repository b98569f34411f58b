"""Any tool's CSV export of an event log, read through a column mapping.

A mapping names the columns (``case``, ``timestamp``, ``activity``; optionally ``owner`` —
the group or person in charge —, ``status``, ``priority``, ``category``, ``tier``), how
timestamps are written (``time_format``: ``iso`` or a ``strptime`` pattern) and how
activities read (``resolved``, ``pending``, ``handoff_activities``). The rows of a case must
be together in the file (as exports write them); each case is then translated by
:func:`~.base.translate_case`, like an XES trace. docs/import.md has the mapping and examples
(BPI 2013's IBM-derived CSV, the Helpdesk log).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import IO, Any

from swarm.simulation.importers.base import (
    Case,
    CheckedRows,
    EmptyLogError,
    LogEvent,
    LogFormatError,
    Rejections,
    Rules,
    as_utc,
    priority_of,
    require_columns,
)

__all__ = ["CsvMapping", "MappingError", "read_cases"]


class MappingError(ValueError):
    """A mapping that cannot be used; ``fields`` maps each bad key to what is wrong."""

    def __init__(self, message: str, fields: dict[str, str]) -> None:
        super().__init__(message + " " + "; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass(frozen=True)
class CsvMapping:
    """Which column means what, and how to read times and activities (docs/import.md)."""

    case: str = ""
    timestamp: str = ""
    activity: str = ""
    owner: str | None = None
    status: str | None = None
    priority: str | None = None
    category: str | None = None
    tier: str | None = None
    time_format: str = "iso"
    delimiter: str = ","
    resolved: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    handoff_activities: tuple[str, ...] = ()
    tiers_from_names: bool = True

    @staticmethod
    def from_dict(values: Mapping[str, Any]) -> CsvMapping:
        """A mapping from JSON-like values; :class:`MappingError` names each bad key.

        >>> CsvMapping.from_dict({"case": "CaseID", "timestamp": "T", "activity": "A",
        ...                       "resolved": ["6"]}).resolved
        ('6',)
        >>> CsvMapping.from_dict({"case": "CaseID", "colour": "red"})
        Traceback (most recent call last):
        ...
        swarm.simulation.importers.csvlog.MappingError: The CSV mapping is not usable. \
colour: unknown key; timestamp: name the column; activity: name the column
        """
        known = {f.name for f in fields(CsvMapping)}
        problems: dict[str, str] = {}
        given: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                problems[key] = "unknown key"
            elif key in ("resolved", "pending", "handoff_activities"):
                items = [value] if isinstance(value, str) else value
                if not isinstance(items, list | tuple) or not all(
                    isinstance(v, str) for v in items
                ):
                    problems[key] = "a list of activity names"
                else:
                    given[key] = tuple(items)
            elif key == "tiers_from_names":
                if isinstance(value, str):
                    value = value.strip().lower() in ("1", "true", "yes", "on")
                if not isinstance(value, bool):
                    problems[key] = "true or false"
                else:
                    given[key] = value
            elif not isinstance(value, str) or (value == "" and key != "owner"):
                problems[key] = "a column name (text)"
            else:
                given[key] = value
        for key in ("case", "timestamp", "activity"):
            if not given.get(key) and key not in problems:
                problems[key] = "name the column"
        if "delimiter" in given and len(given["delimiter"]) != 1:
            problems["delimiter"] = "one character"
        if problems:
            raise MappingError("The CSV mapping is not usable.", problems)
        return CsvMapping(**given)

    def rules(self) -> Rules:
        return Rules.of(
            resolved=self.resolved or None,
            pending=self.pending or None,
            handoff_activities=self.handoff_activities,
            tiers_from_names=self.tiers_from_names,
        )

    def columns(self) -> list[str]:
        named = [self.case, self.timestamp, self.activity]
        named += [
            c for c in (self.owner, self.status, self.priority, self.category, self.tier) if c
        ]
        return named


def parse_tier(text: str) -> int | None:
    """A support line from a column: ``2``, ``L2``, ``Tier 2``, ``2nd``; ``L2/L3`` is 3.

    >>> [parse_tier(t) for t in ("1", "L2", "L2/L3", "tier 3", "", "x")]
    [1, 2, 3, 3, None, None]
    """
    digits = [int(c) for c in text if c in "123"]
    return max(digits) if digits else None


def _time_reader(fmt: str) -> Any:
    if fmt == "iso":

        def read(text: str) -> datetime | None:
            try:
                return as_utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
            except ValueError:
                return None

    else:

        def read(text: str) -> datetime | None:
            try:
                return as_utc(datetime.strptime(text.strip(), fmt))
            except ValueError:
                return None

    return read


def read_cases(stream: IO[bytes], rejections: Rejections, mapping: CsvMapping) -> Iterator[Case]:
    """The cases of a CSV event log, one at a time (rows of a case together in the file)."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")
    reader = csv.reader(text, delimiter=mapping.delimiter)
    what = "a CSV event log with the columns the mapping names"
    try:
        header = next(reader)
    except StopIteration:
        raise EmptyLogError("The log is empty: no header, no rows.") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise LogFormatError(f"The file does not look like {what}: {error}.") from None
    header = [h.strip() for h in header]
    require_columns(header, mapping.columns(), what)
    index = {name: header.index(name) for name in mapping.columns()}
    width = len(header)
    read_time = _time_reader(mapping.time_format)
    i_case, i_time, i_act = index[mapping.case], index[mapping.timestamp], index[mapping.activity]
    i_owner = index.get(mapping.owner or "")
    i_status = index.get(mapping.status or "")
    i_tier = index.get(mapping.tier or "")
    i_priority = index.get(mapping.priority or "")
    i_category = index.get(mapping.category or "")
    done: set[str] = set()
    case_id = ""
    events: list[LogEvent] = []
    priority: str | None = None
    category: str | None = None
    apart = "a case's rows apart from its others (sort the file by case)"
    checked = CheckedRows(reader, width, rejections)
    try:
        for raw in checked:
            cid = raw[i_case].strip()
            if not cid:
                rejections.reject("no case id")
                continue
            at = read_time(raw[i_time])
            if at is None:
                rejections.reject(f"unparseable {mapping.timestamp} (format {mapping.time_format})")
                continue
            if cid != case_id:
                if events:
                    yield Case(case_id, events, priority, category)
                    done.add(case_id)
                events, priority, category = [], None, None
                case_id = cid
                if cid in done:
                    case_id = ""
            if not case_id:
                rejections.reject(apart)
                continue
            owner = raw[i_owner].strip() if i_owner is not None else ""
            events.append(
                LogEvent(
                    at=at,
                    activity=raw[i_act].strip(),
                    status=raw[i_status].strip() if i_status is not None else "",
                    owner=owner or None,
                    tier=parse_tier(raw[i_tier]) if i_tier is not None and owner else None,
                )
            )
            # The latest value of the case wins (as BPI 2013's "SR Latest Impact").
            if i_priority is not None:
                priority = priority_of(raw[i_priority]) or priority
            if i_category is not None and raw[i_category].strip():
                category = raw[i_category].strip()
    except (UnicodeDecodeError, csv.Error) as error:
        raise LogFormatError(f"The file does not look like {what}: {error}.") from None
    if events:
        yield Case(case_id, events, priority, category)
    elif checked.read == 0:
        raise EmptyLogError("The log has a header but no rows.")
