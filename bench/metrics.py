"""Benchmark the metrics comparison on a generated event log; print one JSON object.

    python bench/metrics.py --events 1000000 --json
    python bench/metrics.py --events 1000000 --json \\
        --database-url postgresql://postgres@127.0.0.1:5432/test_bench
    python bench/metrics.py --events 10000000 --json --reuse   # load once, time again cheaply

What it does:

1. **Generates** a year of tickets in the event vocabulary (docs/events.md) for both arms, about
   ten events a ticket: swarm tickets (routed by policy, chat, helpers invited or joining by a
   message, hands raised, reassignments) and tiered tickets (queued, pulled, escalated by time or
   by hand with the owner let go, vendor hand-offs), replies, pauses, resolutions, ratings by the
   requester on about half of the resolutions, reopenings, closings, and a few tickets still open.
   200 agents (levels 1–3) and 2,000 requesters. Tickets overlap in time as real ones do, so
   their events are interleaved in id order (ids follow time); a ticket's own events are in id
   order. The generator is seeded (``--seed``): the same arguments give the same log.
2. **Loads** it into a database whose schema is the application's own (the Alembic migrations,
   as ``python -m swarm init-db``), bypassing the ORM: SQLite ``executemany`` in large
   transactions with ``synchronous=OFF`` and an in-memory journal for the load only (WAL again
   afterwards, as the application keeps it); PostgreSQL ``COPY``. The secondary indexes and (on
   PostgreSQL) the foreign keys of ``tickets`` and ``ticket_events`` are dropped for the load and
   recreated after it — recreating them validates every row. PostgreSQL is analysed (``ANALYZE``, as
   autovacuum would soon do); SQLite is left without statistics, as the application leaves it,
   unless ``--analyze`` is given (then it is analysed too, also when reused).
   The database named by ``--database-url`` is emptied first, and only if it is empty or was
   made by this script (a ``settings`` row ``bench.metrics`` marks it); anything else is refused.
3. **Times** ``swarm.reporting.service.build_report`` — the full comparison of both arms, every
   metric with its intervals, read from the database — ``--repeat`` times, each in a fresh child
   process (``--measure-only``) with a fresh connection. ``seconds`` is the best run,
   ``seconds_median`` the median, ``seconds_all`` every run.

``peak_mb`` is the peak resident set size of that child process (``getrusage(RUSAGE_SELF)
.ru_maxrss``), the largest over the runs: everything the comparison needed at once, Python,
numpy, SQLAlchemy and the driver included — the honest figure for "how much memory does a
report take", since a process that only runs the comparison has nothing else in it.
``baseline_mb`` is that child's RSS just before the comparison (after imports and connecting),
so ``peak_mb - baseline_mb`` is what the comparison itself added. Targets (issue #12): at most
2 s and 1 GB for a million events.

Progress (tqdm) goes to stderr on a terminal; ``--json`` prints only the final object on stdout.
Figures are noisy; compare them only within one run on one machine.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Run as a script from a checkout: make the repository root importable without installing.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from swarm.db import normalize_url
from swarm.migrate import upgrade

MARKER = "bench.metrics"
START = datetime(2025, 1, 1, tzinfo=UTC)
YEAR = 365 * 86400.0
AGENTS = 200
REQUESTERS = 2000
MANAGERS = 10  # the first agent ids; they reassign and escalate by hand
SKILLS = 300
CATEGORIES = ("access", "network", "email", "hardware", "billing", "software", "security")
PRIORITIES = ("P1", "P2", "P3", "P4")
PRIORITY_WEIGHTS = (5, 15, 50, 30)
#: Minutes to the first assignment, median by priority (lognormal around it).
RESPONSE_MINUTES = {"P1": 4.0, "P2": 15.0, "P3": 45.0, "P4": 120.0}
#: Hours of work to a resolution, median by priority.
WORK_HOURS = {"P1": 1.5, "P2": 4.0, "P3": 10.0, "P4": 24.0}
TIERED_VARIANTS = (
    {"collaboration": "off", "intake": {"1": "pull", "2": "pull", "3": "pull"}},
    {"collaboration": "within_tier", "intake": {"1": "push", "2": "pull", "3": "pull"}},
)
VENDORS = (("Contoso Networks", 1), ("Fabrikam Hardware", 2), ("Northwind Cloud", 3))
#: The lives below average about this many events (measured), so the log spans a year.
EVENTS_PER_TICKET = 11.4
CHUNK = 50_000  # rows per executemany / COPY batch
EVENT_COLUMNS = ("id", "ticket_id", "type", "actor_id", "at", "data", "source")
TICKET_COLUMNS = (
    "id",
    "subject",
    "body",
    "priority",
    "status",
    "mode",
    "requester_id",
    "owner_id",
    "tier",
    "category",
    "created_at",
    "updated_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "resolution",
    "version",
    "tier_paused_seconds",
)


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the organisation


def agent_level(agent_id: int) -> int:
    """Support level 1–3 of agent ``agent_id`` (1..AGENTS): half L1, 30 % L2, 20 % L3."""
    rank = (agent_id - 1) / AGENTS
    return 1 if rank < 0.5 else 2 if rank < 0.8 else 3


AGENTS_BY_LEVEL = {
    level: [a for a in range(1, AGENTS + 1) if agent_level(a) == level] for level in (1, 2, 3)
}
REQUESTER_IDS = range(AGENTS + 1, AGENTS + REQUESTERS + 1)


def levels() -> dict[int, int]:
    """Agent id → support level, as ``build_report(levels=...)`` takes it."""
    return {a: agent_level(a) for a in range(1, AGENTS + 1)}


def user_rows() -> list[tuple[Any, ...]]:
    created = _stamp(START.timestamp() - 30 * 86400)
    rows = []
    for a in range(1, AGENTS + 1):
        role = "manager" if a <= MANAGERS else "agent"
        rows.append((a, f"agent{a}@bench.example", f"Agent {a}", role, None, True, created))
    for r in REQUESTER_IDS:
        rows.append(
            (r, f"user{r}@bench.example", f"Requester {r}", "requester", None, True, created)
        )
    return rows


def profile_rows() -> list[tuple[Any, ...]]:
    return [(a, "offline", 5, agent_level(a), "[]", "UTC") for a in range(1, AGENTS + 1)]


# ------------------------------------------------------------------------------- timestamps

_DAYS: dict[int, str] = {}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _stamp(t: float) -> str:
    """Epoch seconds as SQLAlchemy writes a UTC time on SQLite: ``YYYY-MM-DD HH:MM:SS.ffffff``
    (PostgreSQL reads the same text, with ``+00`` added)."""
    micros = round(t * 1_000_000)
    day, rest = divmod(micros, 86_400_000_000)
    prefix = _DAYS.get(day)
    if prefix is None:
        prefix = _DAYS[day] = (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")
    seconds, us = divmod(rest, 1_000_000)
    h, s = divmod(seconds, 3600)
    m, s = divmod(s, 60)
    return f"{prefix} {h:02d}:{m:02d}:{s:02d}.{us:06d}"


# ------------------------------------------------------------------------------ one ticket


@dataclass
class Ticket:
    """One ticket's generated life: its events (time, type, actor, data) and its final row."""

    id: int
    rng: random.Random
    t: float
    mode: str
    priority: str
    category: str
    requester: int
    keys: Iterator[int]  # message and invitation ids, shared by all tickets
    events: list[tuple[float, str, int | None, dict[str, Any]]] = field(default_factory=list)
    status: str = "new"
    owner: int | None = None
    tier: int | None = None
    helpers: dict[int, float] = field(default_factory=dict)  # helper → joined at
    first_response: float | None = None
    resolved_at: float | None = None
    closed_at: float | None = None

    def emit(self, type_: str, actor: int | None, **data: Any) -> None:
        # Strictly later than the event before: one order, by id and by time alike.
        if self.events and self.t <= self.events[-1][0]:
            self.t = self.events[-1][0] + 0.001 + self.rng.random()
        self.events.append((self.t, type_, actor, data))

    def wait_minutes(self, median: float, spread: float = 1.0) -> None:
        self.t += 60.0 * median * self.rng.lognormvariate(0.0, spread)

    def move(self, to: str, actor: int | None) -> None:
        self.emit("status_changed", actor, **{"from": self.status, "to": to})
        self.status = to

    def assign(self, agent: int, by: str, actor: int | None, **extra: Any) -> None:
        data: dict[str, Any] = {"agent_id": agent, "by": by, "previous_owner_id": self.owner}
        data.update(extra)
        self.emit("assigned", actor, **data)
        self.owner = agent
        if self.status == "new":
            self.move("open", actor)

    def say(self, author: int, kind: str) -> int:
        key = next(self.keys)
        if kind == "note":
            self.emit("note", author, message_id=key)
        else:
            self.emit("message", author, message_id=key, kind=kind)
        if kind == "reply" and author != self.requester and self.first_response is None:
            self.first_response = self.t
        return key

    def conversation(self, rounds: int) -> None:
        """Work on the ticket: the owner replies and chats, the requester answers."""
        assert self.owner is not None
        for _ in range(rounds):
            self.wait_minutes(WORK_HOURS[self.priority] * 60 / (rounds + 2), 0.8)
            roll = self.rng.random()
            if roll < 0.45:
                self.say(self.owner, "reply")
            elif roll < 0.7:
                self.say(self.requester, "reply")
            elif roll < 0.9:
                self.say(self.owner, "chat")
            else:
                self.say(self.owner, "note")

    def pause(self) -> None:
        """Waiting on the requester for a while (open → pending → open)."""
        self.move("pending", self.owner)
        self.wait_minutes(WORK_HOURS[self.priority] * 30, 1.2)
        self.say(self.requester, "reply")
        self.move("open", None)

    def helper_joins(self, helper: int) -> None:
        assert self.owner is not None
        if self.rng.random() < 0.6:
            invitation = next(self.keys)
            self.emit("helper_invited", self.owner, agent_id=helper, invitation_id=invitation)
            self.wait_minutes(8.0)
            self.emit(
                "helper_joined", helper, agent_id=helper, via="invitation", invitation_id=invitation
            )
        else:
            self.wait_minutes(20.0)
            key = self.say(helper, "chat")
            self.emit("helper_joined", helper, agent_id=helper, via="message", message_id=key)
        self.helpers[helper] = self.t
        self.say(helper, "chat")

    def helper_leaves(self, helper: int, reason: str) -> None:
        joined = self.helpers.pop(helper)
        seconds = round(self.t - joined, 1)
        self.emit("helper_left", helper, agent_id=helper, seconds=seconds, reason=reason)

    def resolve(self) -> None:
        assert self.owner is not None
        self.wait_minutes(WORK_HOURS[self.priority] * 15, 1.0)
        self.emit(
            "resolved",
            self.owner,
            **{"from": self.status, "to": "resolved", "resolution": "Fixed and confirmed."},
        )
        self.status, self.resolved_at = "resolved", self.t
        for helper in list(self.helpers):
            self.helper_leaves(helper, "resolved")
        if self.rng.random() < 0.5:
            self.wait_minutes(240.0, 1.5)
            self.emit("satisfaction_rated", self.requester, score=self._score())

    def _score(self) -> int:
        weights = (4, 6, 15, 35, 40) if self.mode == "swarm" else (6, 8, 18, 34, 34)
        return self.rng.choices((1, 2, 3, 4, 5), weights=weights)[0]

    def finish(self) -> None:
        """Resolve, perhaps reopen and resolve again, usually close."""
        self.resolve()
        if self.rng.random() < 0.05:
            self.wait_minutes(24 * 60.0, 1.0)
            self.emit(
                "reopened",
                self.requester,
                **{"from": self.status, "to": "open", "reason": "It happened again."},
            )
            self.status = "open"
            self.conversation(self.rng.randint(1, 2))
            self.resolve()
        if self.rng.random() < 0.8:
            self.wait_minutes(3 * 24 * 60.0, 0.3)
            self.emit("closed", None, **{"from": "resolved", "to": "closed"})
            self.status, self.closed_at = "closed", self.t

    def row(self) -> tuple[Any, ...]:
        created, updated = self.events[0][0], self.events[-1][0]
        opt = lambda t: None if t is None else _stamp(t)  # noqa: E731
        resolution = "Fixed and confirmed." if self.resolved_at is not None else None
        return (
            self.id,
            f"Bench ticket {self.id}",
            "Generated by bench/metrics.py.",
            self.priority,
            self.status,
            self.mode,
            self.requester,
            self.owner,
            self.tier,
            self.category,
            _stamp(created),
            _stamp(updated),
            opt(self.first_response),
            opt(self.resolved_at),
            opt(self.closed_at),
            resolution,
            1,
            0.0,
        )


