"""Ending the live connections of a credential that just ended, on every process, at once.

The views that end access — signing out, "sign out everywhere", a password change, a role
change or a deactivation, revoking an API token — call :func:`end_access` after their commit.
This process's sockets opened with that credential are disconnected now (and refuse every event
from this moment). With Redis (``SWARM_MESSAGE_QUEUE``), the other processes are told through
the message queue: each connection is in an ``ends:`` room of its session or token and of its
person (swarm/realtime/names.py), and closing such a room disconnects its members wherever they
are (:class:`swarm.realtime.queue.BatchingRedisManager`). Should that message be lost (Redis
away for a moment), the presence keeper's next beat ends them anyway
(swarm/realtime/keeper.py ``end_lost_access``), and each of their events is refused before
that (``me()`` in swarm/realtime/handlers.py loads the person with the credential).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app

from swarm.accounts.sessions import key_hash
from swarm.realtime.names import ends_person_room, ends_session_room, ends_token_room
from swarm.realtime.queue import BatchingRedisManager


def end_access(
    *,
    sessions: Iterable[str] = (),
    token_id: int | None = None,
    user_id: int | None = None,
) -> int:
    """End the connections opened with any of the ``sessions`` (key hashes), with API token
    ``token_id``, or — ``user_id`` — every connection of that person. Returns how many were
    this process's."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    realtime = app.extensions.get("swarm.realtime")
    if realtime is None:
        return 0
    hashes = set(sessions)
    ended = 0
    for sid, conn in list(realtime.connections.items()):
        if (
            conn.session_hash in hashes
            or (token_id is not None and conn.token_id == token_id)
            or conn.user_id == user_id
        ):
            conn.ended = True
            realtime.socketio.server.disconnect(sid)
            ended += 1
    manager = realtime.socketio.server.manager
    if isinstance(manager, BatchingRedisManager):
        rooms = [ends_session_room(h) for h in sorted(hashes)]
        if token_id is not None:
            rooms.append(ends_token_room(token_id))
        if user_id is not None:
            rooms.append(ends_person_room(user_id))
        for room in rooms:
            manager.close_room(room, "/")
    return ended


def end_session_key(key: str | None) -> int:
    """Signing out: the connections opened with this browser session (its key, from the
    cookie)."""
    return end_access(sessions=[key_hash(key)]) if key else 0


def end_person(user_id: int) -> None:
    """A role change or a deactivation: every connection of the person, whatever opened it."""
    end_access(user_id=user_id)
