"""Ending the live connections of a credential that just ended, in this process, at once.

The views that end access — signing out, "sign out everywhere", a password change, a role
change or a deactivation, revoking an API token — call these after their commit: this
process's sockets opened with that credential are disconnected now (and refuse every event
from this moment). Other processes' sockets end at their presence keeper's next beat
(swarm/realtime/keeper.py ``end_lost_access``), and each of their events is refused before
that (``me()`` in swarm/realtime/handlers.py loads the person with the credential).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app

from swarm.accounts.sessions import key_hash
from swarm.realtime.handlers import Connection


def end_connections(match: Callable[[Connection], bool], app: Flask | None = None) -> int:
    """Disconnect this process's connections for which ``match`` holds; returns how many."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    realtime = app.extensions.get("swarm.realtime")
    if realtime is None:
        return 0
    ended = 0
    for sid, conn in list(realtime.connections.items()):
        if match(conn):
            conn.ended = True
            realtime.socketio.server.disconnect(sid)
            ended += 1
    return ended


def end_session_sockets(user_id: int, key: str | None) -> int:
    """Signing out: the sockets opened with this browser session."""
    if not key:
        return 0
    digest = key_hash(key)
    return end_connections(lambda c: c.user_id == user_id and c.session_hash == digest)


def end_other_session_sockets(user_id: int, keep: str | None = None) -> int:
    """Sign out everywhere (``keep`` None) or a password change (``keep`` the browser that
    changed it): every session-opened socket of the person but those of ``keep``."""
    kept = key_hash(keep) if keep else None
    return end_connections(
        lambda c: c.user_id == user_id and c.session_hash is not None and c.session_hash != kept
    )


def end_token_sockets(user_id: int, token_id: int) -> int:
    """A revoked API token: the sockets opened with it."""
    return end_connections(lambda c: c.user_id == user_id and c.token_id == token_id)


def end_user_sockets(user_id: int) -> int:
    """A role change or a deactivation: every socket of the person, whatever opened it."""
    return end_connections(lambda c: c.user_id == user_id)
