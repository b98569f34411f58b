"""Keeping presence true when processes die, and ending the stints of helpers who went away.

Each ``python -m swarm serve`` runs :func:`keep_presence` in the background. Each round it
(1) beats — tells the other processes it is alive and writes its connections again, which also
refills a Redis that restarted empty; (2) disconnects this process's connections whose access
ended: an account deactivated or given another role, a browser session signed out (here or
everywhere) or ended by a password change, an API token revoked, a guest pass revoked or run
out (swarm/tickets/guests.py) — a change made on another process reaches this one's sockets
here, within one beat (``SWARM_PRESENCE_SECONDS``; the process where it was made ends its own
at once, swarm/realtime/access.py); (3)
marks the stints of its connected people as seen now (no event: presence is not evidence);
(4) tells each of its rooms whose people changed without a word — a process killed with
``kill -9`` says no goodbyes, and its people drop out of the lists here; (5) once presence has
settled, ends the helper stints of people who have neither had the room open nor written for
``SWARM_HELPER_IDLE_MINUTES`` (``helper_left {reason: idle}``, counted up to their last sign).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from flask import Flask
from flask_socketio import SocketIO
from sqlalchemy import select

from swarm.accounts.service import live_tokens
from swarm.accounts.sessions import live_keys
from swarm.models import GuestPass, User
from swarm.realtime.handlers import Connection, emit_presence
from swarm.realtime.presence import Presence
from swarm.runtime import db_session, room_service, runtime
from swarm.telemetry import SOCKET_SEND_BACKLOG

log = logging.getLogger(__name__)


def end_lost_access(
    app: Flask, socketio: SocketIO, connections: dict[str, Connection]
) -> list[str]:
    """Disconnect this process's connections whose person may no longer be here — an account
    deactivated or given another role since it connected, a session or API token that ended,
    or a guest whose pass ended — and return their sids. Their events were refused from that
    moment (``me()`` in handlers.py); now they stop hearing their rooms too."""
    people = {sid: conn for sid, conn in list(connections.items())}
    if not people:
        return []
    ids = {conn.user_id for conn in people.values()}
    guests = {conn.user_id for conn in people.values() if conn.guest}
    with app.app_context():
        session = db_session()
        active = select(User.id, User.role).where(User.id.in_(ids), User.active)
        roles: dict[int, str] = {user_id: role for user_id, role in session.execute(active)}
        hashes = {c.session_hash for c in people.values() if c.session_hash}
        keys = live_keys(session, hashes, runtime().sessions_started_after())
        tokens = live_tokens(
            session, {c.token_id for c in people.values() if c.token_id is not None}
        )
        valid: set[int] = set()
        if guests:
            query = select(GuestPass.user_id).where(
                GuestPass.user_id.in_(guests),
                GuestPass.revoked_at.is_(None),
                GuestPass.expires_at > runtime().clock.now(),
            )
            valid = set(session.scalars(query))

    def lost(conn: Connection) -> bool:
        return (
            conn.ended
            or conn.user_id not in roles
            or bool(conn.role and roles[conn.user_id] != conn.role)
            or (conn.session_hash is not None and conn.session_hash not in keys)
            or (conn.token_id is not None and conn.token_id not in tokens)
            or (conn.guest and conn.user_id not in valid)
        )

    ended = [sid for sid, conn in people.items() if lost(conn)]
    for sid in ended:
        people[sid].ended = True
        socketio.server.disconnect(sid)
    return ended


class Keeper:
    """One process's rounds: what it last told each of its rooms, to say only what changed."""

    def __init__(self, app: Flask, socketio: SocketIO, presence: Presence, idle: timedelta) -> None:
        self.app = app
        self.socketio = socketio
        self.presence = presence
        self.idle = idle
        self._told: dict[int, frozenset[int]] = {}

    def tend(self) -> int:
        """One round after a beat; returns how many idle stints it ended."""
        mine = self.presence.mine()
        with self.app.app_context():
            rooms = room_service()
            rooms.mark_seen(mine)
            changed: set[int] = set()
            for ticket_id in sorted({t for t, _ in mine} | set(self._told)):
                people = frozenset(self.presence.people(ticket_id))
                if self._told.get(ticket_id) != people:
                    if ticket_id in self._told:
                        changed.add(ticket_id)
                    self._told[ticket_id] = people
                if not people:
                    del self._told[ticket_id]
            ended: list[tuple[int, int]] = []
            if self.presence.settled():
                ended = rooms.end_idle_stints(self.idle, lambda t, u: not self.presence.here(t, u))
            changed |= {t for t, _ in ended}
            for ticket_id in sorted(changed):
                emit_presence(self.socketio, self.presence, ticket_id, None)
        return len(ended)


def tend_presence(
    app: Flask, socketio: SocketIO, presence: Presence, idle: timedelta | None = None
) -> int:
    """One :class:`Keeper` round with nothing remembered from earlier rounds."""
    idle = idle if idle is not None else app.extensions["swarm"].config.helper_idle
    return Keeper(app, socketio, presence, idle).tend()


def shed_slow_readers(socketio: SocketIO, limit: int) -> list[str]:
    """Disconnect the clients with more than ``limit`` packets waiting to be written to them,
    and return their engine.io sids; set the send backlog gauge to what stays queued.

    A client that reads slower than its rooms talk (a stalled tab, a starved machine, a
    connection that hangs without closing) would otherwise make this process keep every
    packet for it, without bound. Disconnected, it reconnects, joins again with ``since`` and
    is replayed what it missed from the database: nothing is lost."""
    eio = socketio.server.eio
    slow: list[str] = []
    waiting = 0
    for sid, sock in list(eio.sockets.items()):
        queued = sock.queue.qsize()
        if queued > limit and not sock.closed:
            slow.append(sid)
        else:
            waiting += queued
    SOCKET_SEND_BACKLOG.set(waiting)
    for sid in slow:
        eio.disconnect(sid)
    return slow


def keep_presence(
    app: Flask,
    socketio: SocketIO,
    presence: Presence,
    connections: dict[str, Connection],
    interval: float,
    stop: threading.Event,
) -> None:
    """A :class:`Keeper` round every ``interval`` seconds until ``stop`` is set."""
    keeper = Keeper(app, socketio, presence, app.extensions["swarm"].config.helper_idle)
    while True:
        # The beat first and on its own: a database that is away for a moment must not make
        # the other processes take this one for dead.
        try:
            presence.beat()
        except Exception:
            log.exception("presence beat failed; retrying in %.1f s", interval)
        try:
            ended = end_lost_access(app, socketio, connections)
            if ended:
                log.info("presence: %d connection(s) lost their access", len(ended))
            idle = keeper.tend()
            if idle:
                log.info("presence: %d helper stint(s) ended after going idle", idle)
            slow = shed_slow_readers(socketio, app.extensions["swarm"].config.socket_send_queue)
            if slow:
                log.warning("presence: %d client(s) too slow to read their rooms", len(slow))
        except Exception:  # Redis or the database away for a moment: the next round retries
            log.exception("presence round failed; retrying in %.1f s", interval)
        if stop.wait(interval):
            return


def start_presence_keeper(app: Flask, interval: float) -> threading.Event:
    """Start :func:`keep_presence` for ``app`` in a daemon thread (a greenlet under gevent);
    set the returned event to stop it."""
    realtime = app.extensions["swarm.realtime"]
    stop = threading.Event()
    thread = threading.Thread(
        target=keep_presence,
        args=(app, realtime.socketio, realtime.presence, realtime.connections, interval, stop),
        name="swarm-presence",
        daemon=True,
    )
    thread.start()
    return stop
