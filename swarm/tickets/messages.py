"""Storing room messages: one batch of sends in one transaction, and a writer that groups
concurrent sends into such batches (group commit).

Every send is checked against fresh rows (the author still active, the ticket visible to them,
a requester only replies, a guest only chats, notes and solutions only from staff),
deduplicated on ``(author, client_id)``, and stored with its
``message`` event before anyone hears of it. Within a batch the rows keep the order the sends
arrived in, and each ticket's row is locked for the transaction, so one ticket's message ids
increase in the order they are committed, across processes too.

Why batches: every message costs a statement, a commit and its flush to the WAL, and the round
trip to the database. Written one by one, sends queue behind each other's round trips; written
together they share them: on PostgreSQL one send takes ~0.8 ms, a batch of 100 ~13 ms
(docs/realtime-server.md has the measurements).

Code that stores messages some other way must lock the ticket's row and update it, as
``TicketService.add_note`` does: the PostgreSQL statement notices a ticket that changed while it
waited for the lock by the row's version, and only so keeps ``prev_id`` right.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, tuple_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from swarm.clock import Clock
from swarm.db import begin_write, database_unavailable, make_session_factory
from swarm.events import LIVE_SOURCE, EventType
from swarm.models import GuestPass, Message, Ticket, TicketEvent, User
from swarm.models.tickets import MessageKind
from swarm.notifications.capture import needs_notifications, notify_messages
from swarm.telemetry import ROOM_MESSAGES
from swarm.tickets import posting
from swarm.tickets.access import STAFF_ROLES, sql_is_staff, sql_standing, standing_from
from swarm.tickets.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, TooLarge
from swarm.tickets.notify import EventPayload, Notifier

log = logging.getLogger(__name__)

MESSAGE_MAX_BYTES = 64 * 1024
CLIENT_ID_MAX = 64
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
        raise Invalid("kind is chat, note, solution or reply.", fields={"kind": ["Unknown."]})
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
        """``{id, ticket_id, author: {id, name}, body, kind, client_id, at}`` (and ``prev_id``
        when given): the protocol's one shape of a message, also for stored ORM rows
        (:func:`swarm.tickets.rooms.message_payload`)."""
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


def store_messages(session: Session, now: datetime, sends: Sequence[NewMessage]) -> Batch:
    """Store ``sends`` in the session's transaction (the caller commits, then publishes).

    Each send gets its own outcome and the others go on: an author who is gone
    (``unauthenticated``), a ticket they may not see (``not_found``, as if it did not exist), a
    message of a kind the author may not write (``forbidden``), a ``client_id`` the author
    used before on another ticket (``conflict``), or on this one (the stored message,
    ``created=False``, and nothing stored), or a new message. The ``(author, client_id)``
    pairs of one batch must differ (the writer cuts batches so); raises IntegrityError if
    another transaction stored one of them meanwhile, and the caller's retry finds that
    message.

    PostgreSQL takes a hand-written path, one statement (the ORM path took seven statements and
    6 ms a batch there); SQLite, in-process, the portable one. Both are held to the same tests.
    """
    keys = {(s.author_id, s.client_id) for s in sends}
    if len(keys) != len(sends):
        raise ValueError("a batch cannot hold the same (author, client_id) twice")
    if session.get_bind().dialect.name == "postgresql":
        cursor = session.connection().connection.driver_connection.cursor()
        # Planned afresh each time (not prepared): a pooled connection keeps no plan made for
        # tables of another size. The writer's own connection prepares it, with guards.
        batch = _store_postgres(cursor, now, sends, prepare=False)
    else:
        batch = _store_portable(session, now, sends)
    # Replies and @mentions notify people (swarm/notifications), in this same transaction.
    notify_messages(
        session,
        [e for e in batch.events if needs_notifications(e["data"]["kind"], e["message"]["body"])],
    )
    return batch


# What a batch decides for each send; the PostgreSQL statement decides the same in SQL.
NEW, REPEAT = "new", "repeat"


def _refusal(verdict: str, send: NewMessage) -> DomainError:
    if verdict == posting.UNAUTHENTICATED:
        return Unauthenticated("Your account is no longer active.")
    if verdict == posting.NOT_FOUND:
        return NotFound(f"There is no ticket {send.ticket_id}.")
    if verdict == posting.FORBIDDEN:
        return Forbidden(
            f"You cannot post a {send.kind} message here: a requester writes replies to "
            "support, a guest chats in the swarm room, and only agents write notes and "
            "solutions."
        )
    if verdict == "conflict":
        return Conflict("That client_id was already used for a message on another ticket.")
    raise ValueError(f"not a refusal: {verdict}")


def _events(
    new: list[StoredMessage], last: dict[int, int], now: datetime, event_ids: dict[int, int]
) -> list[EventPayload]:
    """The ``message`` events of the new messages, in id order, each naming the message before
    it on its ticket (``prev_id``, 0 for the first) so that clients see gaps."""
    last = dict(last)
    events: list[EventPayload] = []
    at = now.isoformat()
    for message in sorted(new, key=lambda m: m.id):
        prev_id = last.get(message.ticket_id) or 0
        last[message.ticket_id] = message.id
        events.append(
            {
                "id": event_ids[message.id],
                "type": EventType.MESSAGE.value,
                "ticket_id": message.ticket_id,
                "at": at,
                "actor": message.author,
                "data": {"message_id": message.id, "kind": message.kind},
                "message": message.payload(prev_id),
            }
        )
    return events


# ---------------------------------------------------------------------------- SQLite (portable)


def _store_portable(session: Session, now: datetime, sends: Sequence[NewMessage]) -> Batch:
    """Read, decide in Python, insert: SQLAlchemy statements any engine runs. The write
    transaction (BEGIN IMMEDIATE on SQLite) serialises batches; FOR UPDATE does elsewhere."""
    authors = {
        row.id: row
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
    earlier = {
        (row.author_id, row.client_id): row
        for row in session.execute(
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
            .where(
                tuple_(Message.author_id, Message.client_id).in_(
                    {(s.author_id, s.client_id) for s in sends}
                )
            )
        )
    }

    def is_staff(author_id: int) -> bool:
        author = authors.get(author_id)
        return author is not None and author.role in STAFF_ROLES

    # Guests (swarm/tickets/guests.py) write in the one room of a valid pass.
    outsiders = {
        s.author_id
        for s in sends
        if not is_staff(s.author_id) and requesters.get(s.ticket_id) != s.author_id
    }
    guests: set[tuple[int, int]] = set()
    if outsiders:
        guests = {
            (user_id, ticket_id)
            for user_id, ticket_id in session.execute(
                select(GuestPass.user_id, GuestPass.ticket_id).where(
                    GuestPass.user_id.in_(outsiders),
                    GuestPass.revoked_at.is_(None),
                    GuestPass.expires_at > now,
                )
            )
        }

    outcomes: list[Outcome | None] = []
    new: list[tuple[int, NewMessage]] = []
    for send in sends:
        author = authors.get(send.author_id)
        staff = is_staff(send.author_id)
        requester = requesters.get(send.ticket_id)
        old = earlier.get((send.author_id, send.client_id))
        guest = (send.author_id, send.ticket_id) in guests
        # Where the author stands: access.py's rules over the rows read above.
        standing = standing_from(
            {
                "gone": author is None or not author.active,
                "no_ticket": requester is None,
                "staff": staff,
                "requester": requester == send.author_id,
                "guest": guest,
            }
        )
        # Refused by the one table of who may post what (posting.py), or stored once.
        verdict = posting.verdict(standing, send.kind)
        if verdict == posting.ALLOWED:
            if old is not None and old.ticket_id != send.ticket_id:
                verdict = "conflict"
            else:
                verdict = NEW if old is None else REPEAT
        if verdict == NEW:
            new.append((len(outcomes), send))
            outcomes.append(None)
        elif verdict == REPEAT:
            assert old is not None
            outcomes.append(
                StoredMessage(
                    old.id,
                    old.ticket_id,
                    {"id": old.author_id, "name": old.name},
                    old.body,
                    old.kind,
                    old.client_id,
                    old.created_at,
                    created=False,
                )
            )
        else:
            outcomes.append(_refusal(verdict, send))
    if not new:
        return Batch([o for o in outcomes if o is not None], [])

    tickets = {send.ticket_id for _, send in new}
    # A scalar max per ticket (not one GROUP BY over all): each is one index lookup.
    last_id = select(func.max(Message.id)).where(Message.ticket_id == Ticket.id).scalar_subquery()
    last = {
        ticket: last or 0
        for ticket, last in session.execute(
            select(Ticket.id, last_id).where(Ticket.id.in_(tickets))
        ).all()
    }
    rows = [
        {
            "ticket_id": send.ticket_id,
            "author_id": send.author_id,
            "body": send.body,
            "kind": send.kind,
            "client_id": send.client_id,
            "created_at": now,
        }
        for _, send in new
    ]
    # sort_by_parameter_order: the ids come back in the order of ``rows``; inserted in that
    # order under the write lock, they also increase in that order.
    ids = list(
        session.scalars(insert(Message).returning(Message.id, sort_by_parameter_order=True), rows)
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

    stored: list[StoredMessage] = []
    for (index, send), message_id in zip(new, ids, strict=True):
        author = authors[send.author_id]
        message = StoredMessage(
            message_id,
            send.ticket_id,
            {"id": author.id, "name": author.name},
            send.body,
            send.kind,
            send.client_id,
            now,
        )
        outcomes[index] = message
        stored.append(message)
    events = _events(stored, last, now, dict(zip(ids, event_ids, strict=True)))
    return Batch([o for o in outcomes if o is not None], events)


# ---------------------------------------------------------------------------- PostgreSQL

# One statement (so in autocommit one round trip) decides and stores a whole batch:
#
# * ``locked`` locks the batch's tickets in id order (two batches never wait on each other in a
#   circle) and reads the newest version of each row; ``seen`` reads the version in this
#   statement's snapshot. They differ only if another transaction changed a ticket after the
#   snapshot (it waited for that lock): then ``last`` (each ticket's last message) may be stale,
#   so ``moved`` holds the inserts back and the caller runs the statement again.
# * ``checked`` gives each send the verdict ``_store_portable`` gives it (``s``: where its author
#   stands with the ticket, the CASE generated from access.py's rules; ``p``: the CASE
#   generated from posting.py's table), in order, and
#   its ticket's last message (``moved`` says whether that may be stale). Nothing here is looked
#   up once per pair of rows: the writer's planner settings rule out hash joins, and a lookup
#   joined in later ran once per (send, ticket) pair — 10,000 index scans for 100 sends.
# * the new messages are inserted in the order sent, so their ids increase in that order;
#   ON CONFLICT skips a client_id another transaction stored meanwhile (the caller retries
#   that send, and finds it then).
_PG_STORE = """
WITH input AS (
    SELECT * FROM unnest(%(ticket)s::int[], %(author)s::int[], %(body)s::text[],
                         %(kind)s::text[], %(client)s::text[])
        WITH ORDINALITY AS i(ticket_id, author_id, body, kind, client_id, n)
), locked AS (
    SELECT id, requester_id, xmin::text AS version FROM tickets
    WHERE id IN (SELECT ticket_id FROM input) ORDER BY id FOR UPDATE
), seen AS (
    SELECT id, xmin::text AS version FROM tickets WHERE id IN (SELECT ticket_id FROM input)
), moved AS (
    SELECT EXISTS (
        SELECT 1 FROM locked JOIN seen USING (id) WHERE locked.version <> seen.version
    ) AS yes
), checked AS (
    SELECT i.n, i.ticket_id, i.author_id, i.body, i.kind, i.client_id, u.name,
           m.id AS old_id, m.ticket_id AS old_ticket, m.body AS old_body,
           m.kind AS old_kind, m.created_at AS old_at,
           (SELECT max(l.id) FROM messages l WHERE l.ticket_id = i.ticket_id) AS last_id,
           CASE
               WHEN p.verdict <> 'allowed' THEN p.verdict
               WHEN m.id IS NOT NULL AND m.ticket_id <> i.ticket_id THEN 'conflict'
               WHEN m.id IS NOT NULL THEN 'repeat'
               ELSE 'new'
           END AS verdict
    FROM input i
    LEFT JOIN users u ON u.id = i.author_id
    LEFT JOIN locked t ON t.id = i.ticket_id
    LEFT JOIN messages m ON m.author_id = i.author_id AND m.client_id = i.client_id
    CROSS JOIN LATERAL (SELECT {STANDING} AS standing) s
    CROSS JOIN LATERAL (SELECT {POSTING} AS verdict) p
), stored AS (
    INSERT INTO messages (ticket_id, author_id, body, kind, client_id, created_at)
    SELECT ticket_id, author_id, body, kind, client_id, %(now)s FROM checked
    WHERE verdict = 'new' AND NOT (SELECT yes FROM moved)
    ORDER BY n
    ON CONFLICT (author_id, client_id) DO NOTHING
    RETURNING id, ticket_id, author_id, client_id, kind
), event AS (
    INSERT INTO ticket_events (ticket_id, type, actor_id, at, data, source)
    SELECT ticket_id, 'message', author_id, %(now)s,
           jsonb_build_object('message_id', id, 'kind', kind), %(source)s
    FROM stored ORDER BY id
    RETURNING id, (data ->> 'message_id')::bigint AS message_id
), touched AS (
    UPDATE tickets SET updated_at = %(now)s WHERE id IN (SELECT ticket_id FROM stored)
)
SELECT c.verdict, (SELECT yes FROM moved), c.name, s.id, e.id, c.last_id,
       c.old_id, c.old_ticket, c.old_body, c.old_kind, c.old_at
