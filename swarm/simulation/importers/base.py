"""What every log importer shares: opening a (gzipped) file, counting rejected rows by reason,
naming actors, the tiers of a support group's name, and turning one case's time-ordered
activity into Swarm's event vocabulary (docs/events.md).

Everything here is pure: it reads files and returns plain rows (:data:`EventRow` mappings);
only :mod:`swarm.simulation.importers.run` writes them, through
:class:`swarm.simulation.store.DatasetWriter`. The translation rules are in docs/import.md.
"""

from __future__ import annotations

import gzip
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

__all__ = [
    "ARM",
    "HANDOFF_BUCKETS",
    "ActorBook",
    "Case",
    "CaseStats",
    "CheckedRows",
    "EmptyLogError",
    "ImportProblem",
    "LogEvent",
    "LogFormatError",
    "Rejections",
    "open_log",
    "priority_of",
    "tier_of_group",
    "translate_case",
]

#: Imported logs come from organisations that work in tiers: their tickets are the tiered arm.
ARM = "tiered"
#: The handoff counts the summary tells apart; the last one is "that many or more".
HANDOFF_BUCKETS = ("0", "1", "2", "3+")

EventRow = dict[str, Any]


class ImportProblem(Exception):
    """A log that cannot be imported at all; the message says why, for the person at the
    command line."""


class LogFormatError(ImportProblem):
    """The file is not what its ``--format`` says."""


class EmptyLogError(ImportProblem):
    """The file holds no case at all."""


class Rejections(Counter[str]):
    """Rows refused, counted by reason (a reason is a short sentence). Never silent: the
    import's summary lists every reason with its count.

    >>> r = Rejections()
    >>> r.reject("unparseable timestamp"); r.reject("unparseable timestamp", 2)
    >>> dict(r), r.total()
    ({'unparseable timestamp': 3}, 3)
    """

    def reject(self, reason: str, rows: int = 1) -> None:
        self[reason] += rows


class CheckedRows:
    """The non-empty rows of a CSV reader that have the header's ``width``; a row of another
    width is rejected with its reason. ``read`` counts the non-empty rows seen, so that a log
    with a header and no rows can be told apart.

    >>> rejections = Rejections()
    >>> rows = CheckedRows([["a", "b"], [], ["c"], ["d", "e"]], 2, rejections)
    >>> list(rows), rows.read, dict(rejections)
    ([['a', 'b'], ['d', 'e']], 3, {'a row with 1 columns where the header has 2': 1})
    """

    def __init__(self, reader: Iterable[list[str]], width: int, rejections: Rejections) -> None:
        self.reader = reader
        self.width = width
        self.rejections = rejections
        self.read = 0

    def __iter__(self) -> Iterator[list[str]]:
        for raw in self.reader:
            if not raw:
                continue
            self.read += 1
            if len(raw) != self.width:
                self.rejections.reject(
                    f"a row with {len(raw)} columns where the header has {self.width}"
                )
                continue
            yield raw


class CountingReader(io.RawIOBase):
    """A binary file that counts the bytes read from it (of the file on disk, before any
    decompression): the progress of a streaming import."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def open_log(path: str | Path) -> tuple[IO[bytes], CountingReader]:
    """The file's bytes, decompressed when it is gzip (told by its first two bytes, not its
    name), and the counter of bytes read from disk. Raises :class:`ImportProblem` when the
    file is missing or is a directory."""
    p = Path(path)
    if not p.exists():
        raise ImportProblem(f"{p}: no such file.")
    if p.is_dir():
        raise ImportProblem(f"{p}: is a directory, not a log file.")
    counter = CountingReader(p.open("rb"))
    buffered = io.BufferedReader(counter, buffer_size=1 << 16)
    if buffered.peek(2)[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=buffered, mode="rb"), counter  # type: ignore[return-value]
    return buffered, counter


_TIER_3 = re.compile(r"\b3rd\b", re.IGNORECASE)
_TIER_2 = re.compile(r"\b2nd\b", re.IGNORECASE)


def tier_of_group(name: str) -> int:
    """The support line a group's name tells (BPI 2013's convention): ``3rd`` → 3, ``2nd`` →
    2, otherwise 1. A team named for both (``V13 2nd 3rd``) is taken at its higher line.

    >>> tier_of_group("G97 2nd"), tier_of_group("V13 2nd 3rd"), tier_of_group("G230"), \
