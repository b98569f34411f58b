"""Stopping a serving process without losing or half-doing anything (SIGTERM).

A deploy or ``systemctl stop`` sends SIGTERM. The process then, in this order:

1. stops accepting connections (the listening socket closes; a load balancer or the other
   process takes new ones);
2. refuses new Socket.IO events with ``unavailable`` ("reconnect and send again") and new
   connections, while the events already being handled run to their end — a send that was
   queued is committed and acknowledged, never cut in half;
3. once none is left in flight (or the grace period is over), closes every connection's
   transport after what is queued for it (the acknowledgements) has been written: clients take
   it as a lost transport and reconnect by themselves (to the other process, or to this one
   once restarted). Not a Socket.IO disconnect, nor an Engine.IO CLOSE packet: after either,
   clients consider themselves sent away and stay away;
4. lets the HTTP requests still running finish (the same grace period) and exits.

A send whose acknowledgement never reached its client (the connection closed first) is sent
again by the client with the same ``client_id`` and answered as a duplicate: stored once.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

DRAINING = "This server is restarting: reconnect and send again."


class Drain:
    """Counts the Socket.IO events in flight, and refuses new ones once draining."""

    def __init__(self) -> None:
        self.draining = False
        self._in_flight = 0
        self._idle = threading.Condition()

    def enter(self) -> bool:
        """Start handling an event; False (refuse it) once the process drains."""
        with self._idle:
            if self.draining:
                return False
            self._in_flight += 1
            return True

    def leave(self) -> None:
        with self._idle:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.notify_all()

    @property
    def in_flight(self) -> int:
        with self._idle:
            return self._in_flight

    def start(self) -> None:
        with self._idle:
            self.draining = True

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no event is in flight; False if ``timeout`` seconds passed first."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(min(left, 0.05))
            return True


def drain_and_stop(app: Any, server: Any, grace: float) -> str:
    """Steps 1–4 above for ``app`` served by the gevent ``server``; returns, once it stopped,
    a sentence saying how it went (``serve`` prints it)."""
    realtime = app.extensions["swarm.realtime"]
    started = time.monotonic()
    server.close()  # no new connections
    realtime.drain.start()
    settled = realtime.drain.wait_idle(grace)
    if not settled:
        log.warning(
            "drain: %d socket event(s) still in flight after %.0f s; closing anyway",
            realtime.drain.in_flight,
            grace,
        )
    connections = len(realtime.connections)
    close_transports(realtime.socketio.server.eio)
    server.stop(timeout=max(0.5, grace - (time.monotonic() - started)))
    return (
        f"Drained in {time.monotonic() - started:.2f} s: {connections} connection(s) told to "
        f"reconnect; socket events in flight {'all settled' if settled else 'cut short'}."
    )


def close_transports(eio: Any) -> None:
    """Close every Engine.IO socket of ``eio`` as a lost transport (see step 3 above): its
    writer sends what is queued, then closes the WebSocket."""
    for sock in list(eio.sockets.values()):
        sock.close(wait=False, abort=True, reason=eio.reason.TRANSPORT_CLOSE)
