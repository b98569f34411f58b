"""Storing room messages: one batch of sends in one transaction, and a writer that groups
concurrent sends into such batches (group commit).

Every send is checked against fresh rows (the author still active, the ticket visible to them,
notes and solutions only from staff), deduplicated on ``(author, client_id)``, and stored with its
``message`` event before anyone hears of it. Within a batch the rows keep the order the sends
arrived in, and each ticket's row is locked for the transaction, so one ticket's message ids
increase in the order they are committed, across processes too.

Why batches: a message costs a handful of statements and a commit. Written one by one, a room's
sends queue behind each other's round trips (about 3.5 ms each, measured in
docs/realtime-server.md); written together, a batch of 50 costs about what two single sends do.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, tuple_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from swarm.clock import Clock
from swarm.db import begin_write, make_session_factory
from swarm.events import LIVE_SOURCE, EventType
from swarm.models import Message, Ticket, TicketEvent, User
from swarm.models.tickets import MessageKind
from swarm.models.users import ROLE_RANK, Role
from swarm.tickets.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, TooLarge
from swarm.tickets.notify import EventPayload, Notifier

MESSAGE_MAX_BYTES = 64 * 1024
CLIENT_ID_MAX = 64
#: Kinds a requester never sees: not in their replay, not in their live room.
INTERNAL_KINDS = frozenset({MessageKind.NOTE})
KINDS = frozenset(MessageKind.__members__.values())


class Unauthenticated(DomainError):
    """The account behind a connection was deactivated (or deleted) since it connected."""

    code = "unauthenticated"
    status = 401


@dataclass(frozen=True)
class NewMessage:
    """A send as its author asked for it, already checked by :func:`new_message`."""

    author_id: int
    ticket_id: int
    body: str
    client_id: str
    kind: str = MessageKind.CHAT


def new_message(
    author_id: int, ticket_id: int, body: str, client_id: str, kind: str = MessageKind.CHAT
) -> NewMessage:
    """Check what can be checked without the database; raises Invalid or TooLarge."""
    text = body.strip()
    if not text:
        raise Invalid("A message needs some text.", fields={"body": ["Empty."]})
    if len(body.encode()) > MESSAGE_MAX_BYTES:
        raise TooLarge("A message is at most 64 KB.", fields={"body": ["Too large."]})
    if not client_id or len(client_id) > CLIENT_ID_MAX:
        raise Invalid(
            "Every message needs a client_id of 1 to 64 characters.",
            fields={"client_id": ["1 to 64 characters."]},
        )
    if kind not in KINDS:
        raise Invalid("kind is chat, note or solution.", fields={"kind": ["Unknown."]})
    return NewMessage(author_id, ticket_id, text, client_id, kind)


@dataclass(frozen=True)
class StoredMessage:
    """A message as the database has it; ``created`` is False for a repeated ``client_id``."""

    id: int
    ticket_id: int
    author: dict[str, Any]
    body: str
    kind: str
    client_id: str | None
    at: datetime
    created: bool = True

    def payload(self, prev_id: int | None = None) -> dict[str, Any]:
        """The protocol's shape, as :func:`swarm.tickets.rooms.message_payload` gives it."""
        extra = {} if prev_id is None else {"prev_id": prev_id}
        return {
            **extra,
            "id": self.id,
            "ticket_id": self.ticket_id,
            "author": self.author,
            "body": self.body,
            "kind": self.kind,
            "client_id": self.client_id,
            "at": self.at.isoformat(),
        }


Outcome = StoredMessage | DomainError


@dataclass(frozen=True)
class Batch:
    """What :func:`store_messages` did: an outcome per send, and the events to publish after
    commit (only for new messages, in id order)."""

    outcomes: list[Outcome]
    events: list[EventPayload]


@dataclass(frozen=True)
class _Author:
    id: int
    name: str
    role: str
    active: bool


@dataclass(frozen=True)
class _Known:
    """What a batch reads before it decides, with the tickets' rows locked."""

    authors: dict[int, _Author]
    requesters: dict[int, int]  # ticket id -> requester id, for the tickets that exist
    stored: dict[tuple[int, str], StoredMessage]  # earlier messages with the batch's client_ids


@dataclass(frozen=True)
class _Inserted:
    ids: list[int]  # per row to insert, in order
    event_ids: list[int]
    last: dict[int, int]  # ticket id -> its last message id before the batch


class _Collision(Exception):
    """Another transaction stored one of the batch's client_ids after the batch looked."""