tier_of_group("S42 3rd")
    (2, 3, 1, 3)
    """
    if _TIER_3.search(name):
        return 3
    if _TIER_2.search(name):
        return 2
    return 1


_PRIORITY_WORDS = {
    "1": "P1",
    "critical": "P1",
    "major": "P1",
    "urgent": "P1",
    "2": "P2",
    "high": "P2",
    "3": "P3",
    "moderate": "P3",
    "medium": "P3",
    "normal": "P3",
    "4": "P4",
    "low": "P4",
    "5": "P4",
    "planning": "P4",
}


def priority_of(value: str | None) -> str | None:
    """P1–P4 from a log's priority or impact: ``1 - Critical``, ``High``, ``Major``, ``P2``…
    None when it says nothing recognisable.

    >>> [priority_of(v) for v in ("1 - Critical", "3 - Moderate", "Major", "low", "P2", "?")]
    ['P1', 'P3', 'P1', 'P4', 'P2', None]
    """
    if not value:
        return None
    text = value.strip().lower()
    if re.fullmatch(r"p[1-4]", text):
        return text.upper()
    head = re.split(r"[\s\-–:]+", text, maxsplit=1)[0]
    return _PRIORITY_WORDS.get(head) or _PRIORITY_WORDS.get(text)


class ActorBook:
    """Integer ids for the names a log uses (groups, people, callers), in order of first
    appearance, with their support level when known. Ids 1 and 2 are kept for the two
    *unrecorded owners* that stand in for owner changes a log counts but does not name.

    >>> book = ActorBook()
    >>> book.id("Group 5"), book.id("Group 7", 2), book.id("Group 5")
    (3, 4, 3)
    >>> book.padding(after=1), book.padding(after=2), book.padding(after=4)
    (2, 1, 1)
    """

    UNRECORDED = ("(owner not recorded in the log, a)", "(owner not recorded in the log, b)")

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.levels: dict[int, int | None] = {}
        self.names: dict[int, str] = {}
        for name in self.UNRECORDED:
            self.id(name)

    def id(self, name: str, level: int | None = None) -> int:
        found = self.ids.get(name)
        if found is None:
            found = len(self.ids) + 1
            self.ids[name] = found
            self.names[found] = name
            self.levels[found] = level
        elif level is not None and self.levels[found] is None:
            self.levels[found] = level
        return found

    def padding(self, after: int | None) -> int:
        """An unrecorded owner different from ``after`` (the owner before it)."""
        return 2 if after == 1 else 1

    def __iter__(self) -> Iterator[tuple[int, str, int | None]]:
        for actor, name in self.names.items():
            yield actor, name, self.levels[actor]


@dataclass
class CaseStats:
    """What the import summary says about the cases: how many, how many handoffs each had,
    and the time to resolution per handoff count (the calibration's targets)."""

    cases: int = 0
    events: int = 0
    resolved: int = 0
    handoffs: Counter[str] = field(default_factory=Counter)
    ttr_hours: dict[str, list[float]] = field(default_factory=dict)
    notes: Counter[str] = field(default_factory=Counter)

    def count(self, handoffs: int, ttr_seconds: float | None, events: int) -> None:
        bucket = HANDOFF_BUCKETS[min(handoffs, len(HANDOFF_BUCKETS) - 1)]
        self.cases += 1
        self.events += events
        self.handoffs[bucket] += 1
        if ttr_seconds is not None:
            self.resolved += 1
            self.ttr_hours.setdefault(bucket, []).append(max(0.0, ttr_seconds) / 3600.0)

    def summary(self) -> dict[str, Any]:
        """JSON: ``cases, events, resolved, handoffs {bucket: {cases, share,
        median_ttr_hours}}, notes``."""
        buckets: dict[str, Any] = {}
        for bucket in HANDOFF_BUCKETS:
            n = self.handoffs.get(bucket, 0)
            times = sorted(self.ttr_hours.get(bucket, []))
            buckets[bucket] = {
                "cases": n,
                "share": round(n / self.cases, 4) if self.cases else 0.0,
                "resolved": len(times),
                "median_ttr_hours": round(_median(times), 2) if times else None,
            }
        return {
            "cases": self.cases,
            "events": self.events,
            "resolved": self.resolved,
            "handoffs": buckets,
            "notes": dict(self.notes),
        }


def _median(values: Sequence[float]) -> float:
    n = len(values)
    mid = n // 2
    return values[mid] if n % 2 else (values[mid - 1] + values[mid]) / 2


@dataclass(frozen=True)
class LogEvent:
    """One line of activity in a case of an event log (XES or CSV), as the translation reads
    it. ``owner`` is the group (or person) in charge after it, ``tier`` their support line
    when the log tells it; ``status`` a sub-status (BPI 2013's ``lifecycle:transition``)."""

    at: datetime
    activity: str = ""
    status: str = ""
    owner: str | None = None
    tier: int | None = None
    resource: str | None = None


@dataclass(frozen=True)
class Case:
    """One case of an event log: its id, case-level facts, and its events (any order)."""

    case_id: str
    events: Sequence[LogEvent]
    priority: str | None = None
    category: str | None = None


#: Activities or statuses that end a case's work unless the log names others (BPI 2013's
#: ``Completed``, BPI 2014's ``Closed``, the Helpdesk's ``Resolve ticket`` and ``Closed``).
RESOLVED_WORDS = frozenset({"completed", "closed", "resolved", "resolve ticket"})
#: Statuses that wait on the requester: the resolution clock stands still (``pending``).
PENDING_WORDS = frozenset(
    {"wait - user", "wait - customer", "awaiting user info", "awaiting customer"}
)


@dataclass(frozen=True)
class Rules:
    """How a log's activities read: which end the work, which wait on the requester, which
    change the owner without naming one (BPI 2014's ``Reassignment``). All compared
    case-insensitively."""

    resolved: frozenset[str] = RESOLVED_WORDS
    pending: frozenset[str] = PENDING_WORDS
    handoff_activities: frozenset[str] = frozenset()
    tiers_from_names: bool = True

    @staticmethod
    def of(
        resolved: Sequence[str] | None = None,
        pending: Sequence[str] | None = None,
        handoff_activities: Sequence[str] | None = None,
        tiers_from_names: bool = True,
    ) -> Rules:
        def low(values: Sequence[str]) -> frozenset[str]:
            return frozenset(v.strip().lower() for v in values)

        return Rules(
            resolved=low(resolved) if resolved else RESOLVED_WORDS,
            pending=low(pending) if pending else PENDING_WORDS,
            handoff_activities=low(handoff_activities or ()),
            tiers_from_names=tiers_from_names,
        )


def _words(event: LogEvent) -> tuple[str, str]:
    return event.activity.strip().lower(), event.status.strip().lower()


def translate_case(
    case: Case, ticket_id: int, book: ActorBook, rules: Rules = Rules()
) -> tuple[list[EventRow], int, float | None]:
    """Swarm events for one case of an event log: ``(rows, handoffs, ttr_seconds)``.

    - ``created`` at the first event (``mode: tiered``, priority, category, the case id);
    - the first owner an ``assigned`` (with its tier); each later change of owner (consecutive
      repeats collapsed) one handoff: ``escalated``/``deescalated`` between tiers followed by
      the ``assigned``, or the ``assigned`` alone within a tier;
    - a resolving activity (``Completed``, ``Closed``…) ``resolved``, by the owner of the
      moment; activity after it ``reopened``; a wait on the requester ``status_changed`` to
      ``pending`` and back.

    Examples
    --------
    >>> from datetime import timedelta
    >>> t0 = datetime(2013, 1, 1, tzinfo=UTC)
    >>> ev = lambda m, act, group: LogEvent(t0 + timedelta(minutes=m), act, "", group)
    >>> rows, handoffs, ttr = translate_case(
    ...     Case("SR1", [ev(0, "Accepted", "G1"), ev(5, "Queued", "G2 2nd"),
    ...                  ev(9, "Accepted", "G2 2nd"), ev(60, "Completed", "G2 2nd")]),
    ...     1, ActorBook())
    >>> [r["type"] for r in rows], handoffs, ttr
    (['created', 'assigned', 'escalated', 'assigned', 'resolved'], 1, 3600.0)
    """
    events = sorted(case.events, key=lambda e: e.at)  # stable: the log's order among ties
    first = events[0]
    created: dict[str, Any] = {"mode": ARM, "subject": case.case_id, "case": case.case_id}
    if case.priority:
        created["priority"] = case.priority
    if case.category:
        created["category"] = case.category
    rows: list[EventRow] = [
        {"ticket_id": ticket_id, "type": "created", "at": first.at, "data": created}
    ]
    owner: int | None = None
    tier: int | None = None
    handoffs = 0
    state = "open"
    resolved_at: datetime | None = None

    def emit(type_: str, at: datetime, actor: int | None = None, **data: Any) -> None:
        rows.append(
            {"ticket_id": ticket_id, "type": type_, "at": at, "actor_id": actor, "data": data}
        )

    for event in events:
        activity, status = _words(event)
        resolving = activity in rules.resolved or status in rules.resolved
        if state == "resolved" and not resolving:
            emit("reopened", event.at, owner, **{"from": "resolved", "to": "open"})
            state, resolved_at = "open", None
        new_owner: int | None = None
        new_tier: int | None = None
        if event.owner:
            new_tier = event.tier
            if new_tier is None and rules.tiers_from_names:
                new_tier = tier_of_group(event.owner)
            new_owner = book.id(event.owner, new_tier)
        elif activity in rules.handoff_activities:
            # The log says the owner changed without naming them.
            new_owner = book.padding(owner)
        if new_owner is not None and new_owner != owner:
            if owner is not None:
                handoffs += 1
                if new_tier is not None and tier is not None and new_tier != tier:
                    emit(
                        "escalated" if new_tier > tier else "deescalated",
                        event.at,
                        None,
                        from_tier=tier,
                        to_tier=new_tier,
                        reason="import",
                        previous_owner_id=owner,
                    )
            assigned: dict[str, Any] = {
                "agent_id": new_owner,
                "by": "import",
                "previous_owner_id": owner,
            }
            if new_tier is not None:
                assigned["tier"] = new_tier
            emit("assigned", event.at, None, **assigned)
            owner, tier = new_owner, (new_tier if new_tier is not None else tier)
        if resolving:
            if state != "resolved":
                emit(
                    "resolved",
                    event.at,
                    owner,
                    **{"from": state, "to": "resolved", "resolution": event.activity},
                )
                state, resolved_at = "resolved", event.at
        elif activity in rules.pending or status in rules.pending:
            if state != "pending":
                emit("status_changed", event.at, owner, **{"from": state, "to": "pending"})
                state = "pending"
        elif state == "pending":
            emit("status_changed", event.at, owner, **{"from": "pending", "to": "open"})
            state = "open"
    ttr = None if resolved_at is None else (resolved_at - first.at).total_seconds()
    return rows, handoffs, ttr


def as_utc(when: datetime) -> datetime:
    """An aware time in UTC; a naive one is taken as UTC (logs without zones, docs/import.md)."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def require_columns(header: Sequence[str], needed: Sequence[str], what: str) -> None:
    """:class:`LogFormatError` naming the columns of ``needed`` that ``header`` lacks."""
    missing = [c for c in needed if c not in header]
    if missing:
        raise LogFormatError(
            f"The file does not look like {what}: missing columns {', '.join(missing)}."
        )
