"""Socket.IO handlers: the protocol of docs/realtime.md, as thin adapters over RoomService.

Every client → server event is answered by an acknowledgement ``{"ok": true, …}`` or
``{"ok": false, "error": {"code", "message"}}``. Each handler checks who is asking (the
services check access on every call, not only at join), validates its payload (unknown fields
are refused), is rate-limited per connection, and calls one service use case. What others hear
comes from the service's events, published after commit.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, cast

from flask import Flask, request, session
from flask_login import current_user
from flask_socketio import SocketIO, emit, join_room, leave_room
from sqlalchemy import select

from swarm.accounts.service import token_for
from swarm.accounts.sessions import COOKIE_KEY, key_hash
from swarm.db import DATABASE_UNAVAILABLE, database_unavailable
from swarm.events import Audience
from swarm.inputs import MAX_ID, BadJSON, check_value
from swarm.models import ApiToken, User, UserSession
from swarm.models.users import Role
from swarm.realtime.drain import DRAINING, Drain
from swarm.realtime.names import (
    audience_room,
    dashboard_room,
    ends_person_room,
    ends_session_room,
    ends_token_room,
    guest_room,
    queue_room,
    requester_room,
    staff_room,
    user_room,
)
from swarm.realtime.notifier import EVENT
from swarm.realtime.presence import Presence
from swarm.runtime import db_session, room_service, routing_service, runtime
from swarm.telemetry import SOCKET_CONNECTIONS, SOCKET_EVENTS_IN_FLIGHT, socket_kind
from swarm.tickets.access import audience_of
from swarm.tickets.errors import DomainError
from swarm.tickets.guests import guest_for_token
from swarm.tickets.inbox import invitation_notice, is_online
from swarm.tickets.messages import MessageWriter, new_message
from swarm.tickets.payloads import user_ref
from swarm.tickets.posting import DEFAULT_KIND, Standing
from swarm.tickets.rooms import message_payload
from swarm.web.i18n import translate

log = logging.getLogger(__name__)

Ack = dict[str, Any]
ONE_PAYLOAD = "Send one JSON object as the payload."
BUSY = "This server is too busy to take that now: nothing was stored; send it again."


class BadPayload(Exception):
    pass


class Turns:
    """One connection's events take turns in the order they arrived.

    Events are handled concurrently (``async_handlers``), so that a burst of sends from one
    client can be stored as one batch; everything else still happens in order: a join sent
    before a leave is done before it. The arrival order is the order the handlers ask for a
    turn, which is the order they were started in: nothing before :meth:`take` waits.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._next = 0
        self._serving = 0

    @contextlib.contextmanager
    def take(self) -> Iterator[None]:
        with self._changed:
            mine = self._next
            self._next += 1
            while self._serving != mine:
                self._changed.wait()
        try:
            yield
        finally:
            with self._changed:
                self._serving += 1
                self._changed.notify_all()


@dataclass
class Connection:
    user_id: int
    # Connected with a guest link (swarm/tickets/guests.py): dropped when the pass ends.
    guest: bool = False
    staff: bool = False
    # The credential it connected with: a browser session (the SHA-256 of its key) or an API
    # token (its id); it lives while that does (swarm/realtime/access.py), and while the
    # person keeps the role it connected under (its rooms were chosen for that role).
    role: str = ""
    session_hash: str | None = None
    token_id: int | None = None
    # Set when the credential was seen ended: every event is refused from then on, before
    # the disconnect (which may come from another greenlet) has been handled.
    ended: bool = False
    tickets: set[int] = field(default_factory=set)
    # The audience the person joined each ticket's room as (their room is named by it).
    audiences: dict[int, Audience] = field(default_factory=dict)
    # Tickets where the person is known to own the ticket or have a stint: their messages
    # there need no look at the swarm (the first message elsewhere begins a stint).
    swarming: set[int] = field(default_factory=set)
    tokens: float = 0.0
    refilled: float = field(default_factory=time.monotonic)
    turns: Turns = field(default_factory=Turns)