def _created(ticket: Ticket, **extra: Any) -> None:
    rng = ticket.rng
    ticket.emit(
        "created",
        ticket.requester,
        subject=f"Bench ticket {ticket.id}",
        priority=ticket.priority,
        mode=ticket.mode,
        requester_id=ticket.requester,
        category=ticket.category,
        **extra,
    )
    skills = rng.sample(range(1, SKILLS + 1), rng.randint(1, 3))
    ticket.emit(
        "skills_set",
        None,
        skills=[{"skill_id": s, "weight": round(rng.uniform(0.3, 1.0), 2)} for s in skills],
        by="inferred",
    )


def swarm_life(ticket: Ticket) -> None:
    rng = ticket.rng
    _created(ticket)
    ticket.wait_minutes(RESPONSE_MINUTES[ticket.priority])
    if rng.random() < 0.02:
        return  # still new: nobody has taken it yet
    owner = rng.randint(1, AGENTS)
    ticket.assign(owner, "policy", None, why="Best match for the required skills")
    ticket.say(owner, "reply")
    ticket.conversation(rng.randint(0, 2))
    if rng.random() < 0.15:
        ticket.emit("hand_raised", owner, note="Could someone who knows this have a look?")
    if rng.random() < 0.35:
        for helper in rng.sample(range(1, AGENTS + 1), rng.choice((1, 1, 1, 2))):
            if helper != ticket.owner:
                ticket.helper_joins(helper)
        if ticket.helpers and rng.random() < 0.3:
            ticket.wait_minutes(30.0)
            ticket.helper_leaves(next(iter(ticket.helpers)), rng.choice(("left", "idle")))
    if rng.random() < 0.08:
        ticket.wait_minutes(60.0)
        manager = rng.randint(1, MANAGERS)
        others = [a for a in range(1, AGENTS + 1) if a != ticket.owner]
        ticket.assign(rng.choice(others), "manual", manager, why="Rebalanced")
        ticket.say(ticket.owner or owner, "reply")
    if rng.random() < 0.2:
        ticket.pause()
    if rng.random() < 0.03:
        return  # still open
    ticket.finish()