def store_messages(session: Session, now: datetime, sends: Sequence[NewMessage]) -> Batch:
    """Store ``sends`` in the session's transaction (the caller commits, then publishes).

    A send that may not be stored gets its error as outcome and the others go on: an author who
    is gone (``unauthenticated``), a ticket they may not see (``not_found``, as if it did not
    exist), a note or solution from a requester (``forbidden``), a ``client_id`` already used on
    another ticket (``conflict``). A ``client_id`` used before on the same ticket — earlier, or
    earlier in this batch — gives the stored message with ``created=False`` and stores nothing.
    Raises IntegrityError if another transaction stored the same ``client_id`` meanwhile; the
    caller rolls back and tries again, and the second look finds that message.

    PostgreSQL takes a hand-written path of two statements (the SQLAlchemy one, seven
    statements through the ORM, cost 6 ms a batch there); SQLite, in-process, the portable one.
    Both are held to the same tests.
    """
    io: _PostgresIO | _PortableIO
    if session.get_bind().dialect.name == "postgresql":
        io = _PostgresIO(session.connection().connection.driver_connection.cursor())
    else:
        io = _PortableIO(session)
    return _store(io, now, sends)


def _store(io: _PostgresIO | _PortableIO, now: datetime, sends: Sequence[NewMessage]) -> Batch:
    known = io.read(sends)
    outcomes, rows = _decide(known, now, sends)
    if not rows:
        return Batch([o for o in outcomes if not isinstance(o, int)], [])
    try:
        inserted = io.insert(rows, now)
    except _Collision as exc:
        raise IntegrityError("INSERT INTO messages", None, exc) from exc
    return _assemble(known, outcomes, rows, inserted, now)


def _decide(
    known: _Known, now: datetime, sends: Sequence[NewMessage]
) -> tuple[list[Outcome | int], list[dict[str, Any]]]:
    """An outcome per send — an error, a stored message, or (an int) a row to insert: ``i``
    for the new row ``i``, ``-1 - i`` for a repeat, earlier in the batch, of row ``i``."""
    outcomes: list[Outcome | int] = []
    rows: list[dict[str, Any]] = []
    new_keys: dict[tuple[int, str], int] = {}
    for send in sends:
        author = known.authors.get(send.author_id)
        key = (send.author_id, send.client_id)
        if author is None or not author.active:
            outcomes.append(Unauthenticated("Your account is no longer active."))
            continue
        staff = ROLE_RANK[Role(author.role)] >= ROLE_RANK[Role.AGENT]
        requester = known.requesters.get(send.ticket_id)
        if requester is None or not (staff or requester == send.author_id):
            outcomes.append(NotFound(f"There is no ticket {send.ticket_id}."))
        elif send.kind != MessageKind.CHAT and not staff:
            outcomes.append(Forbidden(f"Only agents can post {send.kind} messages."))
        elif key in known.stored:
            outcomes.append(_same_ticket(known.stored[key], send))
        elif key in new_keys:
            index = new_keys[key]
            same = rows[index]["ticket_id"] == send.ticket_id
            outcomes.append(-1 - index if same else _conflict())
        else:
            new_keys[key] = len(rows)
            outcomes.append(len(rows))
            rows.append(
                {
                    "ticket_id": send.ticket_id,
                    "author_id": send.author_id,
                    "body": send.body,
                    "kind": send.kind,
                    "client_id": send.client_id,
                    "created_at": now,
                }
            )
    return outcomes, rows


def _assemble(
    known: _Known,
    outcomes: list[Outcome | int],
    rows: list[dict[str, Any]],
    inserted: _Inserted,
    now: datetime,
) -> Batch:
    last = dict(inserted.last)
    messages: dict[int, StoredMessage] = {}
    events: list[EventPayload] = []
    at = now.isoformat()
    # In id order, which is the order of ``rows`` (inserted in that order under the locks); the
    # sort keeps prev_id and the published order right even if an engine ever differed.
    in_id_order = sorted(
        zip(range(len(rows)), rows, inserted.ids, inserted.event_ids, strict=True),
        key=lambda r: r[2],
    )
    for index, row, message_id, event_id in in_id_order:
        user = known.authors[row["author_id"]]
        author = {"id": user.id, "name": user.name}
        message = StoredMessage(
            message_id, row["ticket_id"], author, row["body"], row["kind"], row["client_id"], now
        )
        messages[index] = message
        prev_id = last.get(row["ticket_id"]) or 0
        last[row["ticket_id"]] = message_id
        events.append(
            {
                "id": event_id,
                "type": EventType.MESSAGE.value,
                "ticket_id": row["ticket_id"],
                "at": at,
                "actor": author,
                "data": {"message_id": message_id, "kind": row["kind"]},
                "message": message.payload(prev_id),
            }
        )
    final: list[Outcome] = []
    for outcome in outcomes:
        if not isinstance(outcome, int):
            final.append(outcome)
        elif outcome >= 0:
            final.append(messages[outcome])
        else:
            final.append(replace(messages[-1 - outcome], created=False))
    return Batch(final, events)