@dataclass(frozen=True)
class RateLimit:
    """A token bucket per connection: ``rate`` events a second, bursts up to ``burst``."""

    rate: float = 10.0
    burst: float = 30.0


def error(code: str, message: str) -> Ack:
    """A refused event's acknowledgement: the code as it is, the sentence in the language of
    the person connected (``make translations`` extracts ``error``'s second argument)."""
    return {"ok": False, "error": {"code": code, "message": translate(message)}}


def fields(payload: Any, spec: dict[str, tuple[type | tuple[type, ...], bool]]) -> dict[str, Any]:
    """Check a payload against ``{name: (types, required)}``; refuse unknown names, integers
    beyond 64 bits, lone surrogates and nesting beyond :data:`swarm.inputs.MAX_DEPTH`."""
    if not isinstance(payload, dict):
        raise BadPayload("The payload must be a JSON object.")
    try:
        check_value(payload)  # lone surrogates, nesting: as for an HTTP body
    except BadJSON as exc:
        raise BadPayload(str(exc)) from None
    unknown = sorted(set(payload) - set(spec))
    if unknown:
        raise BadPayload(f"Unknown field(s): {', '.join(unknown)}.")
    out: dict[str, Any] = {}
    for name, (types, required) in spec.items():
        if name not in payload or payload[name] is None:
            if required:
                raise BadPayload(f"{name} is required.")
            continue
        value = payload[name]
        # bool is an int in Python; a JSON true is not a ticket id.
        if isinstance(value, bool) and bool not in (
            types if isinstance(types, tuple) else (types,)
        ):
            raise BadPayload(f"{name} has the wrong type.")
        if not isinstance(value, types):
            raise BadPayload(f"{name} has the wrong type.")
        if isinstance(value, int) and not -MAX_ID - 1 <= value <= MAX_ID:
            raise BadPayload(f"{name} is out of range.")  # no 64-bit column holds it
        out[name] = value
    return out


def people_in_room(
    presence: Presence, ticket_id: int, audience: Audience = Audience.STAFF
) -> list[dict[str, Any]]:
    """The room's people list as ``audience`` sees it: the swarm (owner first, then helpers,
    each with ``here``: whether they have the room open now), then — for staff — the others
    who have it open (``viewer`` for staff who only look, ``requester``), then the guests
    connected now. A requester gets no list: who swarms on their ticket is staff business."""
    if audience is Audience.REQUESTER:
        return []
    everyone = _people(presence, ticket_id)
    return everyone if audience is Audience.STAFF else _for_guests(everyone)


def _people(presence: Presence, ticket_id: int) -> list[dict[str, Any]]:
    rooms = room_service()
    swarm = rooms.participants(ticket_id)
    here = presence.people(ticket_id)
    people = [{**p, "here": p["id"] in here} for p in swarm]
    guests = [g for g in rooms.guests_with_access(ticket_id) if g["id"] in here]
    known = {p["id"] for p in swarm} | {g["id"] for g in guests}
    people += [{**v, "here": True} for v in rooms.onlookers(ticket_id, here - known)]
    return people + [{**g, "here": True} for g in guests]


def _standing(conn: Connection) -> Standing:
    """Where the connection's person stands, for a send's default kind: a guest link opens a
    guest's connection, and anyone else who is not staff is a requester (the writer checks
    the ticket itself)."""
    if conn.staff:
        return Standing.STAFF
    return Standing.GUEST if conn.guest else Standing.REQUESTER