FROM checked c
LEFT JOIN stored s ON s.author_id = c.author_id AND s.client_id = c.client_id
LEFT JOIN event e ON e.message_id = s.id
ORDER BY c.n
""".replace(
    "{STANDING}",
    # access.py's rules, each fact over this statement's rows (``u`` the author, ``t`` the
    # locked ticket, ``i`` the send).
    sql_standing(
        {
            "gone": "(u.id IS NULL OR NOT u.active)",
            "no_ticket": "t.id IS NULL",
            "staff": sql_is_staff("u.role"),
            "requester": "t.requester_id = i.author_id",
            "guest": """EXISTS (
            SELECT 1 FROM guest_passes g
            WHERE g.user_id = i.author_id AND g.ticket_id = i.ticket_id
              AND g.revoked_at IS NULL AND g.expires_at > %(now)s)""",
        }
    ),
).replace("{POSTING}", posting.sql_verdict("s.standing", "i.kind"))


def _store_postgres(
    cursor: Any, now: datetime, sends: Sequence[NewMessage], *, prepare: bool | None = None
) -> Batch:
    """:data:`_PG_STORE` on a psycopg cursor. Runs it again while a ticket moved under it (it
    stored nothing then), and again for the sends whose client_id another transaction stored
    meanwhile (they are repeats the second time)."""
    outcomes: dict[int, Outcome] = {}
    new: list[StoredMessage] = []
    last: dict[int, int] = {}
    event_ids: dict[int, int] = {}
    pending = list(range(len(sends)))
    for _ in range(20):
        batch = [sends[i] for i in pending]
        cursor.execute(
            _PG_STORE,
            {
                "ticket": [s.ticket_id for s in batch],
                "author": [s.author_id for s in batch],
                "body": [s.body for s in batch],
                "kind": [s.kind for s in batch],
                "client": [s.client_id for s in batch],
                "now": now,
                "source": LIVE_SOURCE,
            },
            prepare=prepare,
        )
        rows = cursor.fetchall()
        if rows[0][1]:  # a ticket moved: nothing was stored
            continue
        again: list[int] = []
        for index, send, row in zip(pending, batch, rows, strict=True):
            verdict, _, name, message_id, event_id, last_id = row[:6]
            author = {"id": send.author_id, "name": name}
            if verdict == NEW and message_id is None:
                again.append(index)
            elif verdict == NEW:
                message = StoredMessage(
                    message_id, send.ticket_id, author, send.body, send.kind, send.client_id, now
                )
                outcomes[index] = message
                new.append(message)
                last.setdefault(send.ticket_id, last_id or 0)
                event_ids[message_id] = event_id
            elif verdict == REPEAT:
                old_id, old_ticket, old_body, old_kind, old_at = row[6:]
                outcomes[index] = StoredMessage(
                    old_id, old_ticket, author, old_body, old_kind, send.client_id, old_at, False
                )
            else:
                outcomes[index] = _refusal(verdict, send)
        pending = again
        if not pending:
            break
    for index in pending:  # twenty tries: something is badly wrong; say so, keep the rest
        outcomes[index] = Conflict("The ticket kept changing under this message; send it again.")
    return Batch([outcomes[i] for i in range(len(sends))], _events(new, last, now, event_ids))


# The writer's connection prepares the statement once and keeps one generic plan (planning it
# each time cost more than running it). That plan is made from the statistics of the moment —
# on a new installation, of empty tables, for which the planner picks sequential scans and hash
# joins, whose cost then grows with every message stored (measured: acknowledgements went from
# 1.9 to 3.3 ms within one benchmark run). Every lookup in the statement is a key lookup with an
# index behind it; these settings make the plan use them whatever the statistics say.
_WRITER_SETTINGS = (
    "SET plan_cache_mode = force_generic_plan",
    "SET enable_seqscan = off",
    "SET enable_hashjoin = off",
    "SET enable_mergejoin = off",
)


@dataclass
class _Waiting:
    send: NewMessage
    wake: threading.Event = field(default_factory=threading.Event)
    leads: bool = False
    outcome: Outcome | BaseException | None = None


class MessageWriter:
    """Group commit for room messages, shared by every connection of one process.

    The first send to arrive while nothing is being written becomes the leader: it takes what
    is queued (itself first, up to ``max_batch``), stores it in one transaction, and once the
    batch before it is published, hands the lead to the oldest send still queued and publishes
    the events of its batch. The others only wait. So a burst costs one transaction per batch
    instead of one per message, a lone send still goes straight through, no background thread
    is needed (it works the same with threads and greenlets), only one batch is written at a
    time (ids follow the order sends were queued in), and every room hears its messages in id
    order.

    On PostgreSQL the writer keeps one connection of its own (only one batch is written at a
    time) in autocommit, where its one statement is one round trip, with a generic plan:
    checking a pooled connection out and in, with its ping, BEGIN and COMMIT, and planning the
    statement anew cost more than the statement itself. Under load every round trip also
    waits its turn in the event loop. A connection that breaks is dropped, and the next batch
    opens a new one.
    """

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        notifier: Notifier,
        *,
        max_batch: int = 100,
        sessions: sessionmaker[Session] | None = None,
    ) -> None:
        self._engine = engine
        # The app's factory, when given: its sessions deliver notifications after commit.
        self._sessions = sessions or make_session_factory(engine)
        self._postgres = engine.dialect.name == "postgresql"
        self._raw: Any = None
        self._clock = clock
        self._notifier = notifier
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: deque[_Waiting] = deque()
        self._writing = False
        self._batches = 0  # batches taken so far; the next one's turn to publish
        self._published = 0  # batches published so far
        self._published_changed = threading.Condition()

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
            batch = self._take()
            turn = self._batches
            self._batches += 1
        try:
            outcomes, events = self._write_batch([w.send for w in batch])
        except BaseException as exc:  # not an Exception (the greenlet is being killed, say)
            outcomes, events = [exc] * len(batch), []
        for waiting, outcome in zip(batch, outcomes, strict=True):
            waiting.outcome = outcome
        ROOM_MESSAGES.inc(sum(isinstance(o, StoredMessage) for o in outcomes))
        # Batches publish in the order they were taken, which is their id order. The lead
        # passes on once this batch's turn to publish has come, so the next batch is written
        # while this one is published (the database works while this process encodes and
        # sends), and no more than that: with publishing slower than writing (a Redis round
        # trip per event) batches taken ahead of their turn piled up without bound, every
        # one woken at every turn — measured: rooms latency ran away to 36 s.
        with self._published_changed:
            while self._published != turn:
                self._published_changed.wait()
        with self._lock:
            following = self._queue[0] if self._queue else None
            if following is None:
                self._writing = False
            else:
                following.leads = True
        if following is not None:
            following.wake.set()
        try:
            self._notifier.publish(events)
        finally:
            with self._published_changed:
                self._published += 1
                self._published_changed.notify_all()
            for waiting in batch:
                waiting.wake.set()

    def _take(self) -> list[_Waiting]:
        """The oldest queued sends, up to ``max_batch``, stopping before an ``(author,
        client_id)`` already in the batch: a retry racing its original goes in the next batch
        and finds the original stored."""
        batch: list[_Waiting] = []
        keys: set[tuple[int, str]] = set()
        while self._queue and len(batch) < self._max_batch:
            send = self._queue[0].send
            key = (send.author_id, send.client_id)
            if key in keys:
                break
            keys.add(key)
            batch.append(self._queue.popleft())
        return batch

    def _write_batch(
        self, sends: list[NewMessage]
    ) -> tuple[list[Outcome | BaseException], list[EventPayload]]:
        """Store the batch; when that raises, store its sends one at a time, so that a send
        the database cannot take (a poison: a NUL in the body on PostgreSQL, say) fails only
        itself and the others are committed, in their order. Each send hears its own outcome
        or exception (every one of them the same one when the database is gone)."""
        try:
            outcomes, events = self._write(sends)
            return list(outcomes), events
        except Exception as exc:
            if len(sends) == 1 or database_unavailable(exc):
                # Unreachable: one at a time would fail the same way, once per send.
                return [exc] * len(sends), []
            log.warning("a batch of %d sends failed; storing them one by one", len(sends))
        alone: list[Outcome | BaseException] = []
        events = []
        for send in sends:
            try:
                outcome, published = self._write([send])
            except Exception as exc:
                log.exception("a send to ticket %s failed", send.ticket_id)
                alone.append(exc)
            else:
                alone += outcome
                events += published
        return alone, events

    def _write(self, sends: list[NewMessage]) -> tuple[list[Outcome], list[EventPayload]]:
        # A batch that may notify someone (a reply, an @name) takes the session's road, whose
        # transaction also holds the notifications; plain chat keeps the one-statement road.
        fast = self._postgres and not any(needs_notifications(s.kind, s.body) for s in sends)
        batch = self._write_postgres(sends) if fast else self._write_portable(sends)
        return list(batch.outcomes), batch.events

    def _write_portable(self, sends: list[NewMessage]) -> Batch:
        # SQLite's write lock is held from the first read, so nobody can store one of the
        # batch's client_ids between the look and the insert; other engines retry once if so.
        for attempt in range(2):
            with self._sessions() as session:
                try:
                    begin_write(session)
                    batch = store_messages(session, self._clock.now(), sends)
                    session.commit()
                    return batch
                except IntegrityError:
                    session.rollback()
                    if attempt:
                        raise
                except BaseException:
                    session.rollback()
                    raise
        raise AssertionError("unreachable")

    def _write_postgres(self, sends: list[NewMessage]) -> Batch:
        # A connection the database dropped (a restart, a failover, an idle timeout) is
        # replaced and the batch sent once more. Safe: a send whose first try did commit is a
        # repeat of its client_id the second time (its event then reaches the room only through
        # the clients' catch-up: prev_id and the periodic resync).
        for attempt in range(2):
            driver = self._connection()
            try:
                with driver.cursor() as cursor:
                    return _store_postgres(cursor, self._clock.now(), sends)
            except BaseException:
                if not (driver.closed or driver.broken):
                    raise
                self._raw.invalidate()
                self._raw = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _connection(self) -> Any:
        """The writer's own psycopg connection, opened (and set up) when there is none."""
        if self._raw is None:
            raw = self._engine.raw_connection()
            driver = raw.driver_connection
            driver.autocommit = True  # the statement is its own transaction: one round trip
            for setting in _WRITER_SETTINGS:
                driver.execute(setting)
            self._raw = raw
        return self._raw.driver_connection