class _PortableIO:
    """SQLAlchemy statements any engine runs; SQLite's write transaction is its lock."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def read(self, sends: Sequence[NewMessage]) -> _Known:
        session = self.session
        authors = {
            row.id: _Author(row.id, row.name, row.role, row.active)
            for row in session.execute(
                select(User.id, User.name, User.role, User.active).where(
                    User.id.in_({s.author_id for s in sends})
                )
            )
        }
        requesters = dict(
            session.execute(
                select(Ticket.id, Ticket.requester_id)
                .where(Ticket.id.in_({s.ticket_id for s in sends}))
                .order_by(Ticket.id)
                .with_for_update()
            ).all()
        )
        keys = {(s.author_id, s.client_id) for s in sends}
        query = (
            select(
                Message.id,
                Message.ticket_id,
                Message.author_id,
                User.name,
                Message.body,
                Message.kind,
                Message.client_id,
                Message.created_at,
            )
            .join(User, User.id == Message.author_id)
            .where(tuple_(Message.author_id, Message.client_id).in_(keys))
        )
        stored: dict[tuple[int, str], StoredMessage] = {}
        for row in session.execute(query):
            author = {"id": row.author_id, "name": row.name}
            stored[(row.author_id, row.client_id)] = StoredMessage(
                row.id,
                row.ticket_id,
                author,
                row.body,
                row.kind,
                row.client_id,
                row.created_at,
                False,
            )
        return _Known(authors, requesters, stored)

    def insert(self, rows: list[dict[str, Any]], now: datetime) -> _Inserted:
        session = self.session
        tickets = {row["ticket_id"] for row in rows}
        # A scalar max per ticket (not one GROUP BY over all): each is one index lookup.
        last_id = (
            select(func.max(Message.id)).where(Message.ticket_id == Ticket.id).scalar_subquery()
        )
        last = {
            ticket: last or 0
            for ticket, last in session.execute(
                select(Ticket.id, last_id).where(Ticket.id.in_(tickets))
            ).all()
        }
        # sort_by_parameter_order: the ids come back in the order of ``rows``; inserted in that
        # order under the write lock, they also increase in that order.
        ids = list(
            session.scalars(
                insert(Message).returning(Message.id, sort_by_parameter_order=True), rows
            )
        )
        event_rows = [
            {
                "ticket_id": row["ticket_id"],
                "type": EventType.MESSAGE.value,
                "actor_id": row["author_id"],
                "at": now,
                "data": {"message_id": message_id, "kind": row["kind"]},
                "source": LIVE_SOURCE,
            }
            for row, message_id in zip(rows, ids, strict=True)
        ]
        event_ids = list(
            session.scalars(
                insert(TicketEvent).returning(TicketEvent.id, sort_by_parameter_order=True),
                event_rows,
            )
        )
        session.execute(update(Ticket).where(Ticket.id.in_(tickets)).values(updated_at=now))
        return _Inserted(ids, event_ids, last)


# One statement reads what the batch decides on, with the tickets' rows locked (in id order,
# so two batches never wait on each other in a circle). The authors and earlier messages come
# as JSON beside them, to save round trips.
_PG_READ = """
WITH locked AS (
    SELECT id, requester_id FROM tickets WHERE id = ANY(%(tickets)s) ORDER BY id FOR UPDATE
)
SELECT
    (SELECT coalesce(json_agg(json_build_array(id, requester_id)), '[]') FROM locked),
    (SELECT coalesce(json_agg(json_build_array(id, name, role, active)), '[]')
       FROM users WHERE id = ANY(%(authors)s)),
    (SELECT coalesce(json_agg(json_build_array(
                m.id, m.ticket_id, m.author_id, u.name, m.body, m.kind, m.client_id,
                m.created_at)), '[]')
       FROM unnest(%(key_authors)s::int[], %(key_clients)s::text[]) AS k(author_id, client_id)
       JOIN messages m ON m.author_id = k.author_id AND m.client_id = k.client_id
       JOIN users u ON u.id = m.author_id)