def _for_guests(people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Guests see the swarm and each other, not who else merely has the page open.
    return [p for p in people if p["role"] in ("owner", "helper", "guest")]


def emit_presence(
    socketio: SocketIO,
    presence: Presence,
    ticket_id: int,
    actor: User | None,
    everyone: list[dict[str, Any]] | None = None,
) -> None:
    """Tell the ticket's staff and guests who is in the room now (inside an app context);
    ``everyone`` is the staff's list when the caller has just read it."""
    if everyone is None:
        everyone = _people(presence, ticket_id)
    for audience, people in ((Audience.STAFF, everyone), (Audience.GUEST, _for_guests(everyone))):
        socketio.emit(
            EVENT,
            {
                "type": "presence",
                "ticket_id": ticket_id,
                "at": runtime().clock.now().isoformat(),
                "actor": user_ref(actor),
                "participants": people,
            },
            to=audience_room(ticket_id, audience),
        )


class StintRecorder:
    """Records, one at a time in a worker of its own, the stints that staff members' first
    messages begin (``RoomService.wrote``).

    The live rooms' writer stores messages in batches on one connection; a stint written in
    the send's own handler would take a pooled connection per first message, and a room of
    newcomers writing at once drains the pool the writer needs (measured: rooms p99 82 ms →
    6.2 s). Queued here, the acknowledgement does not wait, the writer keeps its connection,
    and each (ticket, person) is recorded once while pending. The message is stored whatever
    happens here; a stint lost with a killed process is still evidenced by its message events.
    """

    def __init__(
        self, app: Flask, socketio: SocketIO, presence: Presence, *, inline: bool = False
    ) -> None:
        self.app = app
        self.socketio = socketio
        self.presence = presence
        # Inline: recorded before the acknowledgement (the test client's synchronous world).
        self.inline = inline
        self._queue: queue.SimpleQueue[tuple[int, int, int]] = queue.SimpleQueue()
        self._pending: set[tuple[int, int]] = set()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def submit(self, user_id: int, ticket_id: int, message_id: int) -> None:
        if self.inline:
            self.record(user_id, ticket_id, message_id)
            return
        with self._lock:
            if (ticket_id, user_id) in self._pending:
                return
            self._pending.add((ticket_id, user_id))
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="swarm-stints", daemon=True)
                self._worker.start()
        self._queue.put((user_id, ticket_id, message_id))

    def _run(self) -> None:
        while True:
            user_id, ticket_id, message_id = self._queue.get()
            try:
                self.record(user_id, ticket_id, message_id)
            finally:
                with self._lock:
                    self._pending.discard((ticket_id, user_id))

    def record(self, user_id: int, ticket_id: int, message_id: int) -> None:
        """Begin the stint now, if it is news (also called directly by tests)."""
        try:
            with self.app.app_context():
                user = db_session().get(User, user_id)
                if user is not None and room_service().wrote(user, ticket_id, message_id):
                    emit_presence(self.socketio, self.presence, ticket_id, user)
        except DomainError as exc:  # the ticket was finished meanwhile, say: no stint
            log.info("no stint for message %s: %s", message_id, exc.message)
        except Exception:
            log.exception("could not record the stint of message %s", message_id)


