"""The Redis message queue between server processes, with a batch's events in one round trip.

Flask-SocketIO's Redis manager delivers an event to this process's clients at once and then
publishes it for the other processes: one ``PUBLISH``, one round trip to Redis, per event, and
the greenlet that emits waits for it. Room messages are published by the message writer one
batch at a time, in id order (``swarm.tickets.messages``), so a round trip per event made
publishing the bottleneck: at 1,000 messages a second one process fell behind and rooms
latency ran away to seconds (docs/realtime-server.md). Inside :meth:`BatchingRedisManager.batch`
the publishes of one greenlet are collected and sent in one pipeline when the block ends:
one round trip per batch, in the same order, on the same channel, in the same format, so
processes with and without batching understand each other.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

import socketio

from swarm.realtime.names import ENDS

log = logging.getLogger(__name__)

#: Flask-SocketIO's default channel: every process of one installation must use the same.
CHANNEL = "flask-socketio"


class BatchingRedisManager(socketio.RedisManager):  # type: ignore[misc]
    """``socketio.RedisManager`` whose publishes can be gathered into one pipeline."""

    def __init__(self, url: str, channel: str = CHANNEL, **kwargs: Any) -> None:
        super().__init__(url, channel=channel, **kwargs)
        # Per greenlet under gevent (threading.local is patched), per thread otherwise: an
        # event emitted by another handler while a batch is open is not caught in it.
        self._local = threading.local()

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Publish what is emitted inside the block together, when it ends (also when it
        raises: what was emitted locally is then also told to the other processes)."""
        if getattr(self._local, "buffer", None) is not None:  # nested: the outer one sends
            yield
            return
        buffer: list[dict[str, Any]] = []
        self._local.buffer = buffer
        try:
            yield
        finally:
            self._local.buffer = None
            if buffer:
                self._publish_many(buffer)

    def _publish(self, data: dict[str, Any]) -> Any:
        buffer = getattr(self._local, "buffer", None)
        if buffer is not None:
            buffer.append(data)
            return None
        return super()._publish(data)

    def _handle_close_room(self, message: dict[str, Any]) -> None:
        """Closing an ``ends:`` room (swarm/realtime/access.py) disconnects this process's
        members of it: a credential ended on one process ends its sockets on all of them."""
        room, namespace = message.get("room"), message.get("namespace") or "/"
        if isinstance(room, str) and room.startswith(ENDS):
            for sid, _eio_sid in list(self.get_participants(namespace, room)):
                try:
                    self.server.disconnect(sid, namespace=namespace, ignore_queue=True)
                except Exception:  # already gone: nothing to end
                    log.debug("could not disconnect %s on closing %s", sid, room, exc_info=True)
        super()._handle_close_room(message)

    def _publish_many(self, messages: list[dict[str, Any]]) -> None:
        """One pipeline (no transaction: plain ``PUBLISH``es, in order); like the single
        publish, it reconnects and tries once more, then logs and gives up (the database has
        every message; clients catch up by ``prev_id`` and on reconnect)."""
        for attempt in range(2):
            try:
                if not self.connected:
                    self._redis_connect()
                pipe = self.redis.pipeline(transaction=False)
                for message in messages:
                    pipe.publish(self.channel, self.json.dumps(message))
                pipe.execute()
                return
            except Exception:
                self.connected = False
                if attempt:
                    log.exception("could not publish %d events to Redis", len(messages))
