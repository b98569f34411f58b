"""A minimal Flask-SocketIO room server: the stand-in for Swarm's realtime server (bench/fanout.py).

    python bench/flask_sio_server.py --mode gevent-ws --port 5001 [--no-nodelay] [--token T]

Same protocol as bench/node/reference_server.js (Swarm's contract names, no persistence):
``join_ticket {ticket_id}`` joins the room; ``send_message {ticket_id, body, client_id}`` emits
``ticket_event {type: "message", ticket_id, at, actor, message}`` to the room, then acks
``{"ok": true, "message": …}``.

Modes — each one is a server setup candidate for ``python -m swarm serve``:

* ``threading``: Flask-SocketIO ``async_mode="threading"``, simple-websocket, Werkzeug through
  ``socketio.run`` (one OS thread per connection);
* ``gevent``: ``async_mode="gevent"``, simple-websocket, ``gevent.pywsgi.WSGIServer``;
* ``gevent-ws``: ``async_mode="gevent"``, gevent-websocket's ``WebSocketHandler`` on
  ``gevent.pywsgi.WSGIServer``.

``--nodelay`` (default) sets TCP_NODELAY on every accepted socket; ``--no-nodelay`` leaves Nagle's
algorithm on, to show the ~40 ms stall per acknowledged message it causes.

Everything that must happen before other imports (gevent's monkey-patching, hiding
gevent-websocket from python-engineio in ``gevent`` mode) happens in ``main`` before the first
Flask/Socket.IO import, which is why those imports live inside functions here.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

MODES = ("threading", "gevent", "gevent-ws")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=MODES, default="gevent-ws")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--nodelay",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="set TCP_NODELAY on accepted sockets (default: on)",
    )
    parser.add_argument(
        "--socketio-route",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="add a Flask rule for /socket.io/ so that events create no cyclic garbage",
    )
    parser.add_argument(
        "--gc-freeze",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="gc.freeze() once the app is built",
    )
    parser.add_argument("--token", default=None, help="require auth={'token': T} at connect")
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL: commit each message with one INSERT before it is emitted and acked "
        "(a minimal durable server: bench/fanout.py --swarm reports its ack as durable_baseline)",
    )
    parser.add_argument(
        "--origin",
        action="append",
        default=[],
        help="allowed Origin (repeatable); without it only same-origin browsers may connect",
    )
    return parser.parse_args(argv)


def prepare_process(mode: str) -> None:
    """What must run before Flask, Socket.IO, SQLAlchemy, redis… are imported."""
    if mode in ("gevent", "gevent-ws"):
        from gevent import monkey

        monkey.patch_all()
    if mode == "gevent":
        # python-engineio's gevent driver uses gevent-websocket whenever it is importable, and then
        # insists on gevent-websocket's handler. Hide it so this mode measures simple-websocket
        # even in a venv that has both (in production: install only the one you run).
        sys.modules["geventwebsocket"] = None  # type: ignore[assignment]


def create_app(args: argparse.Namespace) -> tuple[Any, Any]:
    import itertools
    from datetime import UTC, datetime

    from flask import Flask, request
    from flask_socketio import SocketIO, join_room, leave_room

    app = Flask(__name__)
    app.config["SECRET_KEY"] = "bench-only"  # noqa: S105 - a throwaway stand-in, loopback only
    socketio = SocketIO(
        app,
        async_mode="threading" if args.mode == "threading" else "gevent",
        # None = same-origin only; never "*".
        cors_allowed_origins=args.origin or None,
        max_http_buffer_size=64 * 1024,
    )
    ids = itertools.count(1)
    store = durable_store(args.database_url) if args.database_url else None

    if args.socketio_route:
        # Flask-SocketIO pushes a request context (the connect request's environ) for every event;
        # Flask then matches /socket.io/ against the URL map, and the NotFound it stores keeps a
        # traceback whose frames point back at the context: ~45 objects of cyclic garbage per
        # event, collected by full GC passes that stall the whole process. A rule that matches the
        # path (never served: the Socket.IO middleware answers /socket.io/ before Flask) avoids it.
        # Two rules: the context of a WebSocket connection only matches a websocket=True rule.
        def socketio_path() -> tuple[str, int]:
            return "", 404

        app.add_url_rule("/socket.io/", "socketio_http", socketio_path)
        app.add_url_rule("/socket.io/", "socketio_ws", socketio_path, websocket=True)

    @socketio.on("connect")
    def on_connect(auth: dict[str, Any] | None = None) -> bool:
        return args.token is None or (auth or {}).get("token") == args.token

    @socketio.on("join_ticket")
    def on_join(data: dict[str, Any]) -> dict[str, Any]:
        join_room(str(data["ticket_id"]))
        return {"ok": True, "ticket": {"id": data["ticket_id"]}, "messages": []}

    @socketio.on("leave_ticket")
    def on_leave(data: dict[str, Any]) -> dict[str, Any]:
        leave_room(str(data["ticket_id"]))
        return {"ok": True}

    @socketio.on("send_message")
    def on_send(data: dict[str, Any]) -> dict[str, Any]:
        at = datetime.now(UTC).isoformat()
        actor = {"id": request.sid, "name": "bench"}  # type: ignore[attr-defined]
        message = {
            "id": store(data) if store else next(ids),
            "ticket_id": data["ticket_id"],
            "author": actor,
            "body": data["body"],
            "kind": data.get("kind", "chat"),
            "client_id": data.get("client_id"),
            "at": at,
        }
        event = {
            "type": "message",
            "ticket_id": data["ticket_id"],
            "at": at,
            "actor": actor,
            "message": message,
        }
        socketio.emit("ticket_event", event, to=str(data["ticket_id"]))
        return {"ok": True, "message": message}

    return app, socketio


def durable_store(url: str) -> Any:
    """``store(data) -> id``: one INSERT, committed (autocommit, one round trip, a prepared
    statement) on one connection, durably (synchronous_commit stays on). No checks, no event
    row, no ticket lock: a baseline for what Swarm's send path does."""
    import psycopg

    conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS bench_messages (id bigserial PRIMARY KEY, ticket_id bigint,"
        " body text, client_id text, at timestamptz NOT NULL DEFAULT now())"
    )

    def store(data: dict[str, Any]) -> int:
        row = conn.execute(
            "INSERT INTO bench_messages (ticket_id, body, client_id) VALUES (%s, %s, %s)"
            " RETURNING id",
            (int(data["ticket_id"]), data["body"], data.get("client_id")),
            prepare=True,
        ).fetchone()
        assert row is not None
        return int(row[0])

    return store