def register_handlers(
    app: Flask,
    socketio: SocketIO,
    presence: Presence,
    limit: RateLimit,
    writer: Callable[[], MessageWriter],
    drain: Drain | None = None,
    backlog: int = 1000,
) -> dict[str, Connection]:
    """Attach the protocol to ``socketio``. Called by ``create_app`` for every app;
    ``writer`` gives the app's message writer (made once the notifier is in place). Returns
    this process's connections by sid (the presence keeper reads them).

    ``backlog`` bounds the events in flight in this process: past it an event is answered
    ``unavailable`` at once (nothing stored; the client sends again) instead of waiting with
    the others, whose greenlets, payloads and turns would otherwise grow without bound while
    more arrives than the process can answer."""
    connections: dict[str, Connection] = {}
    lock = threading.Lock()
    in_flight = [0]
    drain = drain or Drain()
    stints = StintRecorder(app, socketio, presence, inline=app.testing)

    def me() -> User | None:
        """The connection's person, loaded with its credential in one query (the query that
        loaded the person alone before): None once the account, the session or the token
        has ended or the role has changed — and from then on the connection is refused."""
        conn = connections.get(request.sid)  # type: ignore[attr-defined]
        if conn is None or conn.ended:
            return None
        query = select(User).where(User.id == conn.user_id, User.active)
        if conn.session_hash is not None:
            query = query.join(UserSession, UserSession.user_id == User.id).where(
                UserSession.key_hash == conn.session_hash,
                UserSession.created_at > runtime().sessions_started_after(),
            )
        elif conn.token_id is not None:
            query = query.join(ApiToken, ApiToken.user_id == User.id).where(
                ApiToken.id == conn.token_id, ApiToken.revoked_at.is_(None)
            )
        user = db_session().scalars(query).unique().first()
        if user is None or (conn.role and user.role != conn.role):
            # Refused from now on; the keeper's next beat disconnects it (keeper.py).
            conn.ended = True
            return None
        return user

    def allowed(conn: Connection) -> bool:
        now = time.monotonic()
        with lock:
            conn.tokens = min(limit.burst, conn.tokens + (now - conn.refilled) * limit.rate)
            conn.refilled = now
            if conn.tokens < 1:
                return False
            conn.tokens -= 1
            return True

    def answer(name: str, sid: str, run: Callable[[Connection], Ack]) -> Ack:
        """Who is asking, the rate limit, and errors as acks: the same for every event."""
        conn = connections.get(sid)
        if conn is None:
            return error("unauthenticated", "Connect again and sign in.")
        if conn.ended:
            return error("unauthenticated", "Your session has ended: sign in again.")
        if not allowed(conn):
            return error("rate_limited", "Too many events; slow down.")
        with lock:
            if in_flight[0] >= backlog:
                return error("unavailable", BUSY)
            in_flight[0] += 1
        SOCKET_EVENTS_IN_FLIGHT.inc()
        if not drain.enter():
            done()
            return error("unavailable", DRAINING)
        try:
            return run(conn)
        except BadPayload as exc:
            return error("invalid", str(exc))
        except DomainError as exc:
            return error(exc.code, exc.message)
        except Exception as exc:
            if database_unavailable(exc):
                log.warning("socket event %s: the database is unreachable (%s)", name, exc)
                return error("unavailable", DATABASE_UNAVAILABLE)
            log.exception("socket event %s failed", name)
            return error("internal", "Something went wrong; it was logged.")
        finally:
            drain.leave()
            done()

    def done() -> None:
        with lock:
            in_flight[0] -= 1
        SOCKET_EVENTS_IN_FLIGHT.dec()

    def handler(name: str) -> Callable[[Callable[..., Ack]], Callable[..., Ack]]:
        """Register ``fn(user, conn, payload)`` for ``name``: in a Flask request context (with
        its database session on ``g``), in the connection's turn, with the user loaded."""

        def decorate(fn: Callable[..., Ack]) -> Callable[..., Ack]:
            def run(conn: Connection, payload: Any) -> Ack:
                with conn.turns.take():
                    user = me()
                    if user is None:
                        return error("unauthenticated", "Your session has ended: sign in again.")
                    return fn(user, conn, payload)

            @wraps(fn)
            def wrapper(payload: Any = None, *extra: Any) -> Ack:
                if extra:
                    return error("invalid", ONE_PAYLOAD)
                sid = request.sid  # type: ignore[attr-defined]
                return answer(name, sid, lambda conn: run(conn, payload))

            socketio.on_event(name, wrapper)
            return wrapper

        return decorate

    def bare_handler(name: str) -> Callable[[Callable[..., Ack]], Callable[..., Ack]]:
        """Register ``fn(conn, payload)`` for ``name`` on the Socket.IO server itself: no Flask
        request context (pushing one cost ~0.25 ms of CPU an event, a quarter of the server's
        time under the benchmark's 1,000 messages a second), no session, no user loaded, no
        turn taken. For send_message only, whose batch checks every author itself."""

        def decorate(fn: Callable[..., Ack]) -> Callable[..., Ack]:
            @wraps(fn)
            def wrapper(sid: str, payload: Any = None, *extra: Any) -> Ack:
                if extra:
                    return error("invalid", ONE_PAYLOAD)
                return answer(name, sid, lambda conn: fn(conn, payload))

            socketio.server.on(name, wrapper)
            return wrapper

        return decorate

    @socketio.on("connect")
    def connect(auth: Any = None) -> bool:
        if drain.draining:
            return False  # the client retries, and finds the other process or this one again
        user: User | None = None
        guest = False
        session_hash: str | None = None
        token_id: int | None = None
        token = auth.get("token") if isinstance(auth, dict) else None
        guest_link = auth.get("guest") if isinstance(auth, dict) else None
        if isinstance(token, str) and token:
            row = token_for(db_session(), token, runtime().clock.now())
            if row is not None:
                user, token_id = row.user, row.id
        elif isinstance(guest_link, str) and guest_link:
            user = guest_for_token(db_session(), guest_link, runtime().clock.now())
            guest = True
        elif current_user.is_authenticated:  # the user loader checked the session's row
            user = cast(User, current_user._get_current_object())
            session_hash = key_hash(str(session.get(COOKIE_KEY, "")))
        if user is None or not user.active:
            return False  # refused: the client gets a connect_error
        connections[request.sid] = Connection(  # type: ignore[attr-defined]
            user.id,
            guest=guest,
            staff=user.is_staff,
            role=user.role,
            session_hash=session_hash,
            token_id=token_id,
            tokens=limit.burst,
        )
        SOCKET_CONNECTIONS.labels(socket_kind(guest=guest, staff=user.is_staff)).inc()
        join_room(user_room(user.id))
        # Closing one of these disconnects it on whichever process it is (realtime/access.py).
        join_room(ends_person_room(user.id))
        if session_hash is not None:
            join_room(ends_session_room(session_hash))
        if token_id is not None:
            join_room(ends_token_room(token_id))
        return True

    @socketio.on("disconnect")
    def disconnect(*_args: Any) -> None:
        conn = connections.pop(request.sid, None)  # type: ignore[attr-defined]
        if conn is None:
            return
        SOCKET_CONNECTIONS.labels(socket_kind(guest=conn.guest, staff=conn.staff)).dec()
        # After the events still being handled: a join in flight must not outlive the leave.
        with conn.turns.take():
            user = db_session().get(User, conn.user_id)
            for ticket_id in list(conn.tickets):
                _leave(user, ticket_id, request.sid)  # type: ignore[attr-defined]

    def _presence_event(ticket_id: int, actor: User | None) -> None:
        emit_presence(socketio, presence, ticket_id, actor)

    def _leave(user: User | None, ticket_id: int, sid: str) -> None:
        if user is None:
            return
        if presence.remove(ticket_id, user.id, sid):
            if user.is_staff:
                # Their stint, if any, was last seen now; closing the page ends nothing.
                room_service().mark_seen([(ticket_id, user.id)])
            _presence_event(ticket_id, user)

    @handler("join_ticket")
    def join_ticket(user: User, conn: Connection, payload: Any) -> Ack:
        args = fields(payload, {"ticket_id": (int, True), "since": (int, False)})
        rooms = room_service()
        ticket = rooms.get(user, args["ticket_id"])
        audience = audience_of(user, ticket)
        replay = rooms.replay(user, ticket.id, since=args.get("since"))
        swarming = audience is Audience.STAFF and rooms.in_swarm(user, ticket.id)
        # Opening the room is presence only: nothing is written, nobody joins the swarm. A
        # join that fails past this point (presence's store away) leaves the room again: an
        # error answer never leaves a client hearing a room it was told it is not in.
        room, sid = audience_room(ticket.id, audience), request.sid  # type: ignore[attr-defined]
        join_room(room)
        added = False
        try:
            first = presence.add(ticket.id, user.id, sid)
            added = True
            everyone = (
                _people(presence, ticket.id) if first or audience is not Audience.REQUESTER else []
            )
        except Exception:
            leave_room(room)
            if added:
                presence.remove(ticket.id, user.id, sid)
            raise
        conn.tickets.add(ticket.id)
        conn.audiences[ticket.id] = audience
        if swarming:
            conn.swarming.add(ticket.id)
        if first:
            emit_presence(socketio, presence, ticket.id, user, everyone)
        people = {Audience.STAFF: everyone, Audience.GUEST: _for_guests(everyone)}
        return {
            "ok": True,
            "ticket": {
                "id": ticket.id,
                "subject": ticket.subject,
                "status": ticket.status,
                "owner": user_ref(ticket.owner),
            },
            "audience": audience.value,
            # The same list the room was just told of; a requester gets none.
            "participants": people.get(audience, []),
            "messages": [message_payload(m) for m in replay.messages],
            "more": replay.more,
        }

    @handler("leave_ticket")
    def leave_ticket(user: User, conn: Connection, payload: Any) -> Ack:
        args = fields(payload, {"ticket_id": (int, True)})
        ticket_id = args["ticket_id"]
        if ticket_id not in conn.tickets:
            return error("not_joined", "You are not in that ticket's room.")
        conn.tickets.discard(ticket_id)
        conn.swarming.discard(ticket_id)
        audience = conn.audiences.pop(ticket_id, None)
        if audience is not None:
            leave_room(audience_room(ticket_id, audience))
        _leave(user, ticket_id, request.sid)  # type: ignore[attr-defined]
        return {"ok": True}

    @bare_handler("send_message")
    def send_message(conn: Connection, payload: Any) -> Ack:
        # Only the queueing takes the connection's turn: the sends of a burst wait for their
        # batch together, and their queue order (their id order) is the order they were sent.
        with conn.turns.take():
            args = fields(
                payload,
                {
                    "ticket_id": (int, True),
                    "body": (str, True),
                    "client_id": (str, True),
                    "kind": (str, False),
                },
            )
            send = new_message(
                conn.user_id,
                args["ticket_id"],
                args["body"],
                args["client_id"],
                args.get("kind") or DEFAULT_KIND[_standing(conn)],
            )
            waiting = writer().submit(send)
        message = writer().result(waiting)
        if conn.staff and message.created and message.ticket_id not in conn.swarming:
            stints.submit(conn.user_id, message.ticket_id, message.id)
            conn.swarming.add(message.ticket_id)
        return {"ok": True, "message": message.payload(), "duplicate": not message.created}

    @handler("typing")
    def typing(user: User, conn: Connection, payload: Any) -> Ack:
        args = fields(payload, {"ticket_id": (int, True), "to": (str, False)})
        to = args.get("to", "swarm")
        if to not in ("swarm", "requester"):
            raise BadPayload('to is "swarm" or "requester".')
        ticket = room_service().get(user, args["ticket_id"])
        audience = conn.audiences.get(ticket.id)
        if ticket.id not in conn.tickets or audience is None:
            return error("not_joined", "Join the ticket's room first.")
        # Typing is heard by those who will read the message: the requester's conversation is
        # staff and requester, the swarm room staff and guests.
        if audience is Audience.REQUESTER:
            to = "requester"
        elif audience is Audience.GUEST:
            to = "swarm"
        rooms = [staff_room(ticket.id)]
        rooms.append(requester_room(ticket.id) if to == "requester" else guest_room(ticket.id))
        emit(
            EVENT,
            {
                "type": "typing",
                "ticket_id": ticket.id,
                "at": runtime().clock.now().isoformat(),
                "actor": user_ref(user),
                "to": to,
            },
            to=rooms,
            include_self=False,
        )
        return {"ok": True}

    @handler("raise_hand")
    def raise_hand(user: User, conn: Connection, payload: Any) -> Ack:
        args = fields(payload, {"ticket_id": (int, True), "note": (str, False)})
        note = args.get("note")
        if note is not None and len(note) > 2000:
            raise BadPayload("A note is at most 2000 characters.")
        room_service().raise_hand(user, args["ticket_id"], note)
        experts = _suggested_experts(user, args["ticket_id"])
        for expert in experts:
            socketio.emit(
                EVENT,
                {
                    "type": "hand_raised",
                    "ticket_id": args["ticket_id"],
                    "at": runtime().clock.now().isoformat(),
                    "actor": user_ref(user),
                    "note": note,
                },
                to=user_room(expert),
            )
        return {"ok": True, "notified": experts}

    def _suggested_experts(user: User, ticket_id: int) -> list[int]:
        suggestions = routing_service().suggestions(user, ticket_id)
        team = suggestions.get("team") or {}
        ids = [m["agent"]["id"] for m in team.get("members", [])]
        ids += [o["agent"]["id"] for o in suggestions.get("owners", [])]
        return [i for i in dict.fromkeys(ids) if i != user.id][:5]

    @handler("watch_queue")
    def watch_queue(user: User, conn: Connection, payload: Any) -> Ack:
        args = fields(payload, {"tier": (int, True)})
        if not user.is_staff:
            return error("forbidden", "Only agents watch tier queues.")
        if not 1 <= args["tier"] <= 4:
            raise BadPayload("tier is 1 to 4: Tier 0 is self-service and has no queue.")
        join_room(queue_room(args["tier"]))
        return {"ok": True}

    @handler("watch_dashboard")
    def watch_dashboard(user: User, conn: Connection, payload: Any) -> Ack:
        fields(payload if payload is not None else {}, {})
        if not user.has_role(Role.MANAGER):
            return error("forbidden", "Only managers and admins watch the dashboard.")
        join_room(dashboard_room())
        return {"ok": True}

    @handler("offer_help")
    def offer_help(user: User, conn: Connection, payload: Any) -> Ack:
        args = fields(payload, {"ticket_id": (int, True)})
        room_service().offer_help(user, args["ticket_id"])
        return {"ok": True}

    @handler("invite")
    def invite(user: User, conn: Connection, payload: Any) -> Ack:
        args = fields(
            payload, {"ticket_id": (int, True), "agent_id": (int, True), "note": (str, False)}
        )
        invitation = room_service().invite(
            user, args["ticket_id"], args["agent_id"], args.get("note")
        )
        invitee = db_session().get(User, invitation.invitee_id)
        return {
            "ok": True,
            "invitation": {"id": invitation.id, "expires_at": invitation.expires_at.isoformat()},
            # Whether they hear of it now or find it in their inbox later.
            "invitee_online": invitee is not None and is_online(invitee),
            "message": invitation_notice(invitee) if invitee else "Invitation sent.",
        }

    @handler("add_helper")
    def add_helper(user: User, conn: Connection, payload: Any) -> Ack:
        args = fields(payload, {"ticket_id": (int, True), "agent_id": (int, True)})
        room_service().add_helper(user, args["ticket_id"], args["agent_id"])
        _presence_event(args["ticket_id"], user)
        return {"ok": True}

    @handler("decline_offer")
    def decline_offer(user: User, conn: Connection, payload: Any) -> Ack:
        args = fields(
            payload, {"ticket_id": (int, True), "agent_id": (int, True), "note": (str, False)}
        )
        room_service().decline_offer(user, args["ticket_id"], args["agent_id"], args.get("note"))
        return {"ok": True}

    @handler("leave_swarm")
    def leave_swarm(user: User, conn: Connection, payload: Any) -> Ack:
        args = fields(payload, {"ticket_id": (int, True)})
        room_service().leave_swarm(user, args["ticket_id"])
        conn.swarming.discard(args["ticket_id"])
        _presence_event(args["ticket_id"], user)
        return {"ok": True}

    @handler("respond_invitation")
    def respond_invitation(user: User, conn: Connection, payload: Any) -> Ack:
        args = fields(
            payload, {"invitation_id": (int, True), "accept": (bool, True), "reason": (str, False)}
        )
        invitation = room_service().respond(
            user, args["invitation_id"], args["accept"], args.get("reason")
        )
        if invitation.status == "accepted":
            conn.swarming.add(invitation.ticket_id)
            _presence_event(invitation.ticket_id, user)
        return {
            "ok": True,
            "invitation": {
                "id": invitation.id,
                "status": invitation.status,
                "ticket_id": invitation.ticket_id,
            },
        }

    return connections
