"""The production server of ``python -m swarm serve``: gevent's WSGI server, with WebSockets
through simple-websocket, and ``TCP_NODELAY`` on every accepted connection.

Why gevent: a WebSocket (or a long-poll) holds its connection for as long as the page is open;
with threads each one holds a thread, with gevent a cheap greenlet. Why ``TCP_NODELAY``: without
it Nagle's algorithm meets delayed ACKs and every acknowledged Socket.IO message waits ~40 ms
(REFERENCES.md, measured). ``swarm/__main__.py`` monkey-patches the standard library before
anything else is imported, which gevent requires.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any

from gevent.pywsgi import WSGIHandler, WSGIServer


class NoDelayHandler(WSGIHandler):  # type: ignore[misc]  # gevent ships no type stubs
    def handle(self) -> Any:
        # Not a TCP socket (a unix socket, a test's socketpair): nothing to tune.
        with contextlib.suppress(OSError):
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return super().handle()


def make_server(app: Any, host: str, port: int) -> WSGIServer:
    """A gevent WSGI server for ``app`` on ``host:port`` (not started)."""
    return WSGIServer((host, port), app, handler_class=NoDelayHandler, log=None)
