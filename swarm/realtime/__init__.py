"""Live swarm rooms over Socket.IO (protocol: docs/realtime.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apiflask import APIFlask
from flask import Flask
from flask_socketio import SocketIO
from socketio.packet import Packet

from swarm.config import Config
from swarm.realtime.drain import Drain
from swarm.realtime.handlers import Connection, RateLimit, register_handlers
from swarm.realtime.presence import MemoryPresence, Presence, RedisPresence
from swarm.realtime.queue import BatchingRedisManager
from swarm.tickets.messages import MessageWriter


@dataclass(frozen=True)
class Realtime:
    """What the background presence keeper needs of an app's realtime layer."""

    socketio: SocketIO
    presence: Presence
    connections: dict[str, Connection]
    drain: Drain


class TextPacket(Packet):
    """Socket.IO packets that are never binary: nothing Swarm sends holds bytes. The default
    packet scans every payload, recursively, for bytes before it encodes it — 6 % of the
    server's time under the benchmark's rooms load, for every delivery and every ack."""

    uses_binary_events = False


#: Room messages are at most 64 KB of text; the packet around them is a little larger.
MAX_PACKET_BYTES = 80 * 1024


def init_realtime(app: Flask, config: Config) -> SocketIO:
    """A SocketIO server for ``app``, with the protocol's handlers registered on it.

    The async mode is explicit (Flask-SocketIO would otherwise pick whatever is installed),
    the origin check stays on (only the app's own origin and ``config.allowed_origins``), and
    with ``SWARM_MESSAGE_QUEUE`` every process shares rooms and presence through Redis.
    """
    queue: dict[str, Any] = {}
    if config.message_queue and config.message_queue.startswith(("redis://", "rediss://")):
        queue["client_manager"] = BatchingRedisManager(config.message_queue)
    elif config.message_queue:
        queue["message_queue"] = config.message_queue
    socketio = SocketIO(
        app,
        async_mode=config.async_mode,
        **queue,
        cors_allowed_origins=list(config.allowed_origins) or None,
        max_http_buffer_size=MAX_PACKET_BYTES,
        # Each event in its own greenlet, so that a burst of sends from one client waits for
        # one batch together (MessageWriter) instead of one commit after another. The handlers
        # keep one connection's events in order (handlers.Turns), and only a batch's leader
        # holds a database connection for sends, so a burst cannot drain the pool.
        async_handlers=True,
        serializer=TextPacket,
        logger=False,
        engineio_logger=False,
    )
    # A process silent for three beats is taken for dead (swarm/realtime/keeper.py).
    silence = 3 * config.presence_seconds
    presence: Presence
    if config.message_queue:
        presence = RedisPresence(
            config.message_queue, config.ratelimit_namespace, liveness=max(1, round(silence))
        )
    else:
        presence = MemoryPresence(grace=silence)
    drain = Drain()
    connections = register_handlers(
        app,
        socketio,
        presence,
        RateLimit(config.socket_rate, config.socket_burst),
        writer=lambda: _writer(app),
        drain=drain,
        backlog=config.socket_backlog,
    )
    app.extensions["swarm.realtime"] = Realtime(socketio, presence, connections, drain)
    # The Socket.IO middleware answers /socket.io/ before Flask routes; still, each event runs
    # in a request context, and without a matching rule Flask keeps a NotFound whose traceback
    # holds that context in a reference cycle: ~45 objects of garbage per event, and full
    # collections that stall the server (measured in docs/realtime-server.md).
    # Not an HTTP operation of the API: kept out of the OpenAPI document.
    never_served = app.doc(hide=True)(_never_served) if isinstance(app, APIFlask) else _never_served
    app.add_url_rule("/socket.io/", "socketio_http", never_served)
    app.add_url_rule("/socket.io/", "socketio_ws", never_served, websocket=True)
    return socketio


def _writer(app: Flask) -> MessageWriter:
    writer: MessageWriter | None = app.extensions["swarm"].messages
    if writer is None:
        raise RuntimeError("the app has no message writer (create_app makes one)")
    return writer


def _never_served() -> tuple[str, int]:
    return "", 404