"""

# The second, a new snapshot that sees everything committed before the locks were granted:
# each ticket's last message, the messages in the order given (so their ids increase in that
# order), their events, and the tickets' updated_at. ON CONFLICT only skips a client_id that
# another transaction stored meanwhile; the caller then retries the batch.
_PG_INSERT = """
WITH input AS (
    SELECT * FROM unnest(%(ticket)s::int[], %(author)s::int[], %(body)s::text[],
                         %(kind)s::text[], %(client)s::text[])
        WITH ORDINALITY AS i(ticket_id, author_id, body, kind, client_id, n)
), last AS (
    SELECT t.id AS ticket_id,
           (SELECT max(m.id) FROM messages m WHERE m.ticket_id = t.id) AS last_id
    FROM unnest(%(tickets)s::int[]) AS t(id)
), stored AS (
    INSERT INTO messages (ticket_id, author_id, body, kind, client_id, created_at)
    SELECT ticket_id, author_id, body, kind, client_id, %(now)s FROM input ORDER BY n
    ON CONFLICT (author_id, client_id) DO NOTHING
    RETURNING id, ticket_id, author_id, kind, client_id
), event AS (
    INSERT INTO ticket_events (ticket_id, type, actor_id, at, data, source)
    SELECT ticket_id, 'message', author_id, %(now)s,
           jsonb_build_object('message_id', id, 'kind', kind), %(source)s
    FROM stored ORDER BY id
    RETURNING id, (data ->> 'message_id')::bigint AS message_id
), touched AS (
    UPDATE tickets SET updated_at = %(now)s WHERE id IN (SELECT ticket_id FROM stored)
)
SELECT stored.author_id, stored.client_id, stored.id, event.id, last.last_id
FROM stored JOIN event ON event.message_id = stored.id
JOIN last ON last.ticket_id = stored.ticket_id
ORDER BY stored.id
"""


class _PostgresIO:
    """The same reads and writes as :class:`_PortableIO`, in two statements on the driver."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor  # a psycopg cursor, in the caller's transaction

    def read(self, sends: Sequence[NewMessage]) -> _Known:
        keys = sorted({(s.author_id, s.client_id) for s in sends})
        self.cursor.execute(
            _PG_READ,
            {
                "tickets": sorted({s.ticket_id for s in sends}),
                "authors": sorted({s.author_id for s in sends}),
                "key_authors": [k[0] for k in keys],
                "key_clients": [k[1] for k in keys],
            },
        )
        tickets, authors, stored = self.cursor.fetchone()
        found: dict[tuple[int, str], StoredMessage] = {}
        for mid, tid, aid, name, body, kind, client_id, created_at in stored:
            at = datetime.fromisoformat(created_at).astimezone(UTC)
            found[(aid, client_id)] = StoredMessage(
                mid, tid, {"id": aid, "name": name}, body, kind, client_id, at, False
            )
        return _Known({a[0]: _Author(*a) for a in authors}, {t: r for t, r in tickets}, found)

    def insert(self, rows: list[dict[str, Any]], now: datetime) -> _Inserted:
        self.cursor.execute(
            _PG_INSERT,
            {
                "ticket": [r["ticket_id"] for r in rows],
                "author": [r["author_id"] for r in rows],
                "body": [r["body"] for r in rows],
                "kind": [r["kind"] for r in rows],
                "client": [r["client_id"] for r in rows],
                "tickets": sorted({r["ticket_id"] for r in rows}),
                "now": now,
                "source": LIVE_SOURCE,
            },
        )
        result = {(a, c): (mid, eid, last) for a, c, mid, eid, last in self.cursor.fetchall()}
        if len(result) != len(rows):
            raise _Collision(f"{len(rows) - len(result)} client_id(s) stored meanwhile")
        ordered = [result[(r["author_id"], r["client_id"])] for r in rows]
        return _Inserted(
            [o[0] for o in ordered],
            [o[1] for o in ordered],
            {r["ticket_id"]: o[2] or 0 for r, o in zip(rows, ordered, strict=True)},
        )


def _same_ticket(message: StoredMessage, send: NewMessage) -> Outcome:
    return message if message.ticket_id == send.ticket_id else _conflict()


def _conflict() -> Conflict:
    return Conflict("That client_id was already used for a message on another ticket.")


