"""Real Swarm server processes and real Socket.IO clients, for scale-out and fault tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import socketio

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``python -m swarm serve`` on a free port, with the given environment."""

    def __init__(self, env: dict[str, str], tmp: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"server-{self.port}.log"
        self._env = {**os.environ, **env}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "swarm", "serve", "--port", str(self.port), "--no-sweeper"],
            cwd=ROOT,
            env=self._env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        handle.close()
        # Generous: on a loaded two-core machine importing the app alone can take seconds.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as r:  # noqa: S310
                    if r.status == 200:
                        return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not start:\n{self.log.read_text()}")

    def kill(self) -> None:
        """kill -9: no goodbye to anyone."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class RoomClient:
    """A Socket.IO client that keeps every message of one ticket exactly once, in id order,
    rejoining with the last id it saw after every reconnect (to any of ``urls``)."""

    urls: list[str]
    token: str
    ticket_id: int
    # Like the web room (every 30 s), replay now and then: a loss that no later message
    # reveals (the conversation's last messages went out while Redis was down) heals too.
    resync_seconds: float = 2.0
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Names of the people who have the room open, as the last join or presence event said.
    participants: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("ticket_event", self._on_event)
        self.sio.on("connect", self._on_connect)
        self._url_index = 0
        self.joined = threading.Event()
        self._closed = threading.Event()
        threading.Thread(target=self._resync, daemon=True).start()

    def _resync(self) -> None:
        while not self._closed.wait(self.resync_seconds):
            if self.sio.connected and self.joined.is_set():
                # A reconnect may be under way; the next round will do.
                with contextlib.suppress(Exception):
                    self.join()

    @property
    def last_id(self) -> int:
        with self.lock:
            return max(self.messages, default=0)

    def connect(self) -> None:
        last_error: Exception | None = None
        for _ in range(3 * len(self.urls)):
            url = self.urls[self._url_index % len(self.urls)]
            try:
                self.joined.clear()
                self.sio.connect(
                    url, auth={"token": self.token}, transports=["websocket"], wait_timeout=5
                )
                if self.joined.wait(10):
                    return
            except Exception as exc:  # try the next server
                last_error = exc
            self._url_index += 1
            time.sleep(0.3)
        raise RuntimeError(f"could not connect to any of {self.urls}: {last_error}")

    def _on_connect(self) -> None:
        threading.Thread(target=self.join, daemon=True).start()

    def join(self) -> None:
        payload: dict[str, Any] = {"ticket_id": self.ticket_id}
        if self.last_id:
            payload["since"] = self.last_id
        ack = self.sio.call("join_ticket", payload, timeout=10)
        assert ack["ok"], ack
        self._keep(ack["messages"])
        self.participants = {p["name"] for p in ack["participants"] if p["here"]}
        self.joined.set()

    def _keep(self, messages: list[dict[str, Any]]) -> None:
        with self.lock:
            for message in messages:
                self.messages[message["id"]] = message

    def _on_event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "presence" and event.get("ticket_id") == self.ticket_id:
            self.participants = {p["name"] for p in event["participants"] if p["here"]}
        if event.get("type") != "message" or event.get("ticket_id") != self.ticket_id:
            return
        message = event["message"]
        with self.lock:
            gap = message["prev_id"] and message["prev_id"] not in self.messages
        if gap:
            threading.Thread(target=self.join, daemon=True).start()
        else:
            self._keep([message])

    def send(self, body: str, client_id: str) -> dict[str, Any]:
        ack = self.sio.call(
            "send_message",
            {"ticket_id": self.ticket_id, "body": body, "client_id": client_id},
            timeout=10,
        )
        assert ack["ok"], ack
        self._keep([ack["message"]])
        return ack["message"]

    def ensure_connected(self) -> None:
        if not self.sio.connected:
            with_retry = self.sio
            with_retry.disconnect()
            self.connect()

    def close(self) -> None:
        self._closed.set()
        if self.sio.connected:
            self.sio.disconnect()