def tiered_life(ticket: Ticket) -> None:
    rng = ticket.rng
    variant = TIERED_VARIANTS[0] if rng.random() < 0.7 else TIERED_VARIANTS[1]
    _created(ticket, **variant)
    ticket.tier = 1
    ticket.emit("queued", None, tier=1, why="New tickets start in Tier 1", policy="tiered")
    ticket.wait_minutes(RESPONSE_MINUTES[ticket.priority] * 1.5)
    if rng.random() < 0.02:
        return  # still waiting in the queue
    ticket.tier = 1
    agent = rng.choice(AGENTS_BY_LEVEL[1])
    ticket.assign(agent, "pull", agent, tier=1)
    ticket.say(agent, "reply")
    ticket.conversation(rng.randint(0, 1))
    for to_tier, chance in ((2, 0.35), (3, 0.3)):
        if rng.random() >= chance:
            break
        by_time = rng.random() < 0.4
        actor = None if by_time else ticket.owner
        ticket.wait_minutes(WORK_HOURS[ticket.priority] * 20, 0.6)
        previous = ticket.owner
        ticket.emit(
            "escalated",
            actor,
            from_tier=ticket.tier,
            to_tier=to_tier,
            reason="time_limit" if by_time else "manual",
            previous_owner_id=previous,
        )
        ticket.emit("unassigned", actor, previous_owner_id=previous, reason="escalated")
        ticket.owner, ticket.tier = None, to_tier
        ticket.emit(
            "queued", None, tier=to_tier, why=f"Escalated to Tier {to_tier}", policy="tiered"
        )
        ticket.wait_minutes(RESPONSE_MINUTES[ticket.priority] * 2)
        agent = rng.choice(AGENTS_BY_LEVEL[to_tier])
        ticket.assign(agent, "pull", agent, tier=to_tier)
        ticket.say(agent, "chat")
    if variant["collaboration"] == "within_tier" and rng.random() < 0.2:
        same_tier = [a for a in AGENTS_BY_LEVEL[ticket.tier or 1] if a != ticket.owner]
        ticket.helper_joins(rng.choice(same_tier))
    if rng.random() < 0.05:
        vendor, vendor_id = rng.choice(VENDORS)
        reference = f"EXT-{ticket.id}"
        due = _stamp(ticket.t + 48 * 3600).replace(" ", "T") + "+00:00"
        owner = ticket.owner
        ticket.emit(
            "vendor_handoff",
            owner,
            vendor=vendor,
            vendor_id=vendor_id,
            external_ref=reference,
            due_at=due,
        )
        for status in ("in_progress", "resolved"):
            ticket.wait_minutes(12 * 60.0)
            ticket.emit(
                "vendor_update", owner, status=status, vendor_id=vendor_id, external_ref=reference
            )
    if rng.random() < 0.2:
        ticket.pause()
    if rng.random() < 0.03:
        return  # still open
    ticket.finish()


