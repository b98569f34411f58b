"""Keeping presence true when processes die: every serving process beats, and closes the
participations of people whose every connection went with a dead process.

A process killed with ``kill -9`` (or a machine that vanished) says no goodbyes: its people
would stay "in" their rooms, in the participants list and in the collaboration metrics, for
ever. So each ``python -m swarm serve`` runs :func:`keep_presence` in the background. Each
round it (1) beats — tells the other processes it is alive and writes its connections again,
which also refills a Redis that restarted empty; (2) opens again the participations of its own
connected people that another process closed while this one was taken for dead; (3) once
presence has settled, closes every open participation with no live connection left (the
``helper_left`` event says ``lost: true``), and tells each room that changed. It also
disconnects this process's connections whose account was deactivated, or whose guest pass was
revoked or ran out (swarm/tickets/guests.py).
"""

from __future__ import annotations

import logging
import threading

from flask import Flask
from flask_socketio import SocketIO
from sqlalchemy import select

from swarm.models import GuestPass, User
from swarm.realtime.handlers import Connection, emit_presence
from swarm.realtime.presence import Presence
from swarm.runtime import db_session, room_service, runtime

log = logging.getLogger(__name__)


def end_lost_access(
    app: Flask, socketio: SocketIO, connections: dict[str, Connection]
) -> list[str]:
    """Disconnect this process's connections whose person may no longer be here — an account
    deactivated since it connected, or a guest whose pass ended — and return their sids.
    Their events were refused from that moment; now they stop hearing their rooms too."""
    people = {sid: conn for sid, conn in list(connections.items())}
    if not people:
        return []
    ids = {conn.user_id for conn in people.values()}
    guests = {conn.user_id for conn in people.values() if conn.guest}
    with app.app_context():
        session = db_session()
        active = set(session.scalars(select(User.id).where(User.id.in_(ids), User.active)))
        valid: set[int] = set()
        if guests:
            query = select(GuestPass.user_id).where(
                GuestPass.user_id.in_(guests),
                GuestPass.revoked_at.is_(None),
                GuestPass.expires_at > runtime().clock.now(),
            )
            valid = set(session.scalars(query))
    ended = [
        sid
        for sid, conn in people.items()
        if conn.user_id not in active or (conn.guest and conn.user_id not in valid)
    ]
    for sid in ended:
        socketio.server.disconnect(sid)
    return ended


def tend_presence(app: Flask, socketio: SocketIO, presence: Presence) -> tuple[int, int]:
    """One round after a beat; returns (participations reopened, participations closed)."""
    changed: set[int] = set()
    reopened = closed = 0
    with app.app_context():
        rooms = room_service()
        for ticket_id, user_id in rooms.missing_participations(presence.mine()):
            if rooms.rejoin(user_id, ticket_id):
                reopened += 1
                changed.add(ticket_id)
        if presence.settled():
            opened = rooms.open_participations()
            live = presence.present(opened)
            for ticket_id, user_id in opened:
                if (ticket_id, user_id) in live:
                    continue

                def gone(t: int = ticket_id, u: int = user_id) -> bool:
                    return not presence.here(t, u)

                if rooms.leave_if_gone(user_id, ticket_id, gone):
                    closed += 1
                    changed.add(ticket_id)
        for ticket_id in sorted(changed):
            emit_presence(socketio, presence, ticket_id, None)
    return reopened, closed


def keep_presence(
    app: Flask,
    socketio: SocketIO,
    presence: Presence,
    connections: dict[str, Connection],
    interval: float,
    stop: threading.Event,
) -> None:
    """:func:`tend_presence` every ``interval`` seconds until ``stop`` is set."""
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
            reopened, closed = tend_presence(app, socketio, presence)
            if reopened or closed:
                log.info("presence: %d reopened, %d closed (connections lost)", reopened, closed)
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