def serve(args: argparse.Namespace, app: Any, socketio: Any) -> None:
    import logging
    import socket

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if args.mode == "threading":
        from werkzeug.serving import WSGIRequestHandler

        class NoDelayHandler(WSGIRequestHandler):
            # socketserver.StreamRequestHandler.setup() sets TCP_NODELAY when this is true.
            disable_nagle_algorithm = True

        handler = NoDelayHandler if args.nodelay else WSGIRequestHandler
        socketio.run(
            app,
            host=args.host,
            port=args.port,
            allow_unsafe_werkzeug=True,
            request_handler=handler,
            log_output=False,
        )
        return

    from gevent import pywsgi

    class NoDelayWSGIServer(pywsgi.WSGIServer):  # type: ignore[misc]
        def handle(self, sock: socket.socket, address: Any) -> None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().handle(sock, address)

    server_class = NoDelayWSGIServer if args.nodelay else pywsgi.WSGIServer
    kwargs: dict[str, Any] = {"log": None}
    if args.mode == "gevent-ws":
        from geventwebsocket.handler import WebSocketHandler

        kwargs["handler_class"] = WebSocketHandler
    server_class((args.host, args.port), app, **kwargs).serve_forever()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    prepare_process(args.mode)
    app, socketio = create_app(args)
    ws_class = socketio.server.eio._async["websocket"]
    simple = "SimpleWebSocketWSGI" in str(ws_class.__mro__)
    ws = "simple-websocket" if simple else "gevent-websocket"
    print(
        f"flask_sio_server: mode={args.mode} nodelay={args.nodelay} "
        f"async_mode={socketio.server.eio.async_mode} "
        f"websocket={ws} "
        f"on http://{args.host}:{args.port}",
        file=sys.stderr,
        flush=True,
    )
    if args.gc_freeze:
        # Everything allocated so far (modules, the app) lives as long as the process: move it out
        # of the collector's sight, so that full collections only walk connection-time objects.
        import gc

        gc.collect()
        gc.freeze()
    serve(args, app, socketio)


if __name__ == "__main__":
    main()
