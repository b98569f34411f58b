"""The production server of ``python -m swarm serve``: gevent's WSGI server with
gevent-websocket, ``TCP_NODELAY`` on every accepted connection, and the process's long-lived
objects frozen out of the garbage collector.

Measured (docs/realtime-server.md, one run on two cores, 1 room × 100 clients): fan-out 120k
deliveries/s with gevent-websocket against 29k with simple-websocket and 8–10k with threads; an
acknowledged message 0.4 ms with ``TCP_NODELAY`` against 44 ms without (Nagle's algorithm meeting
delayed ACKs). gevent-websocket has had no release since 2017: if it is ever uninstalled,
python-engineio falls back to simple-websocket and this module to gevent's plain handler, and
everything still works, four times slower. ``swarm/__main__.py`` monkey-patches the standard
library before anything else is imported, which gevent requires.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import socket
from typing import Any

from gevent import monkey
from gevent.pywsgi import WSGIHandler, WSGIServer

try:
    import geventwebsocket.handler
    from geventwebsocket.handler import WebSocketHandler as BaseHandler
    from geventwebsocket.websocket import Header, Stream
except ImportError:  # python-engineio then uses simple-websocket, which needs the plain handler
    BaseHandler = WSGIHandler
    Header = Stream = None


def _mask(header: Any, payload: bytes | bytearray) -> bytes:
    """XOR ``payload`` with the frame's 4-byte mask, in C (wsaccel) when it is installed.

    gevent-websocket does this, and checks that text frames are UTF-8, one byte at a time in
    Python: 10 ms and 20 ms for a 64 KB message (the largest a room accepts), during which the
    whole process — every other connection — waits. wsaccel, which gevent-websocket picks up
    by itself for the UTF-8 check, takes 0.14 and 0.23 ms (docs/realtime-server.md).
    """
    if createXorMasker is not None:
        masked: bytes = createXorMasker(bytes(header.mask)).process(bytes(payload))
        return masked
    size = len(payload)
    mask = (bytes(header.mask) * (size // 4 + 1))[:size]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(mask, "little")).to_bytes(
        size, "little"
    )


try:
    from wsaccel.xormask import createXorMasker
except ImportError:
    createXorMasker = None

if Header is not None:
    Header.mask_payload = Header.unmask_payload = _mask


def frame_writer(sock: Any) -> Any:
    """``write(frame)`` for one WebSocket: a single ``send`` when the kernel takes the whole
    frame, as it does for a room message; ``sendall`` only for what is left.

    gevent's ``sendall`` asks the kernel for the socket's buffer size (a ``getsockopt`` system
    call) and slices the data into chunks before every send, for every frame: ~3 % of the
    server's time under the rooms load, where each message is written to every member of its
    room (docs/realtime-server.md)."""
    send, sendall = sock.send, sock.sendall

    def write(frame: bytes) -> None:
        sent = send(frame)
        if sent != len(frame):
            sendall(memoryview(frame)[sent:])

    return write


if Stream is not None:

    class _FrameStream(Stream):  # type: ignore[misc, valid-type]
        """gevent-websocket's stream, writing frames with :func:`frame_writer`."""

        __slots__ = ()

        def __init__(self, handler: Any) -> None:
            super().__init__(handler)
            self.write = frame_writer(handler.socket)

    geventwebsocket.handler.Stream = _FrameStream


class NoDelayHandler(BaseHandler):  # type: ignore[misc, valid-type]  # gevent has no stubs
    def handle(self) -> Any:
        # Not a TCP socket (a unix socket, a test's socketpair): nothing to tune.
        with contextlib.suppress(OSError):
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return super().handle()


def make_server(app: Any, host: str, port: int) -> WSGIServer:
    """A gevent WSGI server for ``app`` on ``host:port`` (not started)."""
    if not monkey.is_module_patched("socket"):
        raise RuntimeError(
            "start the server with `python -m swarm serve` (gevent must patch first)"
        )
    # No access log here (swarm/app.py writes one, with request ids); gevent's own errors
    # (a client's malformed request line, a handler's crash) go through logging like the rest.
    return WSGIServer(
        (host, port),
        app,
        handler_class=NoDelayHandler,
        log=None,
        error_log=logging.getLogger("swarm.server"),
    )


#: Full collections only after this many collections of the middle generation (Python's
#: default is 10). A full pass scans every connection's objects, ~100 ms at 1,000 connections
#: on the benchmark machine, and was the largest stall under load; young collections still
#: run as often as before, so cycles are freed as soon as ever and only the rare long-lived
#: one waits longer (docs/realtime-server.md).
FULL_COLLECTION_EVERY = 1000


def freeze_garbage() -> None:
    """Move everything alive now out of the collector's sight: the app, its imports and caches
    live as long as the process, and scanning them in every full collection stalled the event
    loop ~70 ms every few seconds under load. Then make full collections rarer."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