# -------------------------------------------------------------------------------- the log


@dataclass
class Generated:
    """What :func:`generate` made: counts and the moment the log ends (``as_of``)."""

    events: int = 0
    tickets: int = 0
    last_at: float = 0.0


def generate(
    n_events: int,
    seed: int,
    write_tickets: Callable[[list[tuple[Any, ...]]], None],
    write_events: Callable[[list[tuple[Any, ...]]], None],
    *,
    on_events: Callable[[int], None] = lambda n: None,
) -> Generated:
    """Generate about ``n_events`` events (whole tickets: a few more) and hand them over in
    batches: tickets before the events that name them, events in id order.

    Tickets arrive over a year (a Poisson process); every ticket's life is generated at once and
    its events wait in a heap until the log's clock reaches them, so the ids of overlapping
    tickets interleave as in a live database. Returns the counts.
    """
    rng = random.Random(seed)
    keys = iter(range(1, 1 << 62))
    rate = max(n_events / EVENTS_PER_TICKET, 1.0) / YEAR  # tickets a second, for a year
    pending: list[tuple[float, int, int, str, int | None, str]] = []  # time-ordered heap
    tickets: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    out = Generated()
    t, made, next_id = START.timestamp(), 0, 1
    dumps = json.dumps

    def flush_until(limit: float) -> None:
        nonlocal next_id
        while pending and pending[0][0] < limit:
            at, ticket_id, _, type_, actor, data = heapq.heappop(pending)
            events.append((next_id, ticket_id, type_, actor, _stamp(at), data, "live"))
            next_id += 1
            if len(events) >= CHUNK:
                write_tickets(tickets)
                tickets.clear()
                write_events(events)
                on_events(len(events))
                events.clear()

    while made < n_events:
        t += rng.expovariate(rate)
        out.tickets += 1
        mode = "swarm" if rng.random() < 0.5 else "tiered"
        ticket = Ticket(
            id=out.tickets,
            rng=rng,
            t=t,
            mode=mode,
            priority=rng.choices(PRIORITIES, weights=PRIORITY_WEIGHTS)[0],
            category=rng.choice(CATEGORIES),
            requester=rng.choice(REQUESTER_IDS),
            keys=keys,
        )
        (swarm_life if mode == "swarm" else tiered_life)(ticket)
        flush_until(t)
        tickets.append(ticket.row())
        for seq, (at, type_, actor, data) in enumerate(ticket.events):
            heapq.heappush(pending, (at, ticket.id, seq, type_, actor, dumps(data)))
        made += len(ticket.events)
        out.last_at = max(out.last_at, ticket.events[-1][0])
    flush_until(float("inf"))
    write_tickets(tickets)
    write_events(events)
    on_events(len(events))
    out.events = made
    return out


