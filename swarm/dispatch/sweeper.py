"""The deadline sweeper: fires due routing deadlines every few seconds.

It runs as a thread inside ``python -m swarm serve`` (the embedded default) or on its own as
``python -m swarm sweeper``. Any number may run against one database: each claim takes the rows
it fires with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL) or under SQLite's write lock.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from swarm.accounts.sessions import prune_sessions
from swarm.clock import Clock
from swarm.dispatch.caches import RoutingCaches
from swarm.dispatch.service import RoutingService
from swarm.tickets.notify import Notifier
from swarm.tickets.rooms import RoomService

log = logging.getLogger(__name__)


class SweeperParts(Protocol):
    """What a sweep needs of the process it runs in (``swarm.runtime.Runtime`` has it; the
    sweeper names no Flask-side module, so the layers stay one-way)."""

    sessions: sessionmaker[Session]
    clock: Clock
    notifier: Notifier
    routing: RoutingCaches

    def sessions_started_after(self) -> datetime: ...


def sweep_once(runtime: SweeperParts) -> int:
    """Fire what is due now (routing deadlines, invitation expiry); returns how many fired.
    Also deletes the rows of sign-ins over by age (not counted: nothing fired)."""
    with runtime.sessions() as session:
        fired = RoutingService(session, runtime.clock, runtime.notifier, runtime.routing).sweep()
    with runtime.sessions() as session:
        rooms = RoomService(session, runtime.clock, runtime.notifier)
        fired += rooms.expire_invitations()
    with runtime.sessions() as session:
        pruned = prune_sessions(session, runtime.sessions_started_after())
    if pruned:
        log.info("sweeper deleted %d session(s) over by age", pruned)
    return fired


def run_sweeper(runtime: SweeperParts, interval: float, stop: threading.Event) -> None:
    """Sweep every ``interval`` seconds until ``stop`` is set; errors are logged, not fatal."""
    while not stop.is_set():
        try:
            fired = sweep_once(runtime)
            if fired:
                log.info("sweeper fired %d deadline(s)", fired)
        except Exception:  # a bad row or a lost connection must not stop future sweeps
            log.exception("sweep failed; retrying in %.1f s", interval)
        stop.wait(interval)


def start_sweeper_thread(runtime: SweeperParts, interval: float) -> threading.Event:
    """Start the sweeper in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_sweeper, args=(runtime, interval, stop), name="swarm-sweeper", daemon=True
    )
    thread.start()
    return stop