@dataclass
class _Waiting:
    send: NewMessage
    wake: threading.Event = field(default_factory=threading.Event)
    leads: bool = False
    outcome: Outcome | BaseException | None = None


class MessageWriter:
    """Group commit for room messages, shared by every connection of one process.

    The first send to arrive while nothing is being written becomes the leader: it takes what
    is queued (itself first, up to ``max_batch``), stores it in one transaction, publishes the
    events after commit, and hands the lead to the oldest send still queued. The others only
    wait. So a burst costs one transaction per batch instead of one per message, a lone send
    still goes straight through, no background thread is needed (it works the same with
    threads and greenlets), and publishing finishes before the next batch starts, so every
    room hears its messages in id order.

    On PostgreSQL the writer keeps one connection of its own (only one batch is written at a
    time), with generic plans for its two statements: checking a pooled connection out and in,
    with its ping, and planning each statement anew cost more than the statements themselves.
    A connection that breaks is dropped, and the next batch opens a new one.
    """

    def __init__(
        self, engine: Engine, clock: Clock, notifier: Notifier, *, max_batch: int = 100
    ) -> None:
        self._engine = engine
        self._sessions = make_session_factory(engine)
        self._postgres = engine.dialect.name == "postgresql"
        self._raw: Any = None
        self._clock = clock
        self._notifier = notifier
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: deque[_Waiting] = deque()
        self._writing = False

    def close(self) -> None:
        """Give the writer's own connection back (the next batch would open another)."""
        with self._lock:
            raw, self._raw = self._raw, None
        if raw is not None:
            raw.close()

    def submit(self, send: NewMessage) -> _Waiting:
        """Queue a send; its place in the queue is its place in the ticket's order."""
        waiting = _Waiting(send)
        with self._lock:
            self._queue.append(waiting)
            if not self._writing:
                self._writing = True
                waiting.leads = True
        return waiting

    def result(self, waiting: _Waiting) -> StoredMessage:
        """Wait for a queued send to be stored; raises its DomainError, or what broke the batch."""
        if not waiting.leads:
            waiting.wake.wait()
        if waiting.leads and waiting.outcome is None:
            self._lead()
        outcome = waiting.outcome
        if isinstance(outcome, BaseException):
            raise outcome
        assert outcome is not None
        return outcome

    def send(self, send: NewMessage) -> StoredMessage:
        return self.result(self.submit(send))

    def _lead(self) -> None:
        with self._lock:
            batch = [self._queue.popleft() for _ in range(min(self._max_batch, len(self._queue)))]
        try:
            outcomes, events = self._write([w.send for w in batch])
        except BaseException as exc:  # the whole batch failed (database gone): each send hears
            outcomes, events = [exc] * len(batch), []
        for waiting, outcome in zip(batch, outcomes, strict=True):
            waiting.outcome = outcome
        try:
            self._notifier.publish(events)
        finally:
            with self._lock:
                following = self._queue[0] if self._queue else None
                if following is None:
                    self._writing = False
                else:
                    following.leads = True
            for waiting in batch:
                waiting.wake.set()
            if following is not None:
                following.wake.set()

    def _write(self, sends: list[NewMessage]) -> tuple[list[Outcome], list[EventPayload]]:
        # Another connection of the same author may store the same client_id between our look
        # and our insert; the unique constraint refuses it, and the second try finds that row.
        for attempt in range(3):
            try:
                batch = (
                    self._write_postgres(sends) if self._postgres else self._write_portable(sends)
                )
                return list(batch.outcomes), batch.events
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _write_portable(self, sends: list[NewMessage]) -> Batch:
        with self._sessions() as session:
            try:
                begin_write(session)
                batch = store_messages(session, self._clock.now(), sends)
                session.commit()
                return batch
            except BaseException:
                session.rollback()
                raise

    def _write_postgres(self, sends: list[NewMessage]) -> Batch:
        if self._raw is None:
            raw = self._engine.raw_connection()
            with raw.driver_connection.cursor() as cursor:
                cursor.execute("SET plan_cache_mode = force_generic_plan")
            raw.driver_connection.commit()
            self._raw = raw
        driver = self._raw.driver_connection
        try:
            with driver.cursor() as cursor:
                batch = _store(_PostgresIO(cursor), self._clock.now(), sends)
            driver.commit()
            return batch
        except BaseException:
            if driver.closed or driver.broken:
                self._raw.invalidate()
                self._raw = None
            else:
                driver.rollback()
            raise