# ------------------------------------------------------------------------------ databases


class Loader:
    """Writes rows into one database, fast; ``reset`` readies an empty schema."""

    dialect: str

    def marker(self) -> dict[str, Any] | None:
        raise NotImplementedError

    def reset(self) -> None:
        raise NotImplementedError

    def begin(self) -> None:
        raise NotImplementedError

    def users(self) -> None:
        raise NotImplementedError

    def tickets(self, rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def events(self, rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def finish(self, mark: dict[str, Any]) -> None:
        raise NotImplementedError


def _insert(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608


USER_COLUMNS = ("id", "email", "name", "role", "password_hash", "active", "created_at")
PROFILE_COLUMNS = ("user_id", "presence", "capacity", "tier", "tiers", "timezone")
BULK_TABLES = ("tickets", "ticket_events")


class SqliteLoader(Loader):
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"
        self.indexes: list[str] = []

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, isolation_level=None)

    def marker(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        db = self._connect()
        try:
            row = db.execute("SELECT value FROM settings WHERE key = ?", (MARKER,)).fetchone()
        except sqlite3.OperationalError:
            return None
        finally:
            db.close()
        return None if row is None else json.loads(row[0])

    def reset(self) -> None:
        if self.path.exists() and self.path.stat().st_size and self.marker() is None:
            raise SystemExit(
                f"{self.path} holds something else; this script only replaces its own."
            )
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        upgrade(self.url)

    def begin(self) -> None:
        self.db = self._connect()
        self.db.execute("PRAGMA journal_mode=MEMORY")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("PRAGMA cache_size=-262144")  # 256 MB for the load only
        # Dropped for the load, recreated after it: one sorted build instead of 10M inserts.
        found = self.db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('tickets', 'ticket_events')"
        ).fetchall()
        self.indexes = [sql for _, sql in found]
        for name, _ in found:
            self.db.execute(f'DROP INDEX "{name}"')
        self.db.execute("BEGIN")

    def users(self) -> None:
        self.db.executemany(_insert("users", USER_COLUMNS), user_rows())
        self.db.executemany(_insert("agent_profiles", PROFILE_COLUMNS), profile_rows())

    def tickets(self, rows: list[tuple[Any, ...]]) -> None:
        self.db.executemany(_insert("tickets", TICKET_COLUMNS), rows)

    def events(self, rows: list[tuple[Any, ...]]) -> None:
        self.db.executemany(_insert("ticket_events", EVENT_COLUMNS), rows)

    def finish(self, mark: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO settings (key, value, version, updated_at) VALUES (?, ?, 1, ?)",
            (MARKER, json.dumps(mark), _stamp(time.time())),
        )
        self.db.execute("COMMIT")
        for sql in self.indexes:
            self.db.execute(sql)
        self.db.execute("PRAGMA journal_mode=WAL")  # what the application runs on
        self.db.close()

    def analyze(self) -> None:
        """Give the query planner statistics, which the application itself never gathers."""
        db = self._connect()
        db.execute("ANALYZE")
        db.close()


class PostgresLoader(Loader):
    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        # psycopg takes the plain libpq URL; SQLAlchemy's driver suffix is not part of it.
        self.libpq = normalize_url(url).replace("postgresql+psycopg://", "postgresql://", 1)
        self.restore: list[str] = []

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.libpq, autocommit=True)

    def marker(self) -> dict[str, Any] | None:
        with self._connect() as db:
            exists = db.execute("SELECT to_regclass('public.settings')").fetchone()[0]
            if exists is None:
                return None
            row = db.execute("SELECT value FROM settings WHERE key = %s", (MARKER,)).fetchone()
        return None if row is None else dict(row[0])

    def reset(self) -> None:
        with self._connect() as db:
            tables = db.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ).fetchone()[0]
            if tables and self.marker() is None:
                raise SystemExit(
                    "The database named by --database-url holds tables this script did not make; "
                    "it only empties a database that is empty or one of its own."
                )
            db.execute("DROP SCHEMA public CASCADE")
            db.execute("CREATE SCHEMA public")
        upgrade(self.url)

    def begin(self) -> None:
        self.db = self._connect()
        self.db.autocommit = False
        # Dropped for the load, recreated (and so validated) after it.
        self.restore = []
        for table, name, definition in self.db.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            (list(BULK_TABLES),),
        ).fetchall():
            self.db.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            self.restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for name, definition in self.db.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = 'public' AND i.tablename = ANY(%s) AND NOT EXISTS ("
            "SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            (list(BULK_TABLES),),
        ).fetchall():
            self.db.execute(f'DROP INDEX "{name}"')
            self.restore.insert(0, definition)

    def _copy(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        names = ", ".join(f'"{c}"' for c in columns)
        with self.db.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def users(self) -> None:
        self._copy("users", USER_COLUMNS, [(*r[:-1], r[-1] + "+00") for r in user_rows()])
        self._copy("agent_profiles", PROFILE_COLUMNS, profile_rows())

    def tickets(self, rows: list[tuple[Any, ...]]) -> None:
        self._copy("tickets", TICKET_COLUMNS, rows)

    def events(self, rows: list[tuple[Any, ...]]) -> None:
        self._copy("ticket_events", EVENT_COLUMNS, rows)

    def finish(self, mark: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO settings (key, value, version, updated_at) VALUES (%s, %s, 1, now())",
            (MARKER, json.dumps(mark)),
        )
        for sql in self.restore:
            self.db.execute(sql)
        # Later inserts (a live ticket in this database) must not collide with the loaded ids.
        self.db.execute(
            "SELECT setval(pg_get_serial_sequence('tickets', 'id'), "
            "(SELECT COALESCE(max(id), 0) + 1 FROM tickets), false)"
        )
        self.db.execute(
            "SELECT setval(pg_get_serial_sequence('ticket_events', 'id'), "
            "(SELECT COALESCE(max(id), 0) + 1 FROM ticket_events), false)"
        )
        self.db.commit()
        self.db.autocommit = True
        self.db.execute("ANALYZE")
        self.db.close()


def loader_for(url: str) -> Loader:
    if url.startswith(("postgresql", "postgres:")):
        return PostgresLoader(url)
    if url.startswith("sqlite:///"):
        return SqliteLoader(Path(url.removeprefix("sqlite:///")))
    raise SystemExit(
        f"Not a database URL this script loads: {url!r} (sqlite:///… or postgresql://…)"
    )


def load(loader: Loader, n_events: int, seed: int, *, bar: bool) -> dict[str, Any]:
    """Empty the database, generate and load the log; return the marker it leaves."""
    from tqdm import tqdm

    loader.reset()
    loader.begin()
    loader.users()
    with tqdm(total=n_events, unit="ev", unit_scale=True, disable=not bar, file=sys.stderr) as pb:
        made = generate(n_events, seed, loader.tickets, loader.events, on_events=pb.update)
    mark = {
        "events": made.events,
        "requested": n_events,
        "seed": seed,
        "tickets": made.tickets,
        # Everything generated has happened by then: the comparison's as_of.
        "as_of": datetime.fromtimestamp(int(made.last_at) + 1, UTC).isoformat(),
    }
    loader.finish(mark)
    return mark


# ------------------------------------------------------------------------------ measuring


def measure_once(url: str) -> dict[str, Any]:
    """Run the comparison once in this process; its time and this process's peak RSS."""
    import resource

    from swarm.db import make_engine
    from swarm.reporting.service import MetricsQuery, build_report

    engine = make_engine(url)
    with engine.connect() as conn:
        from sqlalchemy import text

        value = conn.execute(text("SELECT value FROM settings WHERE key = :k"), {"k": MARKER})
        raw = value.scalar_one()
        mark = raw if isinstance(raw, dict) else json.loads(raw)
        as_of = datetime.fromisoformat(mark["as_of"])
        rss = _rss_mb()
        started = time.perf_counter()
        report = build_report(conn, MetricsQuery(), as_of=as_of, levels=levels())
        seconds = time.perf_counter() - started
    engine.dispose()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return {
        "seconds": round(seconds, 3),
        "peak_mb": round(peak_kb / 1024, 1),
        "baseline_mb": round(rss, 1),
        "tickets": report.get("tickets"),
        "arms": {arm: a.get("tickets") for arm, a in report.get("arms", {}).items()},
        "metrics": len(report.get("differences", {})),
    }


def _rss_mb() -> float:
    """The current resident set size (Linux ``/proc``; 0 where there is none)."""
    try:
        fields_ = Path("/proc/self/statm").read_text().split()
    except OSError:
        return 0.0
    return int(fields_[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)


def measure(url: str, repeat: int) -> list[dict[str, Any]]:
    runs = []
    for i in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--measure-only", "--database-url", url],
            check=True,
            stdout=subprocess.PIPE,  # the child's errors reach our stderr as they are
            text=True,
        )
        runs.append(json.loads(out.stdout))
        progress(f"comparison {i + 1}/{repeat}: {runs[-1]['seconds']} s, {runs[-1]['peak_mb']} MB")
    return runs


# ------------------------------------------------------------------------------------ main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events to generate")
    parser.add_argument(
        "--database-url",
        help="sqlite:///PATH or postgresql://… (emptied first; default: a temporary SQLite file, "
        "or with --reuse a fixed one in the temporary directory)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep a database that already holds this log"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="comparisons to time")
    parser.add_argument(
        "--analyze", action="store_true", help="SQLite: gather planner statistics (ANALYZE)"
    )
    parser.add_argument("--load-only", action="store_true", help="generate and load; no timing")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.measure_only:
        print(json.dumps(measure_once(normalize_url(args.database_url))))
        return
    scratch: Path | None = None
    url = args.database_url
    if url is None:
        if args.reuse:
            url = f"sqlite:///{Path(tempfile.gettempdir()) / 'swarm-bench-metrics.sqlite3'}"
        else:
            scratch = Path(tempfile.mkdtemp(prefix="swarm-bench-metrics-"))
            url = f"sqlite:///{scratch / 'metrics.sqlite3'}"
    loader = loader_for(url)
    try:
        mark = loader.marker() if args.reuse else None
        reused = bool(mark and mark["requested"] == args.events and mark["seed"] == args.seed)
        load_seconds = None
        if not reused:
            progress(f"generating and loading {args.events:,} events into {loader.dialect}")
            started = time.perf_counter()
            mark = load(loader, args.events, args.seed, bar=sys.stderr.isatty())
            load_seconds = round(time.perf_counter() - started, 1)
            progress(
                f"loaded {mark['events']:,} events, {mark['tickets']:,} tickets in {load_seconds} s"
            )
        assert mark is not None
        if args.analyze and isinstance(loader, SqliteLoader):
            progress("ANALYZE")
            loader.analyze()
        result: dict[str, Any] = {
            "events": mark["events"],
            "tickets": mark["tickets"],
            "database": loader.dialect,
            "analyzed": args.analyze or loader.dialect == "postgresql",
            "reused": reused,
            "load_seconds": load_seconds,
        }
        if not args.load_only:
            runs = measure(loader.url, args.repeat)
            times = [r["seconds"] for r in runs]
            result |= {
                "seconds": min(times),
                "seconds_median": round(statistics.median(times), 3),
                "seconds_all": times,
                "peak_mb": max(r["peak_mb"] for r in runs),
                "baseline_mb": min(r["baseline_mb"] for r in runs),
                "report": {k: runs[-1][k] for k in ("tickets", "arms", "metrics")},
                "meets": {
                    "seconds": min(times) <= 2.0,
                    "peak_mb": max(r["peak_mb"] for r in runs) <= 1024,
                },
            }
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>16}: {value}")


if __name__ == "__main__":
    main()
